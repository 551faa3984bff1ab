"""The REST compatibility router: the legacy services' URLs (docs/rest.md, which also names
the services by the numbers comments use: seed 000 to 004)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from resolvers.rest import bots, chats, mailing, messenger
from resolvers.rest.contract import Endpoint, routes
from resolvers.rest.endpoints import invites, seeonline


def _both(path: str, endpoint: object, methods: list[str]) -> list[BaseRoute]:
    """The path with and without its trailing slash, neither redirecting: legacy clients call
    both forms, and many turn a redirected POST into a GET."""
    bare = path.rstrip("/")
    return [Route(path, endpoint, methods=methods), Route(bare, endpoint, methods=methods)]  # type: ignore[arg-type]


def messenger_routes() -> list[BaseRoute]:
    """Seed 001; fixed paths come before the ``{id}`` ones they would otherwise match."""
    return [
        *_both("/api/register/", messenger.register, ["POST"]),
        *_both("/api/auth/", messenger.obtain_tokens, ["POST"]),
        *_both("/api/auth/refresh/", messenger.refresh_tokens, ["POST"]),
        *_both("/api/user/online/", messenger.online, ["HEAD", "POST"]),
        *_both("/api/user/offline/", messenger.offline, ["POST"]),
        *_both("/api/user/{user_id}/", messenger.user, ["GET", "PATCH", "DELETE"]),
        *_both("/api/users/", messenger.users, ["GET"]),
        *_both("/api/chats/", chats.chats, ["GET", "POST"]),
        *_both("/api/chat/{chat_id}/leave/", chats.leave_chat, ["POST"]),
        *_both("/api/chat/{chat_id}/", chats.chat, ["GET", "PATCH", "DELETE"]),
        *_both("/api/messages/read_all/", chats.read_all, ["POST"]),
        *_both("/api/messages/", chats.messages, ["GET", "POST"]),
        *_both("/api/message/{message_id}/read/", chats.read_message, ["POST"]),
        *_both("/api/message/{message_id}/", chats.message, ["GET", "PATCH", "DELETE"]),
        *_both("/api/centrifugo/connect/", messenger.centrifugo_connect, ["POST"]),
        *_both("/api/centrifugo/subscribe/", messenger.centrifugo_subscribe, ["POST"]),
        Route("/media/{key:path}", messenger.media, methods=["GET"]),
    ]


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
        *messenger_routes(),
        *routes(seeonline.endpoints()),
        *bots_routes(),
        *mailing_routes(),
        *routes(invites.endpoints()),
    ]


def legacy_endpoints() -> list[Endpoint]:
    """The routes declared in the contract (``resolvers.rest.contract``), in table order."""
    return [*seeonline.endpoints(), *invites.endpoints()]
