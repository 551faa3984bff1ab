"""GraphQL shapes of the invite service (legacy 004, admins only): its settings, stats and
history, the log of every invite attempt, the mutations of the dashboard and its live events.

A log row is a node keyed by its integer id (``InviteLog:7``); its ``taskId`` is the id the
legacy routes and the text lines show (the original's task id). The accounts inviting are the
``TelegramAccount`` nodes, with their invite profile (quota, invites left, pause, analytics).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from typing_extensions import override

from domain.invites.rules import HistoryPeriod, log_line
from domain.invites.rules import InviteStatus as StatusModel
from schema.context import Info
from schema.errors import NotFoundError, ValidationError
from schema.relay import global_id, int_nodes
from schema.telegram import TelegramAccount

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.invites.events import InviteLogged
    from domain.invites.model import InviteLog as LogModel
    from domain.invites.model import InviteSettings as SettingsModel

InviteStatus = strawberry.enum(
    StatusModel,
    name="InviteStatus",
    description="A phone's outcome: INVITED into the channel, LINK_SENT (the failure message "
    "with the channel's invite link), FAILED (see reason) or SKIPPED (already invited).",
)
InviteHistoryPeriod = strawberry.enum(
    HistoryPeriod,
    name="InviteHistoryPeriod",
    description="DAY: hourly buckets over the last 24 hours; WEEK: daily buckets over the "
    "last 7 days (today included).",
)


@strawberry.type(description="The invite settings of the deployment (one set), as admins set them.")
class InviteSettings:
    channel_username: str = strawberry.field(
        description="The public channel invited into, by username (no @); empty: none yet "
        "(the queue waits)."
    )
    failure_message: str = strawberry.field(
        description="Sent when an invite is refused; {{channel}} becomes the invite link."
    )
    queue_threshold: int = strawberry.field(
        description="A queue longer than this raises an alert (InviteQueueAlert)."
    )
    pause_min_seconds: float = strawberry.field(
        description="The shortest random pause between Telegram calls."
    )
    pause_max_seconds: float = strawberry.field(
        description="The longest random pause between Telegram calls."
    )
    only_message_bot: bool = strawberry.field(
        description="Send the failure message only, never invite."
    )
    invite_and_message: bool = strawberry.field(
        description="Invite and send the failure message too."
    )
    updated_at: datetime

    @classmethod
    def from_model(cls, row: SettingsModel) -> InviteSettings:
        return cls(
            channel_username=row.channel_username,
            failure_message=row.failure_message,
            queue_threshold=row.queue_threshold,
            pause_min_seconds=row.pause_min_seconds,
            pause_max_seconds=row.pause_max_seconds,
            only_message_bot=row.only_message_bot,
            invite_and_message=row.invite_and_message,
            updated_at=row.updated_at,
        )


@strawberry.type(description="Log rows by status, and the queue now.")
class InviteStats:
    invited: int
    link_sent: int
    failed: int
    skipped: int
    queue_length: int = strawberry.field(description="Phones waiting to be invited.")
    queue_threshold: int
    over_threshold: bool = strawberry.field(description="queueLength > queueThreshold.")


@strawberry.type(description="Log rows written in one hour (DAY) or one UTC day (WEEK).")
class InviteHistoryBucket:
    timestamp: str = strawberry.field(
        description="The bucket as the legacy route names it: YYYY-MM-DDTHH:00:00Z for an "
        "hour, YYYY-MM-DD for a day."
    )
    start: datetime
    count: int


@strawberry.type(description="One invite attempt's outcome (a row of the invite log).")
class InviteLog(relay.Node):
    id: relay.NodeID[str]
    task_id: str = strawberry.field(
        description="The attempt's id as the legacy routes and log lines show it."
    )
    account_id: strawberry.ID | None = strawberry.field(
        description="The global ID of the TelegramAccount that tried; null when none did "
        "(skipped) or the account is gone."
    )
    account_name: str | None = strawberry.field(
        description="The account's phone as it was when the row was written."
    )
    channel_username: str
    phone: str = strawberry.field(description="E.164.")
    status: InviteStatus  # type: ignore[valid-type]
    reason: str | None = strawberry.field(
        description="Why: not_telegram_user, already_invited, Telegram's refusal…"
    )
    created_at: datetime
    line: str = strawberry.field(description="The row as a line of the legacy /api/logs text.")
    account_key: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The account that tried, while it exists.")
    async def account(self, info: Info) -> TelegramAccount | None:
        if self.account_key is None:
            return None
        [found] = await TelegramAccount.resolve_nodes(info=info, node_ids=[str(self.account_key)])
        return found

    @classmethod
    def from_model(cls, row: LogModel) -> InviteLog:
        return cls._of(
            key=row.id,
            task_id=row.task_id,
            account_id=row.account_id,
            account_name=row.account_name,
            channel=row.channel_username,
            phone=row.phone,
            status=row.status,
            reason=row.reason,
            created_at=row.created_at,
        )

    @classmethod
    def from_event(cls, event: InviteLogged) -> InviteLog:
        return cls._of(
            key=event.id,
            task_id=event.task_id,
            account_id=event.account_id,
            account_name=event.account_name,
            channel=event.channel_username,
            phone=event.phone,
            status=StatusModel(event.status),
            reason=event.reason,
            created_at=event.created_at,
        )

    @classmethod
    def _of(
        cls,
        *,
        key: int,
        task_id: uuid.UUID,
        account_id: uuid.UUID | None,
        account_name: str | None,
        channel: str,
        phone: str,
        status: StatusModel,
        reason: str | None,
        created_at: datetime,
    ) -> InviteLog:
        return cls(
            id=str(key),
            task_id=str(task_id),
            account_id=None if account_id is None else global_id("TelegramAccount", account_id),
            account_name=account_name,
            channel_username=channel,
            phone=phone,
            status=status,
            reason=reason,
            created_at=created_at,
            line=log_line(created_at, status.value, phone, account_name, channel, reason or ""),
            account_key=account_id,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[InviteLog | None]:
        return await int_nodes(info, info.context.loaders.invite_logs, node_ids, cls.from_model)


@strawberry.type(description="A phone of queueInvites that is no phone number, by its position.")
class InvitePhoneProblem:
    index: int = strawberry.field(description="Its position in the input's phones, from 0.")
    message: str


# --- events ---------------------------------------------------------------------------------


@strawberry.type(description="A log row was written: one phone's outcome.")
class InviteLogWritten:
    log: InviteLog


@strawberry.type(description="The number of phones waiting changed.")
class InviteQueueLengthChanged:
    queue_length: int
    queue_threshold: int
    over_threshold: bool = strawberry.field(description="queueLength > queueThreshold.")


@strawberry.type(description="The queue went over queueThreshold (once per crossing).")
class InviteQueueAlert:
    queue_length: int
    queue_threshold: int
    at: datetime


InviteEvent = Annotated[
    InviteLogWritten | InviteQueueLengthChanged | InviteQueueAlert,
    strawberry.union("InviteEvent", description="What the invite dashboard follows live."),
]


# --- filters and inputs ---------------------------------------------------------------------


@strawberry.input(description="Log rows matching every condition given.")
class InviteLogFilter:
    statuses: list[InviteStatus] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Any of these outcomes."
    )
    phone: str | None = strawberry.field(default=None, description="A part of the phone.")
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="A TelegramAccount's global ID: the rows of that account."
    )
    since: datetime | None = strawberry.field(
        default=None, description="Written at or after (no offset: UTC)."
    )
    until: datetime | None = strawberry.field(
        default=None, description="Written before (no offset: UTC)."
    )


@strawberry.input
class UpdateInviteSettingsInput:
    channel_username: str = strawberry.field(
        description="name, @name or https://t.me/name; empty: no channel (the queue waits)."
    )
    failure_message: str = strawberry.field(
        description="Some text (at most 4096 characters); {{channel}} becomes the invite link "
        "(without it the link goes on a line of its own)."
    )
    queue_threshold: int = strawberry.field(description="0 or more.")
    pause_min_seconds: float = strawberry.field(description="0 to 3600, at most the maximum.")
    pause_max_seconds: float = strawberry.field(description="0 to 3600.")
    only_message_bot: bool
    invite_and_message: bool = strawberry.field(description="Not both with onlyMessageBot.")


@strawberry.input
class PauseTelegramAccountInput:
    account_id: strawberry.ID = strawberry.field(description="A TelegramAccount's global ID.")
    seconds: int = strawberry.field(
        description="1 to 2592000 (30 days). A longer pause already set stays."
    )
    reason: str | None = strawberry.field(
        default=None, description="Shown as pauseReason (at most 200 characters)."
    )


@strawberry.input
class ResumeTelegramAccountInput:
    account_id: strawberry.ID = strawberry.field(description="A TelegramAccount's global ID.")


@strawberry.input
class SetInviteQuotaInput:
    account_id: strawberry.ID = strawberry.field(description="A TelegramAccount's global ID.")
    quota: int = strawberry.field(description="Invites a day, 0 to 10000.")


@strawberry.input
class RetryFailedInvitesInput:
    since: datetime | None = strawberry.field(
        default=None, description="Only phones whose failure was logged since (no offset: UTC)."
    )
    phones: list[str] | None = strawberry.field(
        default=None, description="Only these phones (1 to 1000); null: every failed phone."
    )


@strawberry.input
class QueueInvitesInput:
    phones: list[str] = strawberry.field(
        description="1 to 1000 phone numbers; without a country code they are read in the "
        "deployment's default region (TGHUB_INVITE_DEFAULT_REGION)."
    )


# --- payloads ---------------------------------------------------------------------------------


@strawberry.type
class UpdateInviteSettingsSuccess:
    settings: InviteSettings


@strawberry.type
class PauseTelegramAccountSuccess:
    account: TelegramAccount


@strawberry.type
class ResumeTelegramAccountSuccess:
    account: TelegramAccount


@strawberry.type
class SetInviteQuotaSuccess:
    account: TelegramAccount


@strawberry.type
class RetryFailedInvitesSuccess:
    queued: int = strawberry.field(description="Phones queued again (those waiting already not).")


@strawberry.type
class QueueInvitesSuccess:
    queued: list[str] = strawberry.field(description="Phones queued now, as E.164.")
    already_queued: list[str] = strawberry.field(
        description="Phones waiting already: not queued twice."
    )
    problems: list[InvitePhoneProblem] = strawberry.field(
        description="The items that are no phone number (the rest were queued)."
    )


UpdateInviteSettingsPayload = Annotated[
    UpdateInviteSettingsSuccess | ValidationError, strawberry.union("UpdateInviteSettingsPayload")
]
PauseTelegramAccountPayload = Annotated[
    PauseTelegramAccountSuccess | ValidationError | NotFoundError,
    strawberry.union("PauseTelegramAccountPayload"),
]
ResumeTelegramAccountPayload = Annotated[
    ResumeTelegramAccountSuccess | ValidationError | NotFoundError,
    strawberry.union("ResumeTelegramAccountPayload"),
]
SetInviteQuotaPayload = Annotated[
    SetInviteQuotaSuccess | ValidationError | NotFoundError,
    strawberry.union("SetInviteQuotaPayload"),
]
RetryFailedInvitesPayload = Annotated[
    RetryFailedInvitesSuccess | ValidationError, strawberry.union("RetryFailedInvitesPayload")
]
QueueInvitesPayload = Annotated[
    QueueInvitesSuccess | ValidationError, strawberry.union("QueueInvitesPayload")
]
