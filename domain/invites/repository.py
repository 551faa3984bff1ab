"""SQL of the invite service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sqlalchemy import String, Uuid, bindparam, exists, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from domain import pages
from domain.invites import rules
from domain.invites.model import InviteLog, InviteRequest, InviteSettings, InviteStatus
from domain.types import Page

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy import Table
    from sqlalchemy.ext.asyncio import AsyncSession

    from domain.types import PageRequest

REQUESTS = cast("Table", InviteRequest.__table__)
LOGS = cast("Table", InviteLog.__table__)


# -- settings -------------------------------------------------------------------------------------


async def settings(session: AsyncSession, *, for_update: bool = False) -> InviteSettings:
    """The one settings row; made with the defaults if it is missing (the migration makes it;
    an emptied table must not stop the service)."""
    query = select(InviteSettings).where(InviteSettings.id == 1)
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is not None:
        return found
    await session.execute(
        pg_insert(InviteSettings)
        .values(id=1, failure_message=rules.DEFAULT_FAILURE_MESSAGE)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return (await session.execute(query)).scalar_one()


# -- the queue ------------------------------------------------------------------------------------

# One statement whatever the batch's size (prepared once): the phones not already waiting
# are queued; the partial unique index decides between concurrent calls.
_ENQUEUE = (
    pg_insert(REQUESTS)
    .from_select(
        ["phone", "task_id"],
        select(
            func.unnest(bindparam("phones", type_=ARRAY(String))).label("phone"),
            func.unnest(bindparam("task_ids", type_=ARRAY(Uuid))).label("task_id"),
        ),
    )
    .on_conflict_do_nothing(index_elements=["phone"], index_where=text("done_at IS NULL"))
    .returning(REQUESTS.c.phone)
)


async def enqueue(session: AsyncSession, phones: Sequence[str]) -> set[str]:
    """Queue each phone not already waiting; the phones queued now."""
    task_ids = [uuid.uuid4() for _ in phones]
    rows = await session.execute(_ENQUEUE, {"phones": list(phones), "task_ids": task_ids})
    return set(rows.scalars())


async def queue_length(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(REQUESTS).where(REQUESTS.c.done_at.is_(None))
    )
    return int(count or 0)


@dataclass(frozen=True)
class Claimed:
    """A request claimed for one account: what its job needs."""

    id: int
    task_id: uuid.UUID
    phone: str
    attempts: int


# A request ready to go through the claimer: waiting, due, not held by a live claim, and
# unbound, bound to the claimer, or bound to an account that left the pool (a resend goes
# through the account that tried: Telegram matches a repeated random_id per account).
_CLAIM = text(
    """
    UPDATE invite_requests SET account_id = :claimer, claimed_until = :until,
                               attempts = attempts + 1
    WHERE id = (
        SELECT id FROM invite_requests
        WHERE done_at IS NULL
          AND (claimed_until IS NULL OR claimed_until < :now)
          AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
          AND (account_id IS NULL OR account_id = :claimer OR account_id <> ALL(:pool))
        ORDER BY id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, task_id, phone, attempts
    """
).bindparams(bindparam("pool", type_=ARRAY(Uuid)))


async def claim(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    pool: Sequence[uuid.UUID],
    now: datetime,
    until: datetime,
) -> Claimed | None:
    """Claim the oldest request ready for ``account_id`` (see ``_CLAIM``), counting the try."""
    values = {"claimer": account_id, "pool": list(pool), "now": now, "until": until}
    row = (await session.execute(_CLAIM, values)).one_or_none()
    return None if row is None else Claimed(*row)


async def release(
    session: AsyncSession,
    request_id: int,
    *,
    retry_at: datetime | None,
    error: str | None,
    unbind: bool,
) -> None:
    """Give a claimed request back to the queue, not before ``retry_at``. ``unbind``: nothing
    reached Telegram through the account (it was stopped before), so any account may take it;
    its try does not count."""
    values: dict[str, object] = {
        "claimed_until": None,
        "next_attempt_at": retry_at,
        "last_error": error,
    }
    if unbind:
        values |= {"account_id": None, "attempts": func.greatest(REQUESTS.c.attempts - 1, 0)}
    await session.execute(
        update(REQUESTS)
        .where(REQUESTS.c.id == request_id, REQUESTS.c.done_at.is_(None))
        .values(**values)
    )


async def work_ready(session: AsyncSession, now: datetime) -> bool:
    """Whether some waiting request may be claimed now (by some account)."""
    query = select(
        exists().where(
            REQUESTS.c.done_at.is_(None),
            or_(REQUESTS.c.claimed_until.is_(None), REQUESTS.c.claimed_until < now),
            or_(REQUESTS.c.next_attempt_at.is_(None), REQUESTS.c.next_attempt_at <= now),
        )
    )
    return bool(await session.scalar(query))


async def already_invited(session: AsyncSession, channel: str, phone: str) -> bool:
    query = select(
        exists().where(
            LOGS.c.channel_username == channel,
            LOGS.c.phone == phone,
            LOGS.c.status == InviteStatus.INVITED,
        )
    )
    return bool(await session.scalar(query))


@dataclass(frozen=True)
class Outcome:
    request: Claimed
    status: InviteStatus
    channel: str
    account_id: uuid.UUID | None
    account_name: str | None
    reason: str | None = None


async def finish(session: AsyncSession, outcome: Outcome, now: datetime) -> InviteLog | None:
    """Write the request's log row and take it off the queue; None when it is off already
    (another pass finished it: nothing is written twice)."""
    done = await session.scalar(
        update(REQUESTS)
        .where(REQUESTS.c.id == outcome.request.id, REQUESTS.c.done_at.is_(None))
        .values(done_at=now, claimed_until=None)
        .returning(REQUESTS.c.id)
    )
    if done is None:
        return None
    row = InviteLog(
        task_id=outcome.request.task_id,
        request_id=outcome.request.id,
        account_id=outcome.account_id,
        account_name=outcome.account_name,
        channel_username=outcome.channel,
        phone=outcome.request.phone,
        status=outcome.status,
        reason=outcome.reason,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def requeue_failed(
    session: AsyncSession, *, since: datetime | None, phones: Sequence[str] | None
) -> int:
    """Queue again every phone whose latest log row is ``failed`` (optionally only rows since
    ``since`` or only these phones) and that is not waiting already; the number queued."""
    latest = (
        select(LOGS.c.phone, LOGS.c.status, LOGS.c.created_at)
        .distinct(LOGS.c.phone)
        .order_by(LOGS.c.phone, LOGS.c.created_at.desc(), LOGS.c.id.desc())
    )
    if phones is not None:
        latest = latest.where(LOGS.c.phone.in_(list(phones)))
    latest_rows = latest.subquery()
    failed = select(latest_rows.c.phone).where(latest_rows.c.status == InviteStatus.FAILED)
    if since is not None:
        failed = failed.where(latest_rows.c.created_at >= since)
    chosen = list((await session.execute(failed)).scalars())
    if not chosen:
        return 0
    return len(await enqueue(session, chosen))


# -- logs, stats, history -------------------------------------------------------------------------


async def counts(session: AsyncSession) -> dict[InviteStatus, int]:
    rows = await session.execute(select(LOGS.c.status, func.count()).group_by(LOGS.c.status))
    return rules.counts_by_status({str(status): count for status, count in rows})


async def history(session: AsyncSession, since: datetime, unit: str) -> list[tuple[datetime, int]]:
    """Log rows per ``unit`` (hour or day, UTC) since ``since``: non-empty buckets, oldest
    first."""
    bucket = func.date_trunc(unit, func.timezone("UTC", LOGS.c.created_at)).label("bucket")
    query = (
        select(bucket, func.count())
        .where(LOGS.c.created_at >= since)
        .group_by(bucket)
        .order_by(bucket)
    )
    return [(start, int(count)) for start, count in await session.execute(query)]


async def recent_logs(session: AsyncSession, limit: int) -> list[InviteLog]:
    """The newest ``limit`` rows, oldest first."""
    query = select(InviteLog).order_by(InviteLog.id.desc()).limit(limit)
    rows = list((await session.execute(query)).scalars())
    rows.reverse()
    return rows


@dataclass(frozen=True)
class LogFilter:
    statuses: Sequence[InviteStatus] | None = None
    phone: str | None = None  # a part of the phone
    account_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query, log_filter: LogFilter):  # type: ignore[no-untyped-def]
    if log_filter.statuses:
        query = query.where(InviteLog.status.in_(list(log_filter.statuses)))
    if log_filter.phone:
        escaped = log_filter.phone.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(InviteLog.phone.like(f"%{escaped}%"))
    if log_filter.account_id is not None:
        query = query.where(InviteLog.account_id == log_filter.account_id)
    if log_filter.since is not None:
        query = query.where(InviteLog.created_at >= log_filter.since)
    if log_filter.until is not None:
        query = query.where(InviteLog.created_at < log_filter.until)
    return query


async def log_page(
    session: AsyncSession, log_filter: LogFilter, page: PageRequest
) -> Page[InviteLog]:
    """Newest first, by id (a cursor is the last id shown)."""
    query = _filtered(select(InviteLog), log_filter).order_by(InviteLog.id.desc())
    after = pages.cursor_id(page.after, big=True)
    if after is not None:
        query = query.where(InviteLog.id < after)
    rows = list((await session.execute(query.limit(page.first + 1))).scalars())
    total = await session.scalar(_filtered(select(func.count()).select_from(InviteLog), log_filter))
    return Page(items=rows[: page.first], has_next=len(rows) > page.first, total=total or 0)


async def filtered_logs(
    session: AsyncSession, log_filter: LogFilter, limit: int
) -> list[InviteLog]:
    """The newest ``limit`` rows matching, oldest first."""
    query = _filtered(select(InviteLog), log_filter).order_by(InviteLog.id.desc()).limit(limit)
    rows = list((await session.execute(query)).scalars())
    rows.reverse()
    return rows


async def log_batches(session: AsyncSession, after: int, size: int) -> list[InviteLog]:
    """Rows after id ``after``, oldest first: a CSV export reads every row this way."""
    query = select(InviteLog).where(InviteLog.id > after).order_by(InviteLog.id).limit(size)
    return list((await session.execute(query)).scalars())


async def analytics(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], since: datetime
) -> list[tuple[uuid.UUID, datetime, InviteStatus, int]]:
    """Log rows per account, UTC day and status since ``since``."""
    day = func.date_trunc("day", func.timezone("UTC", LOGS.c.created_at)).label("day")
    query = (
        select(LOGS.c.account_id, day, LOGS.c.status, func.count())
        .where(LOGS.c.account_id.in_(list(account_ids)), LOGS.c.created_at >= since)
        .group_by(LOGS.c.account_id, day, LOGS.c.status)
        .order_by(LOGS.c.account_id, day)
    )
    return [
        (account_id, start, InviteStatus(status), int(count))
        for account_id, start, status, count in await session.execute(query)
    ]
