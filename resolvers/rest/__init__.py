"""The REST compatibility router: the legacy services' URLs (docs/rest.md, which also names
the services by the numbers comments use: seed 000 to 004).

Every route is declared once in the contract (``resolvers.rest.contract``), one module per
original service under ``resolvers.rest.endpoints``: the routes, the OpenAPI document and the
answer check all come from those declarations, so no route can exist undocumented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.rest.contract import routes
from resolvers.rest.endpoints import legacy_endpoints

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

__all__ = ["legacy_endpoints", "legacy_routes"]


def legacy_routes() -> list[BaseRoute]:
    return routes(legacy_endpoints())
