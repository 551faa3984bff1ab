"""Invite dispatch: the queued phones go out through the pool of Telegram accounts, one at a
time per account, in the flow of the original (legacy 004):

skipped if already invited to the channel → import the phone as a contact (no Telegram
account: ``failed``, ``not_telegram_user``) → pause → by the settings, invite and/or send the
failure message with the channel's invite link (a privacy refusal gets the link:
``link_sent``) → remove the temporary contact → write the log row → pause again.

One ``Dispatcher.run`` is one pass of the one dispatcher of a deployment (the worker holds a
lease around it); each pass first watches the queue (its length and the threshold alert).
The database is the truth and every step a short transaction, so a pass killed anywhere
leaves nothing a later pass cannot finish:

- a request is **claimed** (bound to an account, held until a deadline, its try counted)
  before any Telegram call, so two passes never work on it at once;
- a dead pass's claim lapses, and the request goes again through the same account (while it
  still serves invites): importing a contact and inviting a member are no-ops the second
  time, and the message goes under the request's ``random_id``, which Telegram delivers once
  per account;
- the log row and the request's end are written in one transaction, at most once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from domain import senders
from domain.access import System
from domain.errors import DomainError, ExternalUnavailable, NotFound, RateLimited
from domain.invites import repository, rules
from domain.invites.events import InviteLogged, QueueAlert, QueueLengthChanged
from domain.invites.repository import Claimed, Outcome
from domain.invites.rules import InviteStatus, SettingsValues
from domain.telegram import service as telegram
from domain.telegram.service import PrivacyRestricted

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from domain.invites.model import InviteLog
    from domain.ports import Clock, SecretBox, TelegramGateway
    from domain.telegram.model import AccountCredentials, TelegramAccount
    from domain.types import TelegramID
    from domain.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

DISPATCHER = System("invite dispatch")
# Seconds before a request goes again when the channel could not be found.
CHANNEL_MISSING_RETRY = 60.0
# Pauses between Telegram calls are random (a human-like rhythm), not secret.
_rhythm = random.Random()  # noqa: S311


@dataclass(frozen=True)
class DispatchOptions:
    # How long a claim holds beyond the pauses the settings ask for.
    claim_seconds: float = 60.0
    # How long an account flagged for spam (PeerFlood) is left alone.
    peer_flood_pause: float = 6 * 3600.0
    # How long an account that may not invite into the channel is left alone (an admin can
    # resume it at once after making it an admin).
    not_admin_pause: float = 3600.0
    # How often a pass looks for work and idle accounts.
    poll_interval: float = 1.0


@dataclass
class PassReport:
    """What one pass did (for logs and tests)."""

    logged: dict[str, int] = field(default_factory=dict)
    retried: int = 0
    paused: list[str] = field(default_factory=list)


class AccountStopped(Exception):
    """Telegram stopped the account (pause, revoked session, no right): it takes nothing more
    in this pass, and the request goes back to the queue for another account."""

    def __init__(self, cause: DomainError, retry_after: float = 0.0) -> None:
        super().__init__(cause.message)
        self.cause = cause
        self.retry_after = retry_after


class Dispatcher:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: TelegramGateway,
        box: SecretBox,
        clock: Clock,
        options: DispatchOptions,
    ) -> None:
        self._uow, self._gateway, self._box, self._clock = uow, gateway, box, clock
        self._options = options
        self._report = PassReport()

    async def run(self, seconds: float) -> PassReport:
        """Dispatch while there is work, for at most about ``seconds``; an idle pass ends at
        once (the next tick looks again). Requests being worked on finish first."""
        self._report = PassReport()
        await senders.run_pass(
            seconds, self._options.poll_interval, self.watch_queue, self._keep_senders
        )
        return self._report

    async def watch_queue(self) -> None:
        """Announce the queue's length when it changed, and an alert when it went over the
        threshold (once per crossing)."""
        async with self._uow() as uow:
            settings = await repository.settings(uow.session, for_update=True)
            length = await repository.queue_length(uow.session)
            over = length > settings.queue_threshold
            if length != settings.queue_length_seen:
                uow.emit(QueueLengthChanged(length, settings.queue_threshold))
                settings.queue_length_seen = length
            if over and not settings.queue_over_threshold:
                uow.emit(QueueAlert(length, settings.queue_threshold, self._clock.now()))
            settings.queue_over_threshold = over
            await uow.commit()

    async def _keep_senders(self, running: senders.Senders, deadline: float) -> bool:
        """A sender for each account that may invite now and has none running (least
        recently used first), when the queue holds work and a channel is set. False when
        nothing is left to do in this pass."""
        now = self._clock.now()
        async with self._uow() as uow:
            settings = await repository.settings(uow.session)
            ready = bool(settings.channel_username) and await repository.work_ready(
                uow.session, now
            )
            ready_accounts = await telegram.invite_pool(uow, actor=DISPATCHER, now=now)
            pool = await telegram.pool(uow, actor=DISPATCHER, use=telegram.AccountUse.INVITES)
            await uow.commit()
        if ready:
            await self._start_senders(running, ready_accounts, [a.id for a in pool], deadline)
        return senders.any_running(running)

    async def _start_senders(
        self,
        running: senders.Senders,
        accounts: Sequence[TelegramAccount],
        pool: Sequence[uuid.UUID],
        deadline: float,
    ) -> None:
        """Each idle account, least recently used first, claims its first request here, one
        after the other, and only then gets a sender: the order of the pool decides who
        invites when there is less work than accounts."""
        for account in accounts:
            if senders.is_running(running, account.id):
                continue
            try:
                creds = telegram.credentials(self._box, account)
            except DomainError as exc:
                log.warning("Telegram account %s cannot invite: %s", account.phone, exc.message)
                continue
            first = await self._claim(account.id, pool)
            if first is not None:
                senders.keep_sender(
                    running,
                    account.id,
                    functools.partial(self._invite_through, account, creds, pool, deadline, first),
                    "an invite sender",
                )

    # -- one account ------------------------------------------------------------------------

    async def _invite_through(
        self,
        account: TelegramAccount,
        creds: AccountCredentials,
        pool: Sequence[uuid.UUID],
        deadline: float,
        first: tuple[Claimed, SettingsValues],
    ) -> None:
        """One account's sender: work its first request, pause, claim the next; until
        nothing is left for it, its quota is used up, the pass ends or Telegram stops it."""
        loop = asyncio.get_running_loop()
        claimed: tuple[Claimed, SettingsValues] | None = first
        while claimed is not None:
            request, settings = claimed
            try:
                left = await self._work(account, creds, request, settings)
            except AccountStopped as stop:
                await self._stop(account, request, stop)
                return
            if (left is not None and left <= 0) or loop.time() >= deadline:
                return
            await _pause(settings)
            claimed = await self._claim(account.id, pool)

    async def _claim(
        self, account_id: uuid.UUID, pool: Sequence[uuid.UUID]
    ) -> tuple[Claimed, SettingsValues] | None:
        now = self._clock.now()
        async with self._uow() as uow:
            settings = await repository.settings(uow.session)
            if not settings.channel_username:
                return None
            hold = self._options.claim_seconds + 2 * settings.pause_max_seconds
            request = await repository.claim(
                uow.session,
                account_id=account_id,
                pool=pool,
                now=now,
                until=now + timedelta(seconds=hold),
            )
            if request is not None:
                await telegram.mark_invite_use(
                    uow, actor=DISPATCHER, account_id=account_id, now=now
                )
            await uow.commit()
        return None if request is None else (request, rules.settings_values(settings))

    async def _work(
        self,
        account: TelegramAccount,
        creds: AccountCredentials,
        request: Claimed,
        settings: SettingsValues,
    ) -> int | None:
        """Work one claimed request to its log row (or back to the queue); the account's
        invites left when it counted one."""
        channel = settings.channel_username
        async with self._uow() as uow:
            invited_before = await repository.already_invited(uow.session, channel, request.phone)
        if invited_before:
            await self._finish(
                account, request, channel, InviteStatus.SKIPPED, rules.ALREADY_INVITED
            )
            return None
        try:
            status, reason = await self._invite(creds, request, settings)
        except AccountStopped:
            raise
        except ExternalUnavailable as exc:
            if request.attempts < rules.MAX_ATTEMPTS:
                await self._retry(request, exc.message)
                return None
            status, reason = InviteStatus.FAILED, exc.message
        except DomainError as exc:  # Telegram refused this invite for good
            status, reason = InviteStatus.FAILED, exc.message
        except Exception:
            log.exception("invite request %s failed", request.id)
            await self._retry(request, "Internal error while inviting.")
            return None
        return await self._finish(account, request, channel, status, reason)

    async def _invite(
        self, creds: AccountCredentials, request: Claimed, settings: SettingsValues
    ) -> tuple[InviteStatus, str | None]:
        """The Telegram side of one request: what became of it, and why."""
        try:
            user = await self._gateway.import_phone(creds, request.phone)
            if user is None:
                return InviteStatus.FAILED, rules.NOT_TELEGRAM_USER
            try:
                await _pause(settings)
                return await self._invite_user(creds, request, settings, user.id)
            finally:
                await self._forget_contact(creds, user.id)
        except DomainError as exc:
            stop = _account_stop(exc, settings.channel_username)
            if stop is not None:
                raise stop from exc
            raise

    async def _invite_user(
        self,
        creds: AccountCredentials,
        request: Claimed,
        settings: SettingsValues,
        user_id: TelegramID,
    ) -> tuple[InviteStatus, str | None]:
        channel = settings.channel_username
        if settings.only_message_bot:
            await self._send_link(creds, request, settings, user_id)
            return InviteStatus.LINK_SENT, None
        try:
            outcome = await self._gateway.invite_to_channel(creds, channel, user_id)
        except PrivacyRestricted:
            await self._send_link(creds, request, settings, user_id)
            return InviteStatus.LINK_SENT, PrivacyRestricted.code
        if settings.invite_and_message:
            await self._send_link(creds, request, settings, user_id)
        if not outcome.invited and request.attempts <= 1:
            # A member already (joined on their own): nothing to count.
            return InviteStatus.SKIPPED, rules.ALREADY_MEMBER
        # Invited now, or by this request's earlier try that a crash kept from its log row.
        return InviteStatus.INVITED, None

    async def _send_link(
        self,
        creds: AccountCredentials,
        request: Claimed,
        settings: SettingsValues,
        user_id: TelegramID,
    ) -> None:
        link = await self._gateway.export_invite_link(creds, settings.channel_username)
        text = rules.failure_text(settings.failure_message, link)
        await self._gateway.send_message(
            creds, str(user_id), text, random_id=rules.random_id(request.id)
        )

    async def _forget_contact(self, creds: AccountCredentials, user_id: TelegramID) -> None:
        """Remove the temporary contact. Its failure costs nothing but a contact left behind
        (a retry would repeat invites and messages Telegram already has): logged, not raised."""
        try:
            await self._gateway.delete_contact(creds, user_id)
        except DomainError as exc:
            log.warning("could not remove a temporary contact of %s: %s", creds.phone, exc.message)

    # -- outcomes ---------------------------------------------------------------------------

    async def _finish(
        self,
        account: TelegramAccount,
        request: Claimed,
        channel: str,
        status: InviteStatus,
        reason: str | None,
    ) -> int | None:
        """The log row, the request off the queue and (for a real invite) one invite less of
        the account's quota, in one transaction; the invites left when one was counted."""
        now = self._clock.now()
        outcome = Outcome(request, status, channel, account.id, account.phone, reason)
        left = None
        async with self._uow() as uow:
            row = await repository.finish(uow.session, outcome, now)
            if row is not None:
                if status is InviteStatus.INVITED:
                    left = await telegram.count_invite(uow, actor=DISPATCHER, account_id=account.id)
                uow.emit(_logged(row))
            await uow.commit()
        self._report.logged[status.value] = self._report.logged.get(status.value, 0) + 1
        return left

    async def _retry(self, request: Claimed, error: str) -> None:
        delay = rules.retry_delay(request.attempts)
        async with self._uow() as uow:
            await repository.release(
                uow.session,
                request.id,
                retry_at=self._clock.now() + timedelta(seconds=delay),
                error=error,
                unbind=False,
            )
            await uow.commit()
        self._report.retried += 1

    async def _stop(self, account: TelegramAccount, request: Claimed, stop: AccountStopped) -> None:
        """Give the request back (to any account, after Telegram's wait) and take the account
        out: paused for Telegram's wait, for hours after PeerFlood or an hour without the
        right to invite; signed out when its session was revoked."""
        now = self._clock.now()
        cause = stop.cause
        async with self._uow() as uow:
            retry_at = now + timedelta(seconds=stop.retry_after) if stop.retry_after else None
            await repository.release(
                uow.session, request.id, retry_at=retry_at, error=cause.message, unbind=True
            )
            await uow.commit()
            self._report.retried += 1
            paused = await telegram.take_out_of_pool(
                uow,
                actor=DISPATCHER,
                account=account,
                cause=cause,
                pause_seconds=self._pause_seconds(stop),
                now=now,
            )
        if paused:
            self._report.paused.append(account.phone)

    def _pause_seconds(self, stop: AccountStopped) -> float:
        if isinstance(stop.cause, RateLimited):
            return stop.cause.retry_after
        if isinstance(stop.cause, telegram.PeerFlood):
            return self._options.peer_flood_pause
        return self._options.not_admin_pause


def _account_stop(exc: DomainError, channel: str) -> AccountStopped | None:
    """The refusals that concern the account or the settings, not the person: the account
    stops and the request goes back to the queue."""
    if isinstance(exc, RateLimited):
        # FloodWait: the request waits Telegram's seconds, the account too.
        return AccountStopped(exc, retry_after=exc.retry_after)
    if isinstance(exc, telegram.PeerFlood | telegram.AccountSessionRevoked):
        return AccountStopped(exc)
    if isinstance(exc, telegram.ChatAdminRequired):
        message = f"The account may not invite users into @{channel} (not its admin)."
        return AccountStopped(telegram.ChatAdminRequired(message))
    if isinstance(exc, NotFound) and exc.entity == "channel":
        # The channel is gone or misnamed: nobody can be invited until the settings change.
        return AccountStopped(exc, retry_after=CHANNEL_MISSING_RETRY)
    return None


async def _pause(settings: SettingsValues) -> None:
    low, high = settings.pause_min_seconds, settings.pause_max_seconds
    if high > 0:
        await asyncio.sleep(_rhythm.uniform(low, high))


def _logged(row: InviteLog) -> InviteLogged:
    return InviteLogged(
        id=row.id,
        task_id=row.task_id,
        account_id=row.account_id,
        account_name=row.account_name,
        channel_username=row.channel_username,
        phone=row.phone,
        status=row.status.value,
        reason=row.reason,
        created_at=row.created_at,
    )
