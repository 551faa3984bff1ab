"""The REST compatibility router: the legacy services' URLs (docs/rest.md, which also names
the services by the numbers comments use: seed 000 to 004)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from resolvers.rest import bots, mailing, messenger
from resolvers.rest.contract import Endpoint, routes
from resolvers.rest.endpoints import invites, seeonline
from resolvers.rest.endpoints import messenger as messenger_endpoints


def _both(path: str, endpoint: object, methods: list[str]) -> list[BaseRoute]:
    """The path with and without its trailing slash, neither redirecting: legacy clients call
    both forms, and many turn a redirected POST into a GET."""
    bare = path.rstrip("/")
    return [Route(path, endpoint, methods=methods), Route(bare, endpoint, methods=methods)]  # type: ignore[arg-type]


def bots_routes() -> list[BaseRoute]:
    """Seed 002. ``/channels/{id}/`` is two routes: GET takes the channel's Telegram id,
    DELETE the link's id (or a channel's Telegram id)."""
    return [
        *_both("/bots/", bots.bots_collection, ["GET", "POST"]),
        *_both("/bots/{bot_id}/", bots.bot, ["GET", "PATCH", "DELETE"]),
        *_both("/channels/", bots.channels, ["GET", "POST"]),
        *_both("/channels/{tg_id}/", bots.channel, ["GET"]),
        *_both("/channels/{link_id}/", bots.channel_link, ["DELETE"]),
        *_both("/messages/", bots.messages, ["POST"]),
        *_both("/tasks/{task_id}/", bots.task_status, ["GET"]),
    ]


def mailing_routes() -> list[BaseRoute]:
    """Seed 003. ``create/`` comes before the ``{id}`` route: a POST there is a new mailing
    (a GET reaches the ``{id}`` route, where a name that is no number is 404)."""
    return [
        *_both("/api/v1/users/register/", mailing.register, ["POST"]),
        *_both("/api/token/", messenger.obtain_tokens, ["POST"]),
        *_both("/api/token/refresh/", messenger.refresh_tokens, ["POST"]),
        *_both("/api/token/verify/", mailing.verify_token, ["POST"]),
        *_both("/api/v1/clients/", mailing.clients, ["GET", "POST"]),
        *_both("/api/v1/clients/{client_id}/", mailing.client, ["GET", "PUT", "PATCH", "DELETE"]),
        *_both("/api/v1/mailing/", mailing.mailings, ["GET"]),
        *_both("/api/v1/mailing/create/", mailing.create_mailing, ["POST"]),
        *_both("/api/v1/mailing/{mailing_id}/", mailing.mailing_detail, ["GET"]),
    ]


def legacy_routes() -> list[BaseRoute]:
    return [
        *routes(messenger_endpoints.endpoints()),
        *routes(seeonline.endpoints()),
        *bots_routes(),
        *mailing_routes(),
        *routes(invites.endpoints()),
    ]


def legacy_endpoints() -> list[Endpoint]:
    """The routes declared in the contract (``resolvers.rest.contract``), in table order."""
    return [*messenger_endpoints.endpoints(), *seeonline.endpoints(), *invites.endpoints()]
