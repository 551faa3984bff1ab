"""The REST compatibility router: the legacy services' URLs (docs/rest.md, which also names
the services by the numbers comments use: seed 000 to 004)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from resolvers.rest import chats, messenger, seeonline, tracking_csv
from resolvers.rest.contract import Endpoint, routes
from resolvers.rest.endpoints import bots, invites, mailing


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


def seeonline_routes() -> list[BaseRoute]:
    """Seed 000; the ``by-*`` paths have more segments than the ``{id}`` ones, so no clash."""
    one = ["GET", "PATCH", "PUT", "DELETE"]
    return [
        *_both("/tracker-accounts/", seeonline.trackers, ["GET", "POST"]),
        *_both("/tracker-accounts/{tracker_id}/", seeonline.tracker, one),
        *_both(
            "/tracker-accounts/by-telegram-id/{telegram_id}/",
            seeonline.tracker_by_telegram_id,
            ["PATCH", "DELETE"],
        ),
        *_both("/tracker-settings/", seeonline.settings, ["GET", "POST"]),
        *_both("/tracker-settings/{setting_id}/", seeonline.setting, one),
        # A phone's "+" arrives as sent: Starlette decodes %2B and keeps a literal "+".
        *_both(
            "/tracker-settings/by-phone-number/{phone_number}/",
            seeonline.setting_by_phone_number,
            ["PATCH", "DELETE"],
        ),
        *_both(
            "/tracker-settings/by-tracker-telegram-id/{telegram_id}/",
            seeonline.setting_by_tracker_telegram_id,
            ["PATCH", "DELETE"],
        ),
        *_both("/telegram-users/", seeonline.telegram_users, ["GET", "POST"]),
        *_both("/telegram-users/{user_id}/", seeonline.telegram_user, one),
        *_both(
            "/telegram-users/by-telegram-id/{telegram_id}/",
            seeonline.telegram_user_by_telegram_id,
            ["PATCH", "DELETE"],
        ),
        *_both(
            "/telegram-users/by-role/{role}/", seeonline.telegram_users_by_role, ["PATCH", "DELETE"]
        ),
        *_both("/tracked-users/", seeonline.tracked_users, ["GET", "POST"]),
        *_both("/tracked-users/{tracked_id}/", seeonline.tracked_user, one),
        *_both(
            "/tracked-users/by-username/{username}/",
            seeonline.tracked_user_by_username,
            ["PATCH", "DELETE"],
        ),
        *_both("/online-statuses/", seeonline.statuses, ["GET", "POST"]),
        *_both("/online-statuses/{status_id}/", seeonline.status, one),
        *_both(
            "/online-statuses/by-tracked-user-id/{tracked_id}/",
            seeonline.statuses_by_tracked_user_id,
            ["DELETE"],
        ),
        *_both(
            "/online-statuses/by-tracked-username/{username}/",
            seeonline.statuses_by_tracked_username,
            ["DELETE"],
        ),
        # tghub additions (docs/rest.md): file names, so no trailing-slash twin.
        Route(
            "/tracking/tracked-users/{tracked_id}/online-sessions.csv",
            tracking_csv.online_sessions,
            methods=["GET"],
        ),
        Route(
            "/tracking/tracked-users/{tracked_id}/daily-online-totals.csv",
            tracking_csv.daily_online_totals,
            methods=["GET"],
        ),
    ]


def legacy_routes() -> list[BaseRoute]:
    return [
        *messenger_routes(),
        *seeonline_routes(),
        *routes(bots.endpoints()),
        *routes(mailing.endpoints()),
        *routes(invites.endpoints()),
    ]


def legacy_endpoints() -> list[Endpoint]:
    """The routes declared in the contract (``resolvers.rest.contract``), in table order."""
    return [*bots.endpoints(), *mailing.endpoints(), *invites.endpoints()]
