"""Use cases of the invite service (legacy 004): settings, the webhook's queue, logs, stats and
the accounts' invite profile. The invites themselves go out in ``domain.invites.dispatch``.

Everything here is an admin's (or, for the legacy group opened by the operator, a guest's);
the webhook also takes calls that present the shared secret (``WEBHOOK``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from domain.access import System, admits, require_admin, require_admitted
from domain.errors import Invalid
from domain.invites import repository, rules
from domain.invites.model import InviteLog, InviteSettings, InviteStatus
from domain.invites.repository import LogFilter
from domain.invites.rules import HistoryPeriod, SettingsValues
from domain.telegram import service as telegram

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from domain.access import Actor
    from domain.settings import LegacyGroup
    from domain.types import Page, PageRequest
    from domain.uow import SqlAlchemyUnitOfWork

__all__ = [
    "HistoryPeriod",
    "InviteLog",
    "InviteSettings",
    "InviteStatus",
    "LogFilter",
    "SettingsValues",
]

GROUP: LegacyGroup = "invites"
# A caller of the webhook that presented the shared secret: it may queue phones, nothing else
# (the transports give this actor only to the webhook).
WEBHOOK = System("invite webhook")
# The service reading the accounts' invite profile on behalf of an admitted actor.
SERVICE = System("invite service")
# The most log rows one read returns as text (``/api/logs``, ``/logs``).
MAX_RECENT = 1000
DEFAULT_RECENT = 100
ANALYTICS_MAX_DAYS = 90


# -- settings -----------------------------------------------------------------------------------


async def get_settings(uow: SqlAlchemyUnitOfWork, *, actor: Actor) -> InviteSettings:
    require_admitted(actor, GROUP)
    found = await repository.settings(uow.session)
    await uow.commit()  # the row may have just been made
    return found


async def update_settings(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, values: SettingsValues
) -> InviteSettings:
    """An admin replaces the settings; every field is checked first and nothing is stored
    unless all pass. Commits."""
    require_admin(actor)
    values = _with_channel(values)
    Invalid.check(rules.settings_errors(values))
    row = await repository.settings(uow.session, for_update=True)
    for name in rules.SETTINGS_FIELDS:
        setattr(row, name, getattr(values, name))
    row.updated_by = actor.user_id
    row.updated_at = datetime.now(UTC)
    await uow.commit()
    return row


def _with_channel(values: SettingsValues) -> SettingsValues:
    """The channel as its bare lower-case username; its error joins the others'."""
    try:
        channel = rules.channel_username(values.channel_username)
    except Invalid as exc:
        errors = rules.settings_errors(values) | exc.field_errors
        raise Invalid(errors) from None
    return dataclasses.replace(values, channel_username=channel)


# -- the webhook --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """What a webhook call did: phones queued now, phones already waiting (not queued twice),
    and the problem of each item that is no phone, by its position in the call."""

    queued: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    problems: dict[int, str] = field(default_factory=dict)

    @property
    def accepted(self) -> list[str]:
        return [*self.queued, *self.waiting]


async def accept_phones(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, phones: list[object], region: str
) -> Accepted:
    """Queue the phones (normalised to E.164; read in ``region`` without a country code),
    durably: committed before this returns. A phone still waiting is not queued again; a
    phone already invited is queued all the same (its job logs ``skipped``). Items that are
    no phone are named, and the rest are queued. Invalid when the call names no phone or too
    many. Commits."""
    if not (actor is WEBHOOK or admits(actor, GROUP)):
        require_admitted(actor, GROUP)
    batch = rules.phone_batch(phones, region)
    queued = await repository.enqueue(uow.session, batch.phones) if batch.phones else set()
    await uow.commit()
    return Accepted(
        queued=[p for p in batch.phones if p in queued],
        waiting=[p for p in batch.phones if p not in queued],
        problems=batch.problems,
    )


# -- stats, history, logs -----------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    counts: dict[InviteStatus, int]
    queue_length: int
    queue_threshold: int

    @property
    def over_threshold(self) -> bool:
        return self.queue_length > self.queue_threshold


async def queue_length(uow: SqlAlchemyUnitOfWork, *, actor: Actor) -> int:
    require_admitted(actor, GROUP)
    return await repository.queue_length(uow.session)


async def stats(uow: SqlAlchemyUnitOfWork, *, actor: Actor) -> Stats:
    require_admitted(actor, GROUP)
    settings = await repository.settings(uow.session)
    await uow.commit()
    return Stats(
        counts=await repository.counts(uow.session),
        queue_length=await repository.queue_length(uow.session),
        queue_threshold=settings.queue_threshold,
    )


@dataclass(frozen=True)
class Bucket:
    start: datetime
    label: str
    count: int


async def history(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, period: HistoryPeriod, now: datetime
) -> list[Bucket]:
    """Log rows per hour over the last 24 hours, or per day over the last 7 days: non-empty
    buckets, oldest first."""
    require_admitted(actor, GROUP)
    since, unit = rules.history_window(period, now)
    rows = await repository.history(uow.session, since, unit)
    return [
        Bucket(start.replace(tzinfo=UTC), rules.bucket_label(period, start), count)
        for start, count in rows
    ]


def _recent_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_RECENT:
        raise Invalid.single("limit", f"Between 1 and {MAX_RECENT} rows.")
    return limit


async def recent_logs(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    limit: int = DEFAULT_RECENT,
    log_filter: LogFilter | None = None,
) -> list[InviteLog]:
    """The newest ``limit`` log rows (matching the filter), oldest first."""
    require_admitted(actor, GROUP)
    size = _recent_limit(limit)
    if log_filter is None:
        return await repository.recent_logs(uow.session, size)
    return await repository.filtered_logs(uow.session, log_filter, size)


async def log_page(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, log_filter: LogFilter, page: PageRequest
) -> Page[InviteLog]:
    """Log rows matching the filter, newest first."""
    require_admitted(actor, GROUP)
    return await repository.log_page(uow.session, log_filter, page)


async def log_batch(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, after: int, size: int
) -> list[InviteLog]:
    """The rows after id ``after``, oldest first (an export reads them all, a batch at a
    time, each in a short transaction of its own)."""
    require_admitted(actor, GROUP)
    return await repository.log_batches(uow.session, after, size)


async def visible_logs(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, InviteLog]:
    """These log rows by id, for an admin; for anyone else none exist."""
    if not actor.is_admin:
        return {}
    return await repository.logs_by_ids(uow.session, ids)


def log_cursor(row: InviteLog) -> tuple[str]:
    """A row's place in ``log_page`` (by id, newest first)."""
    return (str(row.id),)


def log_line(row: InviteLog) -> str:
    return rules.log_line(
        row.created_at,
        row.status.value,
        row.phone,
        row.account_name,
        row.channel_username,
        row.reason or "",
    )


# -- accounts -----------------------------------------------------------------------------------


async def invite_accounts(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor
) -> list[telegram.TelegramAccount]:
    """Every account serving invites (signed in or not), by phone: quotas and pauses are shown
    to whoever may see the dashboard (a guest of the opened group too)."""
    require_admitted(actor, GROUP)
    return await telegram.accounts_serving(uow, actor=SERVICE, use=telegram.AccountUse.INVITES)


@dataclass(frozen=True)
class DayCounts:
    day: datetime
    counts: dict[InviteStatus, int]


async def analytics(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    account_ids: Sequence[uuid.UUID],
    days: int,
    now: datetime,
) -> dict[uuid.UUID, list[DayCounts]]:
    """Per account, its log rows by status per UTC day over the last ``days`` days (days
    without rows left out), oldest first."""
    require_admin(actor)
    if not 1 <= days <= ANALYTICS_MAX_DAYS:
        raise Invalid.single("days", f"Between 1 and {ANALYTICS_MAX_DAYS} days.")
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    since = start - timedelta(days=days - 1)
    found: dict[uuid.UUID, dict[datetime, dict[InviteStatus, int]]] = {
        account_id: {} for account_id in account_ids
    }
    for account_id, day, status, count in await repository.analytics(
        uow.session, account_ids, since
    ):
        by_day = found[account_id].setdefault(day.replace(tzinfo=UTC), {})
        by_day[status] = count
    return {
        account_id: [DayCounts(day, _all_statuses(c)) for day, c in sorted(days_.items())]
        for account_id, days_ in found.items()
    }


def _all_statuses(counts: dict[InviteStatus, int]) -> dict[InviteStatus, int]:
    return {status: counts.get(status, 0) for status in InviteStatus}


# -- admin actions --------------------------------------------------------------------------------


async def pause_account(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    account_id: uuid.UUID,
    seconds: int,
    reason: str | None,
    now: datetime,
) -> telegram.TelegramAccount:
    """An admin pauses an account for ``seconds`` from ``now``: every dispatcher leaves it
    alone until then. A longer pause already set (Telegram's FloodWait or PeerFlood, or an
    earlier one) stays, with its reason: an admin shortens a pause by resuming the account
    first. Commits; the account as paused."""
    require_admin(actor)
    Invalid.check(rules.pause_errors(seconds, reason))
    return await telegram.pause_account(
        uow,
        actor=actor,
        account_id=account_id,
        until=now.astimezone(UTC) + timedelta(seconds=seconds),
        reason=rules.pause_reason(reason),
    )


async def retry_failed(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    since: datetime | None = None,
    phones: Sequence[object] | None = None,
    region: str = rules.DEFAULT_REGION,
) -> int:
    """Queue again the phones whose latest outcome is ``failed`` (all, those since ``since``,
    or only these phones), unless already waiting. Commits; the number queued."""
    require_admin(actor)
    chosen = None
    if phones is not None:
        batch = rules.phone_batch(list(phones), region)
        if batch.problems:
            raise Invalid.single("phones", next(iter(batch.problems.values())))
        chosen = batch.phones
    queued = await repository.requeue_failed(uow.session, since=since, phones=chosen)
    await uow.commit()
    return queued
