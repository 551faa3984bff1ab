"""GraphiQL at ``GET /graphql`` works offline: every asset it loads is served by tghub itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.assets import Links, parse_links, sha384

if TYPE_CHECKING:
    import httpx

ASSET_PREFIX = "/static/graphiql/"


async def _page(http: httpx.AsyncClient) -> tuple[httpx.Response, Links]:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    return response, parse_links(response.text)


async def test_graphiql_page_is_served_as_html(http: httpx.AsyncClient) -> None:
    response, links = await _page(http)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in links.ids
    assert f"{ASSET_PREFIX}graphiql.min.js" in links.links
    assert f"{ASSET_PREFIX}init.js" in links.links


async def test_graphiql_page_references_only_local_assets(http: httpx.AsyncClient) -> None:
    response, links = await _page(http)
    assert links.links
    assert links.external() == []
    assert "unpkg.com" not in response.text
    assets = [url for url in links.links if not url.startswith("data:")]
    assert all(url.startswith(ASSET_PREFIX) for url in assets), assets


async def test_every_graphiql_asset_is_served(http: httpx.AsyncClient) -> None:
    _, links = await _page(http)
    assets = [url for url in links.links if url.startswith(ASSET_PREFIX)]
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
        pinned = links.links[url]
        if pinned is not None:
            assert pinned == sha384(response.content), url


async def test_graphiql_init_script_stays_offline(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{ASSET_PREFIX}init.js")
    assert response.status_code == 200
    script = response.text
    assert "http://" not in script
    assert "https://" not in script
    assert "graphqlWs.createClient" in script
    assert "connectionParams" in script
