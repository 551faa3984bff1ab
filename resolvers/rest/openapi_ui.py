"""Browsable views of the OpenAPI document (``/openapi.json``): Swagger UI at ``/swagger/``
and ``/docs``, ReDoc at ``/redoc/``, each also without its trailing slash (no redirect).

Public, like the document. Their assets are vendored under ``resolvers/static/openapi/``
(``VERSIONS.txt`` names the npm packages, versions and integrity) and pinned by sha384 in
the pages, like GraphiQL's: nothing is loaded from anywhere but tghub, at run time.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from resolvers.pages.html import SECURITY_HEADERS

if TYPE_CHECKING:
    from starlette.requests import Request

DIRECTORY = Path(__file__).resolve().parent.parent / "static" / "openapi"
SWAGGER_PATHS = ("/swagger/", "/swagger", "/docs", "/docs/")
REDOC_PATHS = ("/redoc/", "/redoc")

# The pages' policy with two widenings the bundles need: inline styles (ReDoc's
# styled-components writes <style> elements, Swagger UI sets style attributes) and workers
# from blob: URLs (ReDoc's search index runs in one built from its own bundle). Scripts stay
# our own files only; fonts stay blocked (font-src is 'none': the system's fonts are used).
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src blob:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {**SECURITY_HEADERS, "Content-Security-Policy": POLICY}


@functools.cache
def _page(name: str) -> str:
    return (DIRECTORY / name).read_text()


async def swagger_ui(request: Request) -> HTMLResponse:
    return HTMLResponse(_page("swagger.html"), headers=HEADERS)


async def redoc(request: Request) -> HTMLResponse:
    return HTMLResponse(_page("redoc.html"), headers=HEADERS)


def openapi_ui_routes() -> list[BaseRoute]:
    pages = [(path, swagger_ui) for path in SWAGGER_PATHS] + [(path, redoc) for path in REDOC_PATHS]
    return [Route(path, page, methods=["GET"]) for path, page in pages]
