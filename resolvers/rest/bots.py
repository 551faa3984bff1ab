"""Legacy 002 (bot management) routes: bots, their channel links, posting, and ``/tasks/{id}``
(docs/rest.md).

The original was a FastAPI service: bodies are validated as FastAPI did, a bad one is 422
``{"detail": [{"type", "loc", "msg"}, ...]}`` (never echoing the input: a token is a
secret), other errors ``{"detail": "..."}``. Registering a bot and linking a channel are jobs
the handler waits for (``TGHUB_BOT_JOB_WAIT`` seconds), answering their outcome, or 202 with
the task's id when the job has not finished by then. Tokens only ever leave masked.
"""

from __future__ import annotations

import json
from functools import wraps
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from domain.bots import service as bots
from domain.bots.errors import (
    BotInactive,
    BotNotFound,
    ChannelAlreadyLinked,
    ChannelUnresolvable,
    LinkNotFound,
    NoActiveBot,
)
from domain.errors import Conflict, DomainError, Invalid, NotFound
from domain.jobs import rules
from domain.jobs import service as jobs
from domain.jobs.model import Job, JobStatus
from resolvers.rest.auth import require_group_access
from resolvers.rest.drf import Handler, JSONResponse, drf_view, error_response
from resolvers.rest.serializers import iso

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from domain.access import Actor
    from domain.bootstrap import Runtime
    from domain.bots.model import ChannelLink

# Starlette answers HEAD with the GET route: a HEAD is a read, its body dropped.
READS = {"GET", "HEAD"}
# Column ranges: a number past them names nothing (and must not reach PostgreSQL).
INT32 = 2**31 - 1
INT64 = 2**63 - 1
M = TypeVar("M", bound=BaseModel)
BotId = Annotated[int, Field(ge=1, le=INT32)]
ChannelId = Annotated[int, Field(ge=-INT64 - 1, le=INT64)]
# The job errors that are the caller's, not Telegram's: their status, as when raised here.
_CONFLICTS = {cls.default_message for cls in (ChannelAlreadyLinked, NoActiveBot, BotInactive)}


def task_body(job: Job) -> dict[str, Any]:
    """Celery's AsyncResult as the original returned it: a failure's result is its error."""
    failed = job.status in {JobStatus.FAILED, JobStatus.RETRYING}
    return {
        "task_id": job.id,
        "task_status": rules.CELERY_STATUS[job.status],
        "task_result": job.error if failed else job.result,
    }


@drf_view
async def task_status(request: Request) -> JSONResponse:
    actor = await require_group_access(request, "bots", allow_basic=True)
    runtime: Runtime = request.state.runtime
    async with runtime.uow() as uow:
        job = await jobs.get_visible_job(uow, request.path_params["task_id"], actor=actor)
    return JSONResponse(task_body(job))


# --- FastAPI's conventions ------------------------------------------------------------------


class Unprocessable(Exception):
    """FastAPI's RequestValidationError: 422 with the list of what is wrong."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        self.detail = detail
        super().__init__("unprocessable")


def _problem(kind: str, loc: list[str | int], msg: str) -> dict[str, Any]:
    return {"type": kind, "loc": loc, "msg": msg}


def _invalid_detail(exc: Invalid) -> list[dict[str, Any]]:
    """A domain Invalid in FastAPI's list: each field's messages, at ``body.<field>``."""
    found = [
        _problem("value_error", ["body", name], message)
        for name, messages in exc.field_errors.items()
        for message in messages
    ]
    return found or [_problem("value_error", ["body"], exc.message)]


def fastapi_view(handler: Handler) -> Handler:
    """``drf_view``'s authentication answers (as ``/tasks`` gives them), FastAPI's 422 for a
    bad body, path or field, and 409 for a conflict with what is stored."""

    @wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except Unprocessable as exc:
            return JSONResponse({"detail": exc.detail}, status_code=422)
        except Invalid as exc:
            return JSONResponse({"detail": _invalid_detail(exc)}, status_code=422)
        except Conflict as exc:
            return JSONResponse({"detail": exc.message}, status_code=409)
        except DomainError as exc:
            return error_response(exc)

    return wrapper


async def _body(request: Request, model: type[M]) -> M:
    raw = await request.body()
    if not raw.strip():
        raise Unprocessable([_problem("missing", ["body"], "Field required")])
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise Unprocessable([_problem("json_invalid", ["body"], "JSON decode error")]) from None
    if not isinstance(data, dict):
        raise Unprocessable([_problem("dict_type", ["body"], "Input should be a valid dictionary")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable(
            [
                _problem(error["type"], ["body", *error["loc"]], error["msg"])
                for error in exc.errors(include_url=False, include_input=False)
            ]
        ) from None


def _path_int(request: Request, name: str, *, low: int, high: int, missing: NotFound) -> int:
    """A path id as FastAPI's ``int`` parameter: no integer is 422, one no row can have 404."""
    text = request.path_params[name]
    try:
        value = int(text) if len(text) <= 30 and text.strip() == text else None
    except ValueError:
        value = None
    if value is None:
        raise Unprocessable(
            [
                _problem(
                    "int_parsing",
                    ["path", name],
                    "Input should be a valid integer, unable to parse string as an integer",
                )
            ]
        )
    if not low <= value <= high:
        raise missing
    return value


async def _actor(request: Request) -> Actor:
    return await require_group_access(request, bots.GROUP, allow_basic=True)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.state.runtime
    return runtime


async def _waited(runtime: Runtime, job: Job, actor: Actor) -> Job:
    return await jobs.wait_for_job(
        runtime.uow, runtime.bus, job.id, actor=actor, within=runtime.settings.bot_job_wait
    )


def _pending(job: Job) -> JSONResponse:
    """Still queued or running: the task to poll at ``/tasks/{id}``."""
    body = {"task_id": job.id, "task_status": rules.CELERY_STATUS[job.status]}
    return JSONResponse(body, status_code=202)


# --- bots -----------------------------------------------------------------------------------


# The bodies' models document the routes too (resolvers/rest/endpoints/bots.py): pydantic's
# lax reading, as FastAPI's, also takes a number written as a string and "true"/"false".


class NewBot(BaseModel):
    alias: str
    description: str = Field(description="May be empty.")
    token: str = Field(description="The bot's token from @BotFather (never shown whole).")
    name: str = Field(description="May be empty: Telegram's name of the bot then.")


class BotChanges(BaseModel):
    alias: str | None = None
    description: str | None = None
    name: str | None = None
    is_active: bool | None = None
    # Refused when sent: a new token goes through POST /bots/ (Telegram checks it first).
    token: object = Field(None, description="Refused (422): a new token goes through POST /bots/.")


def bot_json(bot: bots.BotView) -> dict[str, Any]:
    return {
        "id": bot.id,
        "alias": bot.alias,
        "description": bot.description,
        "name": bot.name,
        "token": bot.token,  # masked: BotView never holds a whole token
        "telegram_id": bot.telegram_id,
        "username": bot.username,
        "bot_link": f"@{bot.username}",
        "is_active": bot.is_active,
        "created_at": iso(bot.created_at),
        "updated_at": iso(bot.updated_at),
    }


def _bot_id(request: Request) -> int:
    return _path_int(request, "bot_id", low=1, high=INT32, missing=BotNotFound())


@fastapi_view
async def bots_collection(request: Request) -> Response:
    actor, runtime = await _actor(request), _runtime(request)
    if request.method in READS:
        async with runtime.uow() as uow:
            found = await bots.list_bots(uow, runtime.secrets, actor=actor)
        return JSONResponse([bot_json(bot) for bot in found])
    given = await _body(request, NewBot)
    async with runtime.uow() as uow:
        job = await bots.request_bot(
            uow,
            runtime.secrets,
            actor=actor,
            token=given.token,
            alias=given.alias,
            description=given.description,
            name=given.name,
        )
    job = await _waited(runtime, job, actor)
    if job.status is JobStatus.SUCCEEDED:
        return JSONResponse({"status": "ok", "data": job.result})
    if job.status in {JobStatus.FAILED, JobStatus.RETRYING}:
        # Refused by Telegram, or Telegram unreachable (the job keeps retrying: its end is
        # at /tasks/{id}).
        body = {"status": "error", "message": job.error or "Telegram did not answer."}
        return JSONResponse(body, status_code=503)
    return _pending(job)


@fastapi_view
async def bot(request: Request) -> Response:
    actor, runtime = await _actor(request), _runtime(request)
    bot_id = _bot_id(request)
    if request.method in READS:
        async with runtime.uow() as uow:
            found = await bots.get_bot(uow, runtime.secrets, actor=actor, bot_id=bot_id)
        return JSONResponse(bot_json(found))
    if request.method == "DELETE":
        async with runtime.uow() as uow:
            await bots.delete_bot(uow, actor=actor, bot_id=bot_id)
        return JSONResponse({"status": "ok"})
    changes = await _body(request, BotChanges)
    if "token" in changes.model_fields_set:
        message = "A new token is registered with POST /bots/: Telegram checks it first."
        raise Unprocessable([_problem("value_error", ["body", "token"], message)])
    async with runtime.uow() as uow:
        changed = await bots.update_bot(
            uow,
            runtime.secrets,
            actor=actor,
            bot_id=bot_id,
            alias=changes.alias,
            description=changes.description,
            name=changes.name,
            is_active=changes.is_active,
        )
    return JSONResponse(bot_json(changed))


# --- channel links --------------------------------------------------------------------------


class NewChannel(BaseModel):
    channel: str = Field(description="A t.me link, @username, a t.me/c/... link or the id.")
    bot_id: BotId | None = Field(
        None, description="The bot to post with; none: the active bot with fewest channels."
    )


def link_json(link: ChannelLink, bot_usernames: dict[int, str]) -> dict[str, Any]:
    username = bot_usernames.get(link.bot_id)
    return {
        "id": link.id,
        "channel_id": link.channel_id,
        "channel": link.channel_ref,
        "title": link.title,
        "username": link.username,
        "bot_id": link.bot_id,
        "bot_link": None if username is None else f"@{username}",
        "status": link.status.value,
        "reason": link.reason,
        "last_checked_at": None if link.last_checked_at is None else iso(link.last_checked_at),
        "created_at": iso(link.created_at),
        "updated_at": iso(link.updated_at),
    }


async def _bot_usernames(runtime: Runtime, actor: Actor) -> dict[int, str]:
    async with runtime.uow() as uow:
        return {
            bot.id: bot.username for bot in await bots.list_bots(uow, runtime.secrets, actor=actor)
        }


@fastapi_view
async def channels(request: Request) -> Response:
    actor, runtime = await _actor(request), _runtime(request)
    if request.method in READS:
        async with runtime.uow() as uow:
            found = await bots.list_links(uow, actor=actor)
        usernames = await _bot_usernames(runtime, actor)
        return JSONResponse([link_json(link, usernames) for link in found])
    given = await _body(request, NewChannel)
    async with runtime.uow() as uow:
        job = await bots.request_link(uow, actor=actor, channel=given.channel, bot_id=given.bot_id)
    job = await _waited(runtime, job, actor)
    if job.status is JobStatus.SUCCEEDED:
        return JSONResponse(job.result)
    if job.status is JobStatus.FAILED:
        return _link_failure(job.error or ChannelUnresolvable.default_message)
    if job.status is JobStatus.RETRYING:  # Telegram unreachable, or a flood wait
        return JSONResponse({"message": job.error}, status_code=503)
    return _pending(job)


def _link_failure(error: str) -> JSONResponse:
    """A failed link job's answer: the caller's conflicts and a bot gone meanwhile as if
    raised here; anything else (unresolvable, Telegram) the legacy 503."""
    if error in _CONFLICTS:
        return JSONResponse({"detail": error}, status_code=409)
    if error == BotNotFound().message:
        return JSONResponse({"detail": error}, status_code=404)
    return JSONResponse({"message": error}, status_code=503)


@fastapi_view
async def channel(request: Request) -> Response:
    """GET: the link serving the channel of this Telegram id (else its latest)."""
    actor, runtime = await _actor(request), _runtime(request)
    channel_id = _path_int(request, "tg_id", low=-INT64 - 1, high=INT64, missing=LinkNotFound())
    async with runtime.uow() as uow:
        found = await bots.get_channel(uow, actor=actor, channel_id=channel_id)
    return JSONResponse(link_json(found, await _bot_usernames(runtime, actor)))


@fastapi_view
async def channel_link(request: Request) -> Response:
    """DELETE: deactivates the link of this id, or (a negative id, as Telegram's channel ids
    are) the link serving that channel."""
    actor, runtime = await _actor(request), _runtime(request)
    given = _path_int(request, "link_id", low=-INT64 - 1, high=INT64, missing=LinkNotFound())
    async with runtime.uow() as uow:
        if given < 0:
            link_id = (await bots.get_channel(uow, actor=actor, channel_id=given)).id
        elif given <= INT32:
            link_id = given
        else:
            raise LinkNotFound(given)
        done = await bots.deactivate_link(uow, actor=actor, link_id=link_id)
    return JSONResponse(link_json(done, await _bot_usernames(runtime, actor)))


# --- posting --------------------------------------------------------------------------------


class NewPost(BaseModel):
    channel_id: ChannelId = Field(description="The channel's Telegram id.")
    message: str = Field(description="Telegram markdown, up to 4096 characters.")


@fastapi_view
async def messages(request: Request) -> Response:
    """Queues the post; its outcome (or a readable error) is at ``/tasks/{id}``."""
    actor, runtime = await _actor(request), _runtime(request)
    given = await _body(request, NewPost)
    async with runtime.uow() as uow:
        job = await bots.queue_post(
            uow, actor=actor, channel_id=given.channel_id, text=given.message
        )
    return JSONResponse({"task_id": job.id})
