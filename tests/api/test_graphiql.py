"""GraphiQL at ``GET /graphql`` works offline: every asset it loads is served by tghub itself."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from typing_extensions import override

if TYPE_CHECKING:
    import httpx

ASSET_PREFIX = "/static/graphiql/"
EXTERNAL_PREFIXES = ("http://", "https://", "//")


class _Links(HTMLParser):
    """Collects every ``src``/``href`` and the ``integrity`` pinned next to it."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.integrity: dict[str, str] = {}
        self.ids: set[str] = set()

    @override
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if "id" in values:
            self.ids.add(values["id"])
        for name in ("src", "href"):
            if name in values:
                self.urls.append(values[name])
                if "integrity" in values:
                    self.integrity[values[name]] = values["integrity"]


async def _page(http: httpx.AsyncClient) -> tuple[httpx.Response, _Links]:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    links = _Links()
    links.feed(response.text)
    return response, links


async def test_graphiql_page_is_served_as_html(http: httpx.AsyncClient) -> None:
    response, links = await _page(http)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in links.ids
    assert f"{ASSET_PREFIX}graphiql.min.js" in links.urls
    assert f"{ASSET_PREFIX}init.js" in links.urls


async def test_graphiql_page_references_only_local_assets(http: httpx.AsyncClient) -> None:
    response, links = await _page(http)
    assert links.urls
    external = [url for url in links.urls if url.lower().startswith(EXTERNAL_PREFIXES)]
    assert external == []
    assert "unpkg.com" not in response.text
    assets = [url for url in links.urls if not url.startswith("data:")]
    assert all(url.startswith(ASSET_PREFIX) for url in assets), assets


async def test_every_graphiql_asset_is_served(http: httpx.AsyncClient) -> None:
    _, links = await _page(http)
    assets = [url for url in links.urls if url.startswith(ASSET_PREFIX)]
    assert len(assets) >= 7
    for url in assets:
        response = await http.get(url)
        assert response.status_code == 200, url
        content_type = response.headers["content-type"]
        if url.endswith(".js"):
            assert content_type.startswith(("text/javascript", "application/javascript")), url
        else:
            assert url.endswith(".css"), url
            assert content_type.startswith("text/css"), url
        assert len(response.content) > 500, url
        pinned = links.integrity.get(url)
        if pinned is not None:
            digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
            assert pinned == f"sha384-{digest}", url


async def test_graphiql_init_script_stays_offline(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{ASSET_PREFIX}init.js")
    assert response.status_code == 200
    script = response.text
    assert "http://" not in script
    assert "https://" not in script
    assert "graphqlWs.createClient" in script
    assert "connectionParams" in script
