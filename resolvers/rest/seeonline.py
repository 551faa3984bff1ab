"""Legacy 000 (SeeOnline) routes: trackers, their settings, Telegram users, tracked users and
the status log (docs/rest.md lists what is not built yet).

Handlers authenticate and translate; the rules are ``domain.tracking.service``'s. Lists are
bare arrays by id; the Telegram id is shown and accepted under both of its legacy names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from domain.errors import Invalid, NotFound
from domain.text import is_storable
from domain.tracking import rules
from domain.tracking import service as tracking
from domain.tracking.service import TelegramUserChanges
from resolvers.rest import fields
from resolvers.rest.auth import require_group_access
from resolvers.rest.drf import Handler, JSONResponse, basic_view, read_body
from resolvers.rest.serializers import iso

if TYPE_CHECKING:
    from starlette.requests import Request

    from domain.access import Actor
    from domain.bootstrap import Runtime
    from domain.tracking.model import (
        OnlineStatus,
        TelegramUser,
        TrackedUser,
        TrackerAccount,
        TrackerSetting,
    )

# Starlette answers HEAD with the GET route: a HEAD is a read, its body dropped.
READS = {"GET", "HEAD"}


def seeonline_view(handler: Handler) -> Handler:
    """``basic_view``: the original had no authentication; tghub's admins sign in with HTTP
    Basic (or a token), which this group's clients send."""
    return basic_view(handler)


async def request_actor(request: Request) -> Actor:
    return await require_group_access(request, tracking.GROUP, allow_basic=True)


def request_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.state.runtime
    return runtime


def path_integer(request: Request, name: str) -> int:
    """A path id that is no number names nothing: DRF's bare 404."""
    parsed = fields.to_integer(request.path_params[name])
    if parsed is None:
        raise NotFound("object", message="Not found.")
    return parsed


def _path_text(request: Request, name: str) -> str:
    """A path name PostgreSQL cannot hold (NUL, a lone surrogate) names nothing: 404."""
    value: str = request.path_params[name]
    if not is_storable(value):
        raise NotFound("object", message="Not found.")
    return value


# --- Telegram users ---------------------------------------------------------------------------


def telegram_user_json(user: TelegramUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "telegram_id": user.telegram_id,
        "telegram_user_id": user.telegram_id,  # the README's name, which clients still send
        "role": user.role.value,
        "max_users": user.max_users,
        "current_users": user.current_users,
        "timezone": user.timezone,
        "theme": user.theme.value,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
    }


def _telegram_id(data: dict[str, Any], errors: fields.Errors, *, required: bool) -> int | None:
    """``telegram_id``, or the older ``telegram_user_id`` when only that one is sent."""
    legacy_only = "telegram_id" not in data and "telegram_user_id" in data
    name = "telegram_user_id" if legacy_only else "telegram_id"
    value = fields.integer(data, name, errors, required=required)
    if name in errors and name != "telegram_id":
        errors["telegram_id"] = errors.pop(name)
    return value


def _telegram_user_changes(data: dict[str, Any], errors: fields.Errors) -> TelegramUserChanges:
    return TelegramUserChanges(
        role=fields.choice(data, "role", errors),
        max_users=fields.integer(data, "max_users", errors),
        timezone=fields.string(data, "timezone", errors),
        theme=fields.choice(data, "theme", errors),
    )


def _telegram_user_filter(request: Request) -> rules.TelegramUserFilter:
    params = dict(request.query_params)
    return rules.TelegramUserFilter(
        id=fields.query_integer(params, "id"),
        telegram_id=fields.query_integer(params, "telegram_id", "telegram_user_id"),
        role=fields.query_choice(params, "role", rules.ROLES),
    )


@seeonline_view
async def telegram_users(request: Request) -> Response:
    actor = await request_actor(request)
    if request.method in READS:
        where = _telegram_user_filter(request)
        async with request_runtime(request).uow() as uow:
            found = await tracking.list_telegram_users(uow, actor=actor, where=where)
        return JSONResponse([telegram_user_json(user) for user in found])
    data = await read_body(request)
    errors: fields.Errors = {}
    telegram_id = _telegram_id(data, errors, required=True)
    changes = _telegram_user_changes(data, errors)
    fields.check(errors)
    if telegram_id is None:  # a missing or bad one is an error above; this tells mypy
        raise Invalid.single("telegram_id", fields.REQUIRED)
    given = {name: value for name, value in changes.as_fields().items() if value is not None}
    async with request_runtime(request).uow() as uow:
        user = await tracking.create_telegram_user(
            uow,
            actor=actor,
            telegram_id=telegram_id,
            **given,  # the rest keep the model's defaults
        )
    return JSONResponse(telegram_user_json(user), status_code=201)


async def _telegram_user_at(request: Request, actor: Actor, user_id: int) -> Response:
    """GET, PATCH, PUT or DELETE of one Telegram user, however the route found its id."""
    runtime = request_runtime(request)
    if request.method == "DELETE":
        async with runtime.uow() as uow:
            await tracking.delete_telegram_user(uow, actor=actor, user_id=user_id)
        return Response(status_code=204)
    if request.method in READS:
        async with runtime.uow() as uow:
            user = await tracking.get_telegram_user(uow, actor=actor, user_id=user_id)
        return JSONResponse(telegram_user_json(user))
    data = await read_body(request)
    errors: fields.Errors = {}
    # PUT is DRF's full update: the one field without a default must be sent.
    telegram_id = _telegram_id(data, errors, required=request.method == "PUT")
    changes = _telegram_user_changes(data, errors)
    fields.check(errors)
    async with runtime.uow() as uow:
        user = await tracking.update_telegram_user(
            uow, actor=actor, user_id=user_id, telegram_id=telegram_id, changes=changes
        )
    return JSONResponse(telegram_user_json(user))


@seeonline_view
async def telegram_user(request: Request) -> Response:
    actor = await request_actor(request)
    return await _telegram_user_at(request, actor, path_integer(request, "user_id"))


@seeonline_view
async def telegram_user_by_telegram_id(request: Request) -> Response:
    actor = await request_actor(request)
    telegram_id = path_integer(request, "telegram_id")
    async with request_runtime(request).uow() as uow:
        user_id = await tracking.telegram_user_id_of(uow, actor=actor, telegram_id=telegram_id)
    return await _telegram_user_at(request, actor, user_id)


@seeonline_view
async def telegram_users_by_role(request: Request) -> Response:
    actor = await request_actor(request)
    role = request.path_params["role"]
    runtime = request_runtime(request)
    if request.method == "DELETE":
        async with runtime.uow() as uow:
            count = await tracking.delete_telegram_users_by_role(uow, actor=actor, role=role)
        return JSONResponse({"deleted_count": count})
    data = await read_body(request)
    errors: fields.Errors = {}
    changes = _telegram_user_changes(data, errors)
    fields.check(errors)
    async with runtime.uow() as uow:
        await tracking.update_telegram_users_by_role(uow, actor=actor, role=role, changes=changes)
    return JSONResponse({"detail": "Users updated"})


# --- tracked users ----------------------------------------------------------------------------

OTHER_OWNER = "A tracked user stays with its Telegram user; track the username anew instead."


def tracked_user_json(tracked: TrackedUser) -> dict[str, Any]:
    return {
        "id": tracked.id,
        "tracker_account_id": tracked.tracker_account_id,
        "telegram_user_id": tracked.telegram_user_id,  # the TelegramUser's primary key
        "username": tracked.username,
        "visible_online": tracked.visible_online,
        "created_at": iso(tracked.created_at),
        "updated_at": iso(tracked.updated_at),
    }


def _tracked_user_filter(request: Request) -> rules.TrackedUserFilter:
    params = dict(request.query_params)
    return rules.TrackedUserFilter(
        id=fields.query_integer(params, "id"),
        username=fields.query_string(params, "username"),
        visible_online=fields.query_boolean(params, "visible_online"),
        # Each with the README's name of the Telegram id too.
        tracker_telegram_id=fields.query_integer(
            params, "tracker_account__telegram_id", "tracker_account__telegram_user_id"
        ),
        client_telegram_id=fields.query_integer(
            params, "telegram_user__telegram_id", "telegram_user__telegram_user_id"
        ),
    )


@seeonline_view
async def tracked_users(request: Request) -> Response:
    actor = await request_actor(request)
    if request.method in READS:
        where = _tracked_user_filter(request)
        async with request_runtime(request).uow() as uow:
            found = await tracking.list_tracked_users(uow, actor=actor, where=where)
        return JSONResponse([tracked_user_json(tracked) for tracked in found])
    data = await read_body(request)
    errors: fields.Errors = {}
    owner = fields.primary_key(data, "telegram_user_id", errors, required=True)
    username = fields.string(data, "username", errors)
    if username is None and "username" not in errors:
        errors["username"] = [fields.REQUIRED]
    tracker = fields.primary_key(data, "tracker_account_id", errors)
    visible = fields.boolean(data, "visible_online", errors)
    fields.check(errors)
    if owner is None or username is None:  # errors above otherwise; this tells mypy
        raise Invalid.single("telegram_user_id", fields.REQUIRED)
    async with request_runtime(request).uow() as uow:
        tracked = await tracking.track_user(
            uow,
            actor=actor,
            telegram_user_id=owner,
            username=username,
            tracker_account_id=tracker,
            visible_online=True if visible is None else visible,
        )
    return JSONResponse(tracked_user_json(tracked), status_code=201)


async def _tracked_user_at(request: Request, actor: Actor, tracked_id: int) -> Response:
    """GET, PATCH, PUT or DELETE of one tracked user, however the route found its id."""
    runtime = request_runtime(request)
    if request.method == "DELETE":
        async with runtime.uow() as uow:
            await tracking.untrack_user(uow, actor=actor, tracked_user_id=tracked_id)
        return Response(status_code=204)
    async with runtime.uow() as uow:
        current = await tracking.get_tracked_user(uow, actor=actor, tracked_user_id=tracked_id)
    if request.method in READS:
        return JSONResponse(tracked_user_json(current))
    data = await read_body(request)
    errors: fields.Errors = {}
    full = request.method == "PUT"  # DRF's full update: the fields without defaults are sent
    owner = fields.primary_key(data, "telegram_user_id", errors, required=full)
    username = fields.string(data, "username", errors)
    if full and username is None and "username" not in errors:
        errors["username"] = [fields.REQUIRED]
    tracker = fields.primary_key(data, "tracker_account_id", errors)
    visible = fields.boolean(data, "visible_online", errors)
    if owner is not None and owner != current.telegram_user_id:
        errors["telegram_user_id"] = [OTHER_OWNER]
    fields.check(errors)
    async with runtime.uow() as uow:
        tracked = await tracking.update_tracked_user(
            uow,
            actor=actor,
            tracked_user_id=tracked_id,
            username=username,
            visible_online=visible,
            tracker_account_id=tracker,
        )
    return JSONResponse(tracked_user_json(tracked))


@seeonline_view
async def tracked_user(request: Request) -> Response:
    actor = await request_actor(request)
    return await _tracked_user_at(request, actor, path_integer(request, "tracked_id"))


@seeonline_view
async def tracked_user_by_username(request: Request) -> Response:
    actor = await request_actor(request)
    username = _path_text(request, "username")
    async with request_runtime(request).uow() as uow:
        tracked_id = await tracking.tracked_user_id_of(uow, actor=actor, username=username)
    return await _tracked_user_at(request, actor, tracked_id)


# --- trackers -------------------------------------------------------------------------------

# The api hash is a secret: answers show that one is set, never what it is.
MASKED = "********"


def tracker_json(tracker: TrackerAccount) -> dict[str, Any]:
    return {
        "id": tracker.id,
        "telegram_id": tracker.telegram_id,
        "telegram_user_id": tracker.telegram_id,  # the README's name, as for Telegram users
        "api_id": tracker.api_id,
        "api_hash": MASKED,
        "is_active": tracker.is_active,
        "is_auth": tracker.is_auth,
        "created_at": iso(tracker.created_at),
        "updated_at": iso(tracker.updated_at),
    }


def _tracker_filter(request: Request) -> rules.TrackerFilter:
    params = dict(request.query_params)
    return rules.TrackerFilter(
        id=fields.query_integer(params, "id"),
        telegram_id=fields.query_integer(params, "telegram_id", "telegram_user_id"),
        is_active=fields.query_boolean(params, "is_active"),
        is_auth=fields.query_boolean(params, "is_auth"),
    )


def _tracker_fields(data: dict[str, Any], *, full: bool) -> dict[str, Any]:
    """The tracker's fields given (all three credentials when ``full``), or Invalid."""
    errors: fields.Errors = {}
    given = {
        "telegram_id": _telegram_id(data, errors, required=full),
        "api_id": fields.integer(data, "api_id", errors, required=full),
        "api_hash": fields.string(data, "api_hash", errors),
        "is_active": fields.boolean(data, "is_active", errors),
        "is_auth": fields.boolean(data, "is_auth", errors),
    }
    if full and "api_hash" not in data:
        errors["api_hash"] = [fields.REQUIRED]
    fields.check(errors)
    return {name: value for name, value in given.items() if value is not None}


@seeonline_view
async def trackers(request: Request) -> Response:
    actor = await request_actor(request)
    runtime = request_runtime(request)
    if request.method in READS:
        where = _tracker_filter(request)
        async with runtime.uow() as uow:
            found = await tracking.list_trackers(uow, actor=actor, where=where)
        return JSONResponse([tracker_json(tracker) for tracker in found])
    given = _tracker_fields(await read_body(request), full=True)
    async with runtime.uow() as uow:
        tracker = await tracking.create_tracker(uow, runtime.secrets, actor=actor, **given)
    return JSONResponse(tracker_json(tracker), status_code=201)


async def _tracker_at(request: Request, actor: Actor, tracker_id: int) -> Response:
    runtime = request_runtime(request)
    if request.method == "DELETE":
        async with runtime.uow() as uow:
            await tracking.delete_tracker(uow, actor=actor, tracker_id=tracker_id)
        return Response(status_code=204)
    if request.method in READS:
        async with runtime.uow() as uow:
            tracker = await tracking.get_tracker(uow, actor=actor, tracker_id=tracker_id)
        return JSONResponse(tracker_json(tracker))
    given = _tracker_fields(await read_body(request), full=request.method == "PUT")
    async with runtime.uow() as uow:
        tracker = await tracking.update_tracker(
            uow, runtime.secrets, actor=actor, tracker_id=tracker_id, **given
        )
    return JSONResponse(tracker_json(tracker))


@seeonline_view
async def tracker(request: Request) -> Response:
    actor = await request_actor(request)
    return await _tracker_at(request, actor, path_integer(request, "tracker_id"))


@seeonline_view
async def tracker_by_telegram_id(request: Request) -> Response:
    actor = await request_actor(request)
    telegram_id = path_integer(request, "telegram_id")
    async with request_runtime(request).uow() as uow:
        tracker_id = await tracking.tracker_id_of(uow, actor=actor, telegram_id=telegram_id)
    return await _tracker_at(request, actor, tracker_id)


# --- tracker settings -----------------------------------------------------------------------

OTHER_TRACKER = "A setting stays with its tracker; delete it and create one for the other."


def setting_json(setting: TrackerSetting) -> dict[str, Any]:
    return {
        "id": setting.id,
        "tracker_account_id": setting.tracker_account_id,
        "phone_number": setting.phone_number,
        # The session lives with the Telegram account the phone links to, never in answers.
        "session_string": None,
        "max_users": setting.max_users,
        "current_users": setting.current_users,
        "created_at": iso(setting.created_at),
        "updated_at": iso(setting.updated_at),
    }


def _setting_filter(request: Request) -> rules.SettingFilter:
    params = dict(request.query_params)
    return rules.SettingFilter(
        id=fields.query_integer(params, "id"),
        phone_number=fields.query_string(params, "phone_number"),
        tracker_telegram_id=fields.query_integer(
            params, "tracker_account__telegram_id", "tracker_account__telegram_user_id"
        ),
    )


@seeonline_view
async def settings(request: Request) -> Response:
    actor = await request_actor(request)
    runtime = request_runtime(request)
    if request.method in READS:
        where = _setting_filter(request)
        async with runtime.uow() as uow:
            found = await tracking.list_settings(uow, actor=actor, where=where)
        return JSONResponse([setting_json(setting) for setting in found])
    data = await read_body(request)
    errors: fields.Errors = {}
    tracker_id = fields.primary_key(data, "tracker_account_id", errors, required=True)
    phone = fields.string(data, "phone_number", errors)
    if phone is None and "phone_number" not in errors:
        errors["phone_number"] = [fields.REQUIRED]
    max_users = fields.integer(data, "max_users", errors)
    fields.check(errors)
    if tracker_id is None or phone is None:  # errors above otherwise; this tells mypy
        raise Invalid.single("tracker_account_id", fields.REQUIRED)
    async with runtime.uow() as uow:
        setting = await tracking.create_setting(
            uow,
            runtime.secrets,
            actor=actor,
            tracker_id=tracker_id,
            phone_number=phone,
            max_users=0 if max_users is None else max_users,
        )
    return JSONResponse(setting_json(setting), status_code=201)


async def _setting_at(request: Request, actor: Actor, setting_id: int) -> Response:
    runtime = request_runtime(request)
    if request.method == "DELETE":
        async with runtime.uow() as uow:
            await tracking.delete_setting(uow, actor=actor, setting_id=setting_id)
        return Response(status_code=204)
    async with runtime.uow() as uow:
        current = await tracking.get_setting(uow, actor=actor, setting_id=setting_id)
    if request.method in READS:
        return JSONResponse(setting_json(current))
    data = await read_body(request)
    errors: fields.Errors = {}
    full = request.method == "PUT"
    tracker_id = fields.primary_key(data, "tracker_account_id", errors, required=full)
    phone = fields.string(data, "phone_number", errors)
    if full and phone is None and "phone_number" not in errors:
        errors["phone_number"] = [fields.REQUIRED]
    max_users = fields.integer(data, "max_users", errors)
    if tracker_id is not None and tracker_id != current.tracker_account_id:
        errors["tracker_account_id"] = [OTHER_TRACKER]
    fields.check(errors)
    async with runtime.uow() as uow:
        setting = await tracking.update_setting(
            uow,
            runtime.secrets,
            actor=actor,
            setting_id=setting_id,
            phone_number=phone,
            max_users=max_users,
        )
    return JSONResponse(setting_json(setting))


@seeonline_view
async def setting(request: Request) -> Response:
    actor = await request_actor(request)
    return await _setting_at(request, actor, path_integer(request, "setting_id"))


@seeonline_view
async def setting_by_phone_number(request: Request) -> Response:
    actor = await request_actor(request)
    where = rules.SettingFilter(phone_number=_path_text(request, "phone_number"))
    async with request_runtime(request).uow() as uow:
        setting_id = await tracking.setting_id_of(uow, actor=actor, where=where)
    return await _setting_at(request, actor, setting_id)


@seeonline_view
async def setting_by_tracker_telegram_id(request: Request) -> Response:
    actor = await request_actor(request)
    where = rules.SettingFilter(tracker_telegram_id=path_integer(request, "telegram_id"))
    async with request_runtime(request).uow() as uow:
        setting_id = await tracking.setting_id_of(uow, actor=actor, where=where)
    return await _setting_at(request, actor, setting_id)


# --- the status log ---------------------------------------------------------------------------


def status_json(status: OnlineStatus) -> dict[str, Any]:
    return {
        "id": status.id,
        "tracked_user_id": status.tracked_user_id,
        "is_online": status.is_online,
        "created_at": iso(status.created_at),
        "updated_at": iso(status.updated_at),
    }


def _status_filter(request: Request) -> rules.StatusFilter:
    params = dict(request.query_params)
    return rules.StatusFilter(
        id=fields.query_integer(params, "id"),
        is_online=fields.query_boolean(params, "is_online"),
        tracked_user_id=fields.query_integer(params, "tracked_user", "tracked_user_id"),
        username=fields.query_string(params, "username"),
        created_after=fields.query_datetime(params, "created_at_after", "created_at"),
        created_before=fields.query_datetime(params, "created_at_before", "created_at"),
    )


def _status_fields(data: dict[str, Any], *, full: bool) -> tuple[int | None, bool | None]:
    """``(tracked_user_id, is_online)`` as given (both required when ``full``), or Invalid."""
    errors: fields.Errors = {}
    tracked_id = fields.primary_key(data, "tracked_user_id", errors, required=full)
    is_online = fields.boolean(data, "is_online", errors)
    if full and "is_online" not in data:
        errors["is_online"] = [fields.REQUIRED]
    fields.check(errors)
    return tracked_id, is_online


@seeonline_view
async def statuses(request: Request) -> Response:
    actor = await request_actor(request)
    runtime = request_runtime(request)
    if request.method in READS:
        where = _status_filter(request)
        async with runtime.uow() as uow:
            found = await tracking.list_statuses(uow, actor=actor, where=where)
        return JSONResponse([status_json(status) for status in found])
    tracked_id, is_online = _status_fields(await read_body(request), full=True)
    if tracked_id is None or is_online is None:  # errors above otherwise; this tells mypy
        raise Invalid.single("tracked_user_id", fields.REQUIRED)
    async with runtime.uow() as uow:
        added = await tracking.add_status(
            uow, actor=actor, tracked_user_id=tracked_id, is_online=is_online
        )
    return JSONResponse(status_json(added), status_code=201)


@seeonline_view
async def status(request: Request) -> Response:
    actor = await request_actor(request)
    status_id = path_integer(request, "status_id")
    if request.method in {"PATCH", "PUT"}:
        return await _change_status(request, actor, status_id)
    async with request_runtime(request).uow() as uow:
        found = await tracking.get_status(uow, actor=actor, status_id=status_id)
        if request.method in READS:
            return JSONResponse(status_json(found))
        await tracking.delete_statuses(uow, actor=actor, where=rules.StatusFilter(id=status_id))
    return Response(status_code=204)


async def _change_status(request: Request, actor: Actor, status_id: int) -> Response:
    tracked_id, is_online = _status_fields(await read_body(request), full=request.method == "PUT")
    async with request_runtime(request).uow() as uow:
        changed = await tracking.update_status(
            uow, actor=actor, status_id=status_id, tracked_user_id=tracked_id, is_online=is_online
        )
    return JSONResponse(status_json(changed))


@seeonline_view
async def statuses_by_tracked_user_id(request: Request) -> Response:
    actor = await request_actor(request)
    where = rules.StatusFilter(tracked_user_id=path_integer(request, "tracked_id"))
    async with request_runtime(request).uow() as uow:
        count = await tracking.delete_statuses(uow, actor=actor, where=where)
    return JSONResponse({"deleted_count": count})


@seeonline_view
async def statuses_by_tracked_username(request: Request) -> Response:
    actor = await request_actor(request)
    where = rules.StatusFilter(tracked_username=_path_text(request, "username"))
    async with request_runtime(request).uow() as uow:
        count = await tracking.delete_statuses(uow, actor=actor, where=where)
    return JSONResponse({"deleted_count": count})
