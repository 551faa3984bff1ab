"""Seed 002 (Bots and channels): bots, their channel links, posting and ``/tasks/{id}``,
declared once (routes, document, answer check).

The original was a FastAPI service: a bad body, field or path id is 422 with FastAPI's list
of problems (never 400), a conflict with what is stored 409. ``/tasks/{id}`` answers as the
other groups do (its errors in DRF's shape, which FastAPI's ``{"detail": "..."}`` shares).
``/channels/{id}/`` is two endpoints, GET by the channel's Telegram id and DELETE by the
link's id: the document shows them as one path (``/channels/{tg_id}/``) with both methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from resolvers.rest import bots
from resolvers.rest.contract import (
    JSON,
    Answer,
    Auth,
    Detail,
    Endpoint,
    Operation,
    Shape,
    System,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

CALLERS = (Auth.BEARER, Auth.BASIC)
WHO = (
    "An admin, by a Bearer token or HTTP Basic; anyone once the operator opened the bots group"
    " (TGHUB_LEGACY_OPEN), though a signed-in non-admin is still refused."
)
TASK_READERS = (
    "An admin, by a Bearer token or HTTP Basic; once the operator opened the bots group,"
    " anyone, a signed-in non-admin seeing their own tasks only (others' are 404)."
)
ISO = "ISO 8601, UTC."


class Problem(Shape):
    """One thing wrong with the request, as FastAPI named it (the input is never echoed)."""

    type: str = Field(description="pydantic's error type (`missing`, `int_parsing`, ...).")
    loc: list[str | int] = Field(description="Where: `body` or `path`, then the field.")
    msg: str


class Problems(Shape):
    detail: list[Problem]


UNPROCESSABLE = Answer(422, "A bad body, field or path id: FastAPI's list of problems.", Problems)


class Bot(Shape):
    id: int
    alias: str
    description: str
    name: str
    token: str = Field(description="Masked: `<bot id>:****<last 4>`, never whole.")
    telegram_id: int
    username: str
    bot_link: str = Field(description="`@` and the bot's username.")
    is_active: bool
    created_at: str = Field(description=ISO)
    updated_at: str = Field(description=ISO)


class RegisteredBot(Shape):
    id: int
    new: bool = Field(description="False: a bot Telegram knows already was updated.")


class Registered(Shape):
    status: Literal["ok"]
    data: RegisteredBot


class TelegramRefused(Shape):
    status: Literal["error"]
    message: str = Field(description="Telegram's refusal, or that it did not answer.")


class Pending(Shape):
    """The job has not finished within TGHUB_BOT_JOB_WAIT: its outcome is at /tasks/{id}."""

    task_id: str
    task_status: Literal["PENDING", "STARTED"]


class StatusOk(Shape):
    status: Literal["ok"]


class ChannelLink(Shape):
    id: int
    channel_id: int | None = Field(description="The channel's Telegram id, once resolved.")
    channel: str = Field(description="The channel as it was given.")
    title: str = Field(description="Empty until the channel is resolved.")
    username: str | None
    bot_id: int
    bot_link: str | None = Field(description="`@` and the bot's username.")
    status: Literal["new", "active", "invalid", "inactive"] = Field(
        description="new until the bot may post; invalid with a reason; inactive once deleted."
    )
    reason: str | None = Field(description="Why the link is invalid.")
    last_checked_at: str | None = Field(description=ISO)
    created_at: str = Field(description=ISO)
    updated_at: str = Field(description=ISO)


class LinkAdded(Shape):
    channel_id: int
    bot_link: str
    message: str = Field(description="Telling to make the bot an admin of the channel.")
    task_id: str


class LinkFailed(Shape):
    message: str = Field(description="Why the channel could not be linked (yet).")


class PostQueued(Shape):
    task_id: str = Field(description="The post's outcome is at /tasks/{task_id}/.")


class Task(Shape):
    task_id: str
    task_status: Literal["PENDING", "STARTED", "RETRY", "SUCCESS", "FAILURE"] = Field(
        description="Celery's names: queued, running, waiting to retry, done, failed."
    )
    task_result: Any = Field(
        description="The task's result; for RETRY and FAILURE the error text; null before."
    )


PENDING = Answer(202, "Still running when the wait ended: poll /tasks/{task_id}/.", Pending)
BOT_ID = {"bot_id": int}
CHANNEL_ID = {"tg_id": int}
LINK_ID = {"link_id": int}


def endpoints() -> list[Endpoint]:
    return [
        Endpoint(
            "/bots/",
            bots.bots_collection,
            {
                "GET": _operation("Every bot, by id", Answer(200, "The bots.", list[Bot])),
                "POST": _operation(
                    "Register a bot",
                    Answer(
                        200, "Registered, or updated when Telegram knew it already.", Registered
                    ),
                    PENDING,
                    Answer(
                        503,
                        "Telegram refused the token, or was unreachable (the job retries).",
                        TelegramRefused | Detail,
                    ),
                    body=bots.NewBot,
                    description="Telegram checks the token first; the call waits for it"
                    " (TGHUB_BOT_JOB_WAIT seconds).",
                ),
            },
            System.BOTS,
        ),
        Endpoint(
            "/bots/{bot_id}/",
            bots.bot,
            {
                "GET": _operation("One bot", Answer(200, "The bot.", Bot), path=BOT_ID),
                "PATCH": _operation(
                    "Change a bot",
                    Answer(200, "The bot changed.", Bot),
                    body=bots.BotChanges,
                    path=BOT_ID,
                ),
                "DELETE": _operation(
                    "Delete a bot",
                    Answer(200, "Deleted.", StatusOk),
                    Answer(409, "The bot serves a channel.", Detail),
                    path=BOT_ID,
                ),
            },
            System.BOTS,
        ),
        Endpoint(
            "/channels/",
            bots.channels,
            {
                "GET": _operation(
                    "Every channel link, by id", Answer(200, "The links.", list[ChannelLink])
                ),
                "POST": _operation(
                    "Link a channel to a bot",
                    Answer(200, "Linked: the bot must now be made an admin.", LinkAdded),
                    PENDING,
                    Answer(404, "No bot of this bot_id.", Detail),
                    Answer(409, "Linked already, no active bot, or the bot inactive.", Detail),
                    Answer(
                        503,
                        "The bot cannot resolve the channel, or Telegram was unreachable.",
                        LinkFailed | Detail,
                    ),
                    body=bots.NewChannel,
                    description="The bot resolves the channel; the call waits for it"
                    " (TGHUB_BOT_JOB_WAIT seconds).",
                ),
            },
            System.BOTS,
        ),
        Endpoint(
            "/channels/{tg_id}/",
            bots.channel,
            {
                "GET": _operation(
                    "The link of a channel",
                    Answer(200, "The link serving the channel, else its latest.", ChannelLink),
                    path=CHANNEL_ID,
                )
            },
            System.BOTS,
        ),
        Endpoint(
            "/channels/{link_id}/",
            bots.channel_link,
            {
                "DELETE": _operation(
                    "Deactivate a channel link",
                    Answer(200, "The link, now inactive.", ChannelLink),
                    path=LINK_ID,
                    description="The path's id is the link's id, or a channel's Telegram id"
                    " (negative, as Telegram's channel ids are) for the link serving it. The"
                    " channel may then be linked again.",
                )
            },
            System.BOTS,
        ),
        Endpoint(
            "/messages/",
            bots.messages,
            {
                "POST": _operation(
                    "Post into a channel",
                    Answer(200, "Queued.", PostQueued),
                    body=bots.NewPost,
                    description="The bot of the channel's active link posts it; an empty or"
                    " too long text, or a channel no active link serves, fails the task.",
                )
            },
            System.BOTS,
        ),
        Endpoint(
            "/tasks/{task_id}/",
            bots.task_status,
            {
                "GET": Operation(
                    "A task's status and result",
                    (Answer(200, "The task.", Task),),
                    auth=CALLERS,
                    description=f"{TASK_READERS} Task ids are GraphQL's Task.taskId too.",
                )
            },
            System.BOTS,
        ),
    ]


def _operation(
    summary: str,
    *answers: Answer,
    body: object = None,
    path: Mapping[str, Any] | None = None,
    description: str = "",
) -> Operation:
    """An operation of the FastAPI routes: a refused body or path id is 422."""
    refusals = (UNPROCESSABLE,) if body is not None or path else ()
    return Operation(
        summary,
        (*answers, *refusals),
        auth=CALLERS,
        body=body,
        body_media=(JSON,),
        path=path or {},
        description=f"{description} {WHO}".strip(),
        refused=UNPROCESSABLE,
    )
