"""Swagger UI (``/swagger/``, ``/docs``) and ReDoc (``/redoc/``): public pages of tghub's own
pinned files, under a policy that runs no script but those files (the browser test,
tests/e2e/test_openapi_ui_browser.py, renders them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from resolvers.rest.openapi_ui import DIRECTORY, REDOC_PATHS, SWAGGER_PATHS
from tests.assets import parse_links, sha384

if TYPE_CHECKING:
    import httpx

ASSETS = "/static/openapi/"
PAGES = {
    **dict.fromkeys(SWAGGER_PATHS, ("swagger-ui-bundle.js", "swagger-init.js")),
    **dict.fromkeys(REDOC_PATHS, ("redoc.standalone.js", "redoc-init.js")),
}


@pytest.mark.parametrize("path", list(PAGES))
async def test_each_page_is_served_as_it_is_asked_for(http: httpx.AsyncClient, path: str) -> None:
    """With or without the slash, anonymously, and never by a redirect."""
    response = await http.get(path)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    links = parse_links(response.text)
    bundle, init = PAGES[path]
    assert {f"{ASSETS}{bundle}", f"{ASSETS}{init}"} <= set(links.links)


@pytest.mark.parametrize("path", list(PAGES))
async def test_the_policy_runs_only_tghubs_own_scripts(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )

    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "font-src" not in policy  # 'none': no web fonts, from Google or anywhere
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert parse_links(response.text).inline_scripts == 0


@pytest.mark.parametrize("path", ["/swagger/", "/redoc/"])
async def test_every_asset_is_ours_pinned_and_served(http: httpx.AsyncClient, path: str) -> None:
    links = parse_links((await http.get(path)).text)
    assets = [url for url in links.links if not url.startswith("data:")]

    assert links.external() == []
    assert all(url.startswith(ASSETS) for url in assets), assets
    for url in assets:
        response = await http.get(url)
        assert response.status_code == 200, url
        pin = links.links[url]
        if url.endswith("-init.js"):
            assert pin is None  # ours, and small: not pinned
        else:
            assert pin == sha384(response.content), url


def test_the_init_scripts_point_at_the_document_and_nowhere_else() -> None:
    for name in ("swagger-init.js", "redoc-init.js"):
        script = (DIRECTORY / name).read_text()
        assert '"/openapi.json"' in script, name
        assert "http://" not in script, name
        assert "https://" not in script, name
    assert "validatorUrl: null" in (DIRECTORY / "swagger-init.js").read_text()


def test_versions_txt_records_every_pinned_file() -> None:
    """A file updated without its line in VERSIONS.txt (package, version, pin) fails here."""
    versions = (DIRECTORY / "VERSIONS.txt").read_text()
    for page in ("swagger.html", "redoc.html"):
        pinned = parse_links((DIRECTORY / page).read_text()).links
        for url, pin in pinned.items():
            if pin is not None:
                name = url.removeprefix(ASSETS)
                assert sha384((DIRECTORY / name).read_bytes()) == pin, name
                line = next(line for line in versions.splitlines() if line.startswith(name + " "))
                assert pin.removeprefix("sha384-") in line, name
