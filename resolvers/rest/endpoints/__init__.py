"""The legacy routes, declared in the contract (``resolvers.rest.contract``): one module per
original service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.rest.endpoints import bots, invites, mailing, messenger, seeonline

if TYPE_CHECKING:
    from resolvers.rest.contract import Endpoint


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
