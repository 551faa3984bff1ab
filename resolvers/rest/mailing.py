"""Seed 003 (mailing) legacy routes: registration and simplejwt-style token endpoints, clients
and mailings (docs/rest.md).

The original was a Django REST framework app: bodies are read as its ModelSerializers read
them (CharFields trimmed, numbers taken as their text, read-only and unknown fields ignored,
every field's errors in one answer), ids that are no number name nothing (404), and the rules
are ``domain.mailing.service``'s. Each signed-in user has their own clients and mailings;
anonymous callers share one workspace when the operator opens the ``mailing`` group.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from domain.accounts import service
from domain.accounts.rules import UsernamePolicy
from domain.errors import Invalid, NotFound
from domain.mailing import rules
from domain.mailing import service as mailing
from resolvers.rest import fields
from resolvers.rest.auth import require_user_or_guest
from resolvers.rest.drf import JSONResponse, drf_view, read_body, required_strings
from resolvers.rest.forms import MULTIPART
from resolvers.rest.serializers import drf_datetime

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from starlette.requests import Request

    from domain.access import Actor
    from domain.bootstrap import Runtime
    from domain.mailing.service import Client, Mailing
    from domain.uow import SqlAlchemyUnitOfWork

# Starlette answers HEAD with the GET route: a HEAD is a read, its body dropped.
READS = {"GET", "HEAD"}
# An id Django's URL patterns take: digits. Longer than this, no table's id (and Python's
# int() limit is never near).
_PATH_ID = re.compile(r"[0-9]{1,50}")
# DRF's JSONField reading a form field (a JSON text) it cannot parse.
INVALID_JSON = "Value must be valid JSON."


@drf_view
async def register(request: Request) -> JSONResponse:
    runtime: Runtime = request.state.runtime
    username, password = required_strings(await read_body(request), "username", "password")
    async with runtime.uow() as uow:
        user = await service.register_user(
            uow,
            runtime.auth,
            username=username,
            password=password,
            policy=UsernamePolicy.DJANGO,
        )
    return JSONResponse({"username": user.username}, status_code=201)


@drf_view
async def verify_token(request: Request) -> JSONResponse:
    """200 ``{}`` for a live token of either type (a revoked family is not live)."""
    runtime: Runtime = request.state.runtime
    (token,) = required_strings(await read_body(request), "token")
    async with runtime.uow() as uow:
        await service.verify_token(uow, runtime.auth, token=token)
    return JSONResponse({})


# --- shared -----------------------------------------------------------------------------------


async def _actor(request: Request) -> Actor:
    return await require_user_or_guest(request, mailing.GROUP)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.state.runtime
    return runtime


def _path_id(request: Request, name: str) -> int:
    """A path id that is no number names nothing: DRF's bare 404 (one too large for the
    table is the service's not-found)."""
    text: str = request.path_params[name]
    if not _PATH_ID.fullmatch(text):
        raise NotFound("object", message="Not found.")
    return int(text)


# --- clients ----------------------------------------------------------------------------------


def client_json(client: Client) -> dict[str, Any]:
    """A client as the routes show it: the original's ``phone_number`` and ``tag``, and
    tghub's ``id``, ``operator_code`` and ``timezone``."""
    return {
        "id": client.id,
        "phone_number": client.phone_number,
        "operator_code": client.operator_code,
        "tag": client.tag,
        "timezone": client.timezone,
    }


def _client_fields(data: dict[str, Any], *, full: bool) -> dict[str, str]:
    """The client's fields given (``phone_number`` required when ``full``: POST and PUT), or
    Invalid with every field's errors. ``operator_code`` is read-only: a sent one is ignored,
    as DRF ignores read-only fields."""
    errors: fields.Errors = {}
    given = {
        "phone_number": fields.trimmed_string(data, "phone_number", errors),
        "tag": fields.trimmed_string(data, "tag", errors),
        "timezone": fields.string(data, "timezone", errors),
    }
    phone = given["phone_number"]
    if phone == "":  # DRF's blank check comes before the field's validators
        errors["phone_number"] = [rules.BLANK]
    elif phone is None and full and "phone_number" not in errors:
        errors["phone_number"] = [fields.REQUIRED]
    readable = {
        name: value for name, value in given.items() if value is not None and name not in errors
    }
    fields.check(rules.client_errors(**readable) | errors)
    return readable


@drf_view
async def clients(request: Request) -> Response:
    """GET: the clients the caller sees, by id (a bare array); POST: a new one (201)."""
    actor, runtime = await _actor(request), _runtime(request)
    if request.method in READS:
        async with runtime.uow() as uow:
            found = await mailing.list_clients(uow, actor=actor)
        return JSONResponse([client_json(client) for client in found])
    given = _client_fields(await read_body(request), full=True)
    async with runtime.uow() as uow:
        created = await mailing.create_client(
            uow,
            actor=actor,
            phone_number=given["phone_number"],
            tag=given.get("tag", ""),
            timezone=given.get("timezone", rules.DEFAULT_TIMEZONE),
        )
    return JSONResponse(client_json(created), status_code=201)


@drf_view
async def client(request: Request) -> Response:
    """GET, PUT (``phone_number`` required), PATCH or DELETE (204) of one client. As DRF, an
    unknown id is 404 before the body is read."""
    actor, runtime = await _actor(request), _runtime(request)
    client_id = _path_id(request, "client_id")
    async with runtime.uow() as uow:
        found = await mailing.get_client(uow, actor=actor, client_id=client_id)
    if request.method in READS:
        return JSONResponse(client_json(found))
    if request.method == "DELETE":
        async with runtime.uow() as uow:
            await mailing.delete_client(uow, actor=actor, client_id=client_id)
        return Response(status_code=204)
    given = _client_fields(await read_body(request), full=request.method == "PUT")
    async with runtime.uow() as uow:
        changed = await mailing.update_client(uow, actor=actor, client_id=client_id, **given)
    return JSONResponse(client_json(changed))


# --- mailings ---------------------------------------------------------------------------------


def mailing_json(found: Mailing, counts: mailing.Counts) -> dict[str, Any]:
    """A mailing as the routes show it: the original's fields, ``filter_params`` exactly as
    sent, and (ours) its deliveries by status in ``stats``. The one place its shape is
    built."""
    return {
        "id": found.id,
        "start_time": drf_datetime(found.start_time),
        "end_time": drf_datetime(found.end_time),
        "message_text": found.message_text,
        "filter_params": found.filter_params,
        "stats": {
            "total": counts.total,
            "pending": counts.pending,
            "sent": counts.sent,
            "failed": counts.failed,
            "expired": counts.expired,
        },
    }


async def _with_stats(
    uow: SqlAlchemyUnitOfWork, actor: Actor, found: Sequence[Mailing]
) -> list[dict[str, Any]]:
    ids = [each.id for each in found]
    counts = await mailing.mailing_stats(uow, actor=actor, mailing_ids=ids)
    return [mailing_json(each, counts.get(each.id, mailing.Counts())) for each in found]


@dataclass(frozen=True)
class NewMailing:
    start_time: datetime
    end_time: datetime
    message_text: str
    filter_params: dict[str, Any]


def _filter_params(request: Request, data: dict[str, Any], errors: fields.Errors) -> object:
    """DRF's JSONField: any JSON value (absent: ``{}``, the model's default), in a form the
    field's text read as JSON; None, and the field's error, for null or unreadable text."""
    if "filter_params" not in data:
        return {}
    value = data["filter_params"]
    if value is None:
        errors["filter_params"] = [fields.NOT_NULL]
        return None
    is_form = request.headers.get("content-type", "").lower().startswith(MULTIPART)
    if not (is_form and isinstance(value, str)):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        errors["filter_params"] = [INVALID_JSON]
        return None


def _new_mailing(request: Request, data: dict[str, Any]) -> NewMailing:
    """The mailing's fields, or Invalid with every field's errors (the whole mailing's
    ``non_field_errors`` are the service's, once the fields are valid)."""
    errors: fields.Errors = {}
    start = fields.date_time(data, "start_time", errors)
    end = fields.date_time(data, "end_time", errors)
    text = fields.trimmed_string(data, "message_text", errors)
    if text is None and "message_text" not in errors:
        errors["message_text"] = [fields.REQUIRED]
    filters = _filter_params(request, data, errors)
    readable: dict[str, Any] = {"message_text": text, "filter_params": filters}
    readable = {name: value for name, value in readable.items() if name not in errors}
    fields.check(rules.mailing_field_errors(**readable) | errors)
    if start is None or end is None or text is None or not isinstance(filters, dict):
        raise Invalid({})  # each is an error above; this tells mypy
    return NewMailing(start, end, text, filters)


@drf_view
async def mailings(request: Request) -> Response:
    """The mailings the caller sees, newest start first (a bare array)."""
    actor, runtime = await _actor(request), _runtime(request)
    async with runtime.uow() as uow:
        found = await mailing.list_mailings(uow, actor=actor)
        shown = await _with_stats(uow, actor, found)
    return JSONResponse(shown)


@drf_view
async def create_mailing(request: Request) -> Response:
    actor, runtime = await _actor(request), _runtime(request)
    given = _new_mailing(request, await read_body(request))
    async with runtime.uow() as uow:
        created = await mailing.create_mailing(
            uow,
            actor=actor,
            start_time=given.start_time,
            end_time=given.end_time,
            message_text=given.message_text,
            filter_params=given.filter_params,
        )
    return JSONResponse(mailing_json(created, mailing.Counts()), status_code=201)


@drf_view
async def create_is_no_mailing(request: Request) -> Response:
    """``GET create/``: the original sent it to the ``{id}`` route, where a name that is no
    number is DRF's bare 404 (once the caller is let in)."""
    await _actor(request)
    raise NotFound("object", message="Not found.")


@drf_view
async def mailing_detail(request: Request) -> Response:
    actor, runtime = await _actor(request), _runtime(request)
    mailing_id = _path_id(request, "mailing_id")
    async with runtime.uow() as uow:
        found = await mailing.get_mailing(uow, actor=actor, mailing_id=mailing_id)
        (shown,) = await _with_stats(uow, actor, [found])
    return JSONResponse(shown)
