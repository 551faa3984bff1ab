"""The REST compatibility router: the legacy services' URLs (docs/rest.md, which also names
the services by the numbers comments use: seed 000 to 004).

Every route is declared once in the contract (``resolvers.rest.contract``), one module per
original service under ``resolvers.rest.endpoints``: the routes, the OpenAPI document and the
answer check all come from those declarations, so no route can exist undocumented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.rest.contract import Endpoint, routes
from resolvers.rest.endpoints import bots, invites, mailing, messenger, seeonline

if TYPE_CHECKING:
    from starlette.routing import BaseRoute


def legacy_endpoints() -> list[Endpoint]:
    """In table order: within a service, fixed paths come before the ``{id}`` ones they
    would otherwise match; across services no path of one matches a route of another."""
    return [
        *messenger.endpoints(),
        *seeonline.endpoints(),
        *bots.endpoints(),
        *mailing.endpoints(),
        *invites.endpoints(),
    ]


def legacy_routes() -> list[BaseRoute]:
    return routes(legacy_endpoints())
