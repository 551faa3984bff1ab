"""Legacy 000 (SeeOnline) routes: Telegram users and tracked users so far (docs/rest.md
lists the rest).

Handlers authenticate and translate; the rules are ``domain.tracking.service``'s. Lists are
bare arrays by id; the Telegram id is shown and accepted under both of its legacy names.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from domain.errors import Invalid, NotFound
from domain.tracking import rules
from domain.tracking import service as tracking
from domain.tracking.service import TelegramUserChanges
from resolvers.rest import fields
from resolvers.rest.auth import require_group_access
from resolvers.rest.drf import Handler, drf_view, read_body
from resolvers.rest.serializers import iso

if TYPE_CHECKING:
    from starlette.requests import Request

    from domain.access import Actor
    from domain.bootstrap import Runtime
    from domain.tracking.model import TelegramUser, TrackedUser

# The original had no authentication; tghub's admins sign in with HTTP Basic (or a token).
CHALLENGE = 'Basic realm="tghub"'
# Starlette answers HEAD with the GET route: a HEAD is a read, its body dropped.
READS = {"GET", "HEAD"}


def seeonline_view(handler: Handler) -> Handler:
    """``drf_view``, and a 401 that asks for Basic credentials, which this group's clients send."""
    answering = drf_view(handler)

    @wraps(handler)
    async def wrapper(request: Request) -> Response:
        response = await answering(request)
        if response.status_code == 401:
            response.headers["WWW-Authenticate"] = CHALLENGE
        return response

    return wrapper


async def _actor(request: Request) -> Actor:
    return await require_group_access(request, tracking.GROUP, allow_basic=True)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.state.runtime
    return runtime


def _path_integer(request: Request, name: str) -> int:
    """A path id that is no number names nothing: DRF's bare 404."""
    parsed = fields.to_integer(request.path_params[name])
    if parsed is None:
        raise NotFound("object", message="Not found.")
    return parsed


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
    actor = await _actor(request)
    if request.method in READS:
        where = _telegram_user_filter(request)
        async with _runtime(request).uow() as uow:
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
    async with _runtime(request).uow() as uow:
        user = await tracking.create_telegram_user(
            uow,
            actor=actor,
            telegram_id=telegram_id,
            **given,  # the rest keep the model's defaults
        )
    return JSONResponse(telegram_user_json(user), status_code=201)


async def _telegram_user_at(request: Request, actor: Actor, user_id: int) -> Response:
    """GET, PATCH, PUT or DELETE of one Telegram user, however the route found its id."""
    runtime = _runtime(request)
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
    actor = await _actor(request)
    return await _telegram_user_at(request, actor, _path_integer(request, "user_id"))


@seeonline_view
async def telegram_user_by_telegram_id(request: Request) -> Response:
    actor = await _actor(request)
    telegram_id = _path_integer(request, "telegram_id")
    async with _runtime(request).uow() as uow:
        user_id = await tracking.telegram_user_id_of(uow, actor=actor, telegram_id=telegram_id)
    return await _telegram_user_at(request, actor, user_id)


@seeonline_view
async def telegram_users_by_role(request: Request) -> Response:
    actor = await _actor(request)
    role = request.path_params["role"]
    runtime = _runtime(request)
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
        tracker_telegram_id=fields.query_integer(params, "tracker_account__telegram_id"),
        client_telegram_id=fields.query_integer(params, "telegram_user__telegram_id"),
    )


@seeonline_view
async def tracked_users(request: Request) -> Response:
    actor = await _actor(request)
    if request.method in READS:
        where = _tracked_user_filter(request)
        async with _runtime(request).uow() as uow:
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
    async with _runtime(request).uow() as uow:
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
    runtime = _runtime(request)
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
    actor = await _actor(request)
    return await _tracked_user_at(request, actor, _path_integer(request, "tracked_id"))


@seeonline_view
async def tracked_user_by_username(request: Request) -> Response:
    actor = await _actor(request)
    username = request.path_params["username"]
    async with _runtime(request).uow() as uow:
        tracked_id = await tracking.tracked_user_id_of(uow, actor=actor, username=username)
    return await _tracked_user_at(request, actor, tracked_id)
