"""The invite service (legacy 004) for admins: settings, stats, history, the log, the accounts
inviting, the dashboard's mutations and the ``inviteEvents`` subscription.

Resolvers translate: global IDs in, the viewer as the actor, one service call, the result
rendered. The services speak of an ``account`` (a Telegram account); errors name this API's
``TelegramAccount``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import strawberry

from domain.invites import service as invites
from domain.invites.events import CHANNEL, InviteLogged, QueueAlert, QueueLengthChanged
from domain.invites.rules import HistoryPeriod, InviteStatus, SettingsValues
from domain.telegram import service as telegram
from domain.text import check_storable
from resolvers.connections import page_of
from resolvers.errors import told_in_names
from resolvers.events import decoded
from resolvers.permissions import require_viewer
from resolvers.times import utc_input
from schema.context import Info
from schema.invites import (
    InviteEvent,
    InviteHistoryBucket,
    InviteLog,
    InviteLogFilter,
    InviteLogWritten,
    InvitePhoneProblem,
    InviteQueueAlert,
    InviteQueueLengthChanged,
    InviteSettings,
    InviteStats,
    PauseTelegramAccountInput,
    PauseTelegramAccountPayload,
    PauseTelegramAccountSuccess,
    QueueInvitesInput,
    QueueInvitesPayload,
    QueueInvitesSuccess,
    ResumeTelegramAccountInput,
    ResumeTelegramAccountPayload,
    ResumeTelegramAccountSuccess,
    RetryFailedInvitesInput,
    RetryFailedInvitesPayload,
    RetryFailedInvitesSuccess,
    SetInviteQuotaInput,
    SetInviteQuotaPayload,
    SetInviteQuotaSuccess,
    UpdateInviteSettingsInput,
    UpdateInviteSettingsPayload,
    UpdateInviteSettingsSuccess,
)
from schema.invites import InviteHistoryPeriod as InviteHistoryPeriodEnum
from schema.permissions import admin_only
from schema.relay import Connection, id_of
from schema.telegram import TelegramAccount

if TYPE_CHECKING:
    import uuid
    from contextlib import AbstractContextManager

    from domain.events import Event

# The services' entity names, as this API calls them.
TYPE_NAMES = {"account": "TelegramAccount"}


def told_in_api_names(*, query: bool = False) -> AbstractContextManager[None]:
    """Domain errors in this API's names (``told_in_names``); the services' field names are
    the inputs' already (camel-cased by the error table)."""
    return told_in_names(TYPE_NAMES, lambda field, messages: (field, messages), query=query)


def _account_id(value: strawberry.ID) -> uuid.UUID:
    return id_of(value, "TelegramAccount", "accountId")


def log_filter(given: InviteLogFilter | None) -> invites.LogFilter:
    if given is None:
        return invites.LogFilter()
    check_storable("phone", given.phone)
    account = None if given.account_id is None else _account_id(given.account_id)
    return invites.LogFilter(
        statuses=None if given.statuses is None else [InviteStatus(s) for s in given.statuses],
        phone=given.phone,
        account_id=account,
        since=utc_input(given.since, "since"),
        until=utc_input(given.until, "until"),
    )


def settings_values(given: UpdateInviteSettingsInput) -> SettingsValues:
    check_storable("channelUsername", given.channel_username)
    return SettingsValues(
        channel_username=given.channel_username,
        failure_message=given.failure_message,
        queue_threshold=given.queue_threshold,
        pause_min_seconds=given.pause_min_seconds,
        pause_max_seconds=given.pause_max_seconds,
        only_message_bot=given.only_message_bot,
        invite_and_message=given.invite_and_message,
    )


def _stats(found: invites.Stats) -> InviteStats:
    return InviteStats(
        invited=found.counts[InviteStatus.INVITED],
        link_sent=found.counts[InviteStatus.LINK_SENT],
        failed=found.counts[InviteStatus.FAILED],
        skipped=found.counts[InviteStatus.SKIPPED],
        queue_length=found.queue_length,
        queue_threshold=found.queue_threshold,
        over_threshold=found.over_threshold,
    )


@strawberry.type
class InvitesQuery:
    @strawberry.field(description="The invite settings.", extensions=admin_only())
    async def invite_settings(self, info: Info) -> InviteSettings:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            found = await invites.get_settings(uow, actor=viewer)
        return InviteSettings.from_model(found)

    @strawberry.field(
        description="Log rows by status, and the queue's length against its threshold.",
        extensions=admin_only(),
    )
    async def invite_stats(self, info: Info) -> InviteStats:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            found = await invites.stats(uow, actor=viewer)
        return _stats(found)

    @strawberry.field(
        description="Log rows per hour over the last 24 hours (DAY) or per UTC day over the "
        "last 7 days (WEEK): buckets with rows only, oldest first.",
        extensions=admin_only(),
    )
    async def invite_history(
        self,
        info: Info,
        period: InviteHistoryPeriodEnum = HistoryPeriod.DAY,  # type: ignore[valid-type]
    ) -> list[InviteHistoryBucket]:
        viewer = require_viewer(info.context)
        now = info.context.auth.clock.now()
        async with info.context.uow() as uow:
            buckets = await invites.history(
                uow, actor=viewer, period=HistoryPeriod(period), now=now
            )
        return [
            InviteHistoryBucket(timestamp=b.label, start=b.start, count=b.count) for b in buckets
        ]

    @strawberry.field(description="The invite log, newest first (by id).", extensions=admin_only())
    async def invite_logs(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: InviteLogFilter | None = None,
    ) -> Connection[InviteLog]:
        return await page_of(
            info,
            first,
            after,
            lambda uow, page, actor: invites.log_page(
                uow, actor=actor, log_filter=log_filter(filter), page=page
            ),
            InviteLog.from_model,
            invites.log_cursor,
            told=told_in_api_names(query=True),
        )

    @strawberry.field(
        description="The accounts serving invites (signed in or not), by phone, with their "
        "quota, invites left and pause.",
        extensions=admin_only(),
    )
    async def invite_accounts(self, info: Info) -> list[TelegramAccount]:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            found = await invites.invite_accounts(uow, actor=viewer)
        return [TelegramAccount.from_model(account) for account in found]


@strawberry.type
class InvitesMutation:
    @strawberry.mutation(
        description="Replace the invite settings; nothing is stored unless every field passes.",
        extensions=admin_only(),
    )
    async def update_invite_settings(
        self, info: Info, input: UpdateInviteSettingsInput
    ) -> UpdateInviteSettingsPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            values = settings_values(input)
            async with info.context.uow() as uow:
                updated = await invites.update_settings(uow, actor=viewer, values=values)
        return UpdateInviteSettingsSuccess(settings=InviteSettings.from_model(updated))

    @strawberry.mutation(
        description="Dispatchers (invites, mailings) leave the account alone for this long. A "
        "longer pause already set (Telegram's, or an earlier one) stays: resume first to "
        "shorten one.",
        extensions=admin_only(),
    )
    async def pause_telegram_account(
        self, info: Info, input: PauseTelegramAccountInput
    ) -> PauseTelegramAccountPayload:
        viewer = require_viewer(info.context)
        now = info.context.auth.clock.now()
        with told_in_api_names():
            account_id = _account_id(input.account_id)
            async with info.context.uow() as uow:
                account = await invites.pause_account(
                    uow,
                    actor=viewer,
                    account_id=account_id,
                    seconds=input.seconds,
                    reason=input.reason,
                    now=now,
                )
        return PauseTelegramAccountSuccess(account=TelegramAccount.from_model(account))

    @strawberry.mutation(
        description="End the account's pause now, whoever set it (Telegram's limits still "
        "apply: a FloodWait it has not waited out pauses it again).",
        extensions=admin_only(),
    )
    async def resume_telegram_account(
        self, info: Info, input: ResumeTelegramAccountInput
    ) -> ResumeTelegramAccountPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            account_id = _account_id(input.account_id)
            async with info.context.uow() as uow:
                account = await telegram.resume_account(uow, actor=viewer, account_id=account_id)
        return ResumeTelegramAccountSuccess(account=TelegramAccount.from_model(account))

    @strawberry.mutation(
        description="Set the account's daily invite quota; what it used today still counts.",
        extensions=admin_only(),
    )
    async def set_invite_quota(
        self, info: Info, input: SetInviteQuotaInput
    ) -> SetInviteQuotaPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            account_id = _account_id(input.account_id)
            async with info.context.uow() as uow:
                account = await telegram.set_invite_quota(
                    uow, actor=viewer, account_id=account_id, quota=input.quota
                )
        return SetInviteQuotaSuccess(account=TelegramAccount.from_model(account))

    @strawberry.mutation(
        description="Queue again the phones whose latest outcome is FAILED (every one, those "
        "failed since, or only these phones), unless waiting already.",
        extensions=admin_only(),
    )
    async def retry_failed_invites(
        self, info: Info, input: RetryFailedInvitesInput
    ) -> RetryFailedInvitesPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            since = utc_input(input.since, "since")
            async with info.context.uow() as uow:
                queued = await invites.retry_failed(
                    uow,
                    actor=viewer,
                    since=since,
                    phones=None if input.phones is None else list(input.phones),
                    region=info.context.invite_region,
                )
        return RetryFailedInvitesSuccess(queued=queued)

    @strawberry.mutation(
        description="Queue phones to invite, as the webhook does: stored before the answer, "
        "never queued twice while waiting; items that are no phone are named, the rest "
        "queued.",
        extensions=admin_only(),
    )
    async def queue_invites(self, info: Info, input: QueueInvitesInput) -> QueueInvitesPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            async with info.context.uow() as uow:
                accepted = await invites.accept_phones(
                    uow, actor=viewer, phones=list(input.phones), region=info.context.invite_region
                )
        return QueueInvitesSuccess(
            queued=accepted.queued,
            already_queued=accepted.waiting,
            problems=[
                InvitePhoneProblem(index=index, message=message)
                for index, message in sorted(accepted.problems.items())
            ],
        )


def _event(event: Event) -> InviteEvent | None:
    if isinstance(event, InviteLogged):
        return InviteLogWritten(log=InviteLog.from_event(event))
    if isinstance(event, QueueLengthChanged):
        return InviteQueueLengthChanged(
            queue_length=event.queue_length,
            queue_threshold=event.threshold,
            over_threshold=event.over_threshold,
        )
    if isinstance(event, QueueAlert):
        return InviteQueueAlert(
            queue_length=event.queue_length, queue_threshold=event.threshold, at=event.at
        )
    return None


@strawberry.type
class InvitesSubscription:
    @strawberry.subscription(
        description="The invite dashboard's news as it happens: log rows written, the "
        "queue's length changing, and an alert when it goes over the threshold.",
        extensions=admin_only(),
    )
    async def invite_events(self, info: Info) -> AsyncGenerator[InviteEvent, None]:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:  # the service decides, once
            await invites.queue_length(uow, actor=viewer)
        async with info.context.events.subscribe(CHANNEL) as messages:
            async for text in messages:
                event = decoded(text)
                shown = None if event is None else _event(event)
                if shown is not None:
                    yield shown
