"""Seed 004 (Invites): the webhook and the dashboard's reads, declared once (routes, document,
answer check). Its ``/api/...`` names are none of the messenger's (001) or the mailing
service's (003) ``/api/...`` routes, and no ``{id}`` route of theirs matches them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from resolvers.rest import invites
from resolvers.rest.contract import (
    CSV,
    TEXT,
    Answer,
    Auth,
    Detail,
    Endpoint,
    Handler,
    Operation,
    Shape,
    System,
)

READERS = (Auth.BEARER, Auth.BASIC, Auth.PAGE_SESSION)
WEBHOOK_CALLERS = (Auth.WEBHOOK_SECRET, Auth.WEBHOOK_SECRET_QUERY, Auth.BEARER, Auth.BASIC)
OPEN_GROUP = (
    " Anyone may call it once the operator opened the invites group (TGHUB_LEGACY_OPEN_GROUPS)."
)
PHONE = "A phone in international form (+7 999 …) or local to TGHUB_INVITE_DEFAULT_REGION."


class WebhookQuery(Shape):
    phone: str | None = Field(None, description=f"{PHONE} Read only when the body names none.")


class WebhookBody(Shape):
    """One phone, or a batch of up to 1,000 (not both)."""

    phone: str | int | None = Field(None, description=PHONE)
    phones: list[str | int] | None = Field(None, max_length=1000)


class Ignored(Shape):
    status: Literal["ignored"] = Field(description="The call named no phone.")


class BadItem(Shape):
    index: int
    phone: str | int | float | None = Field(description="The item as sent (shortened).")
    error: str


class Queued(Shape):
    status: Literal["queued"]
    queued: list[str] = Field(description="The phones queued by this call, in E.164.")
    already_queued: list[str] = Field(description="Phones already waiting: not queued twice.")
    invalid: list[BadItem] = Field(description="The items that are no phone, by position.")


class Health(Shape):
    status: Literal["ok"]


class QueueLength(Shape):
    queue_length: int


class Stats(Shape):
    invited: int
    link_sent: int
    failed: int
    skipped: int
    queue_length: int


class HistoryQuery(Shape):
    period: Literal["day", "week"] = Field(
        "day",
        description=(
            "day: hourly counts over 24 hours; week: daily counts over 7 days. Read leniently,"
            " as the original did: case and surrounding spaces are ignored, blank is day."
        ),
    )


class Bucket(Shape):
    timestamp: str = Field(
        description="The bucket's start: `2026-12-07T13:00:00Z` by the hour, `2026-12-07` by day."
    )
    count: int


class LogsQuery(Shape):
    limit: int | None = Field(None, ge=1, le=1000, description="How many rows (default 100).")


class Account(Shape):
    name: str = Field(description="The account's phone.")
    last_used: str | None = Field(description="When it last invited someone (ISO 8601, UTC).")
    invites_left: int


RATE_LIMITED = Answer(
    429, "Over the calls allowed a minute.", Detail, headers={"Retry-After": "Seconds to wait."}
)


def endpoints() -> list[Endpoint]:
    return [
        Endpoint(
            "/webhook/",
            invites.webhook,
            {
                method: Operation(
                    "Queue phones for an invite",
                    (
                        Answer(200, "Queued (or ignored: no phone named).", Queued | Ignored),
                        RATE_LIMITED,
                    ),
                    auth=WEBHOOK_CALLERS,
                    query=WebhookQuery,
                    body=None if method == "GET" else WebhookBody,
                    description="Stored before the answer." + OPEN_GROUP,
                )
                for method in ("GET", "POST")
            },
            System.INVITES,
        ),
        Endpoint(
            "/api/health/",
            invites.health,
            {"GET": Operation("Liveness", (Answer(200, "Alive.", Health),), auth=())},
            System.INVITES,
        ),
        _read("/api/queue_length/", invites.queue_length, "Phones waiting", QueueLength),
        _read("/api/stats/", invites.stats, "Log rows by status, and the queue", Stats),
        _read(
            "/api/stats/history/",
            invites.stats_history,
            "Invites over time",
            list[Bucket],
            query=HistoryQuery,
        ),
        Endpoint(
            "/api/logs/",
            invites.logs,
            {
                "GET": Operation(
                    "The newest log rows as text, oldest first",
                    (Answer(200, "One line per row.", str, media_type=TEXT),),
                    auth=READERS,
                    query=LogsQuery,
                )
            },
            System.INVITES,
        ),
        Endpoint(
            "/api/logs/csv/",
            invites.logs_csv,
            {
                "GET": Operation(
                    "Every log row as CSV",
                    (
                        Answer(
                            200,
                            "`invite_logs.csv`, streamed.",
                            str,
                            media_type=CSV,
                            headers={"Content-Disposition": "attachment; filename=..."},
                        ),
                    ),
                    auth=READERS,
                )
            },
            System.INVITES,
        ),
        _read("/api/accounts/", invites.accounts, "The accounts serving invites", list[Account]),
    ]


def _read(
    path: str, handler: Handler, summary: str, shape: object, query: type[Shape] | None = None
) -> Endpoint:
    """A read of the dashboard: admins, the pages' session, or anyone when the group is open."""
    operation = Operation(
        summary,
        (Answer(200, "Found.", shape),),
        auth=READERS,
        query=query,
        description=OPEN_GROUP.strip(),
    )
    return Endpoint(path, handler, {"GET": operation}, System.INVITES)
