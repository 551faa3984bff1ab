"""The REST compatibility router: the legacy services' URLs (docs/rest.md, which also names
the services by the numbers comments use: seed 000 to 004)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from resolvers.rest import bots, mailing, messenger, seeonline, tracking_csv
from resolvers.rest.contract import Endpoint, routes
from resolvers.rest.endpoints import invites
from resolvers.rest.endpoints import messenger as messenger_endpoints


def _both(path: str, endpoint: object, methods: list[str]) -> list[BaseRoute]:
    """The path with and without its trailing slash, neither redirecting: legacy clients call
    both forms, and many turn a redirected POST into a GET."""
    bare = path.rstrip("/")
    return [Route(path, endpoint, methods=methods), Route(bare, endpoint, methods=methods)]  # type: ignore[arg-type]


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
        *seeonline_routes(),
        *bots_routes(),
        *mailing_routes(),
        *routes(invites.endpoints()),
    ]


def legacy_endpoints() -> list[Endpoint]:
    """The routes declared in the contract (``resolvers.rest.contract``), in table order."""
    return [*messenger_endpoints.endpoints(), *invites.endpoints()]
