"""Mailing dispatch: start mailings at their start, send their deliveries through the pool of
Telegram accounts, expire what their window leaves, report progress.

One ``Dispatcher.run`` is one pass of the one dispatcher of a deployment (the worker holds a
lease around it). The database is the truth and every step is a short transaction, so a pass
killed anywhere leaves nothing a later pass cannot finish:

- a mailing is started (its clients matched into deliveries) in one statement, once;
- a delivery is **claimed** (bound to an account, held until a deadline) before its send, so
  two passes never send it at once; a dead pass's claims lapse and another claims them again;
- its ``random_id`` comes from the delivery, and a resend goes through the account that tried
  first (waiting for it while it is paused), so when a pass died between Telegram's answer
  and its commit, Telegram recognises the resend and delivers nothing new;
- outcomes are written per claimed batch, so a crash costs at most a batch of resends, each
  recognised as above.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from domain import senders
from domain.access import System
from domain.errors import DomainError, ExternalUnavailable, RateLimited
from domain.mailing import repository, rules
from domain.mailing.events import MailingProgress
from domain.mailing.model import DeliveryStatus
from domain.mailing.repository import Claimed, Outcome
from domain.telegram import service as telegram

if TYPE_CHECKING:
    import uuid
    from collections.abc import Collection, Sequence
    from datetime import datetime

    from domain.ports import Clock, SecretBox, TelegramGateway
    from domain.telegram.model import AccountCredentials, TelegramAccount
    from domain.uow import SqlAlchemyUnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

DISPATCHER = System("mailing dispatch")
# Mailings started per housekeeping round (each is one INSERT … SELECT).
START_BATCH = 20


@dataclass(frozen=True)
class DispatchOptions:
    # Seconds between two sends of one account (0: as fast as Telegram lets it).
    pacing: float = 1.0
    # Deliveries claimed at once by one account (fewer with pacing: about 5 s of sends).
    claim_batch: int = 1000
    # How long a claim holds beyond the time its batch's pacing needs.
    claim_seconds: float = 60.0
    # How long an account flagged for spam (PeerFlood) is left alone.
    peer_flood_pause: float = 6 * 3600.0
    # How often a pass looks for mailings to start or expire and for idle accounts' work;
    # a running mailing's progress event goes out this often too.
    poll_interval: float = 1.0

    def batch_size(self) -> int:
        if self.pacing <= 0:
            return self.claim_batch
        return max(1, min(self.claim_batch, int(5.0 / self.pacing)))

    def claim_hold(self, batch: int) -> timedelta:
        return timedelta(seconds=self.claim_seconds + batch * self.pacing)


@dataclass
class PassReport:
    """What one pass did (for logs and tests)."""

    started: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    paused: list[str] = field(default_factory=list)


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
        self._dirty: set[int] = set()
        self._report = PassReport()
        # When each account may send next (event-loop time): the pacing.
        self._next_send: dict[uuid.UUID, float] = {}
        # The last delivery each account claimed in this pass: its next claim starts there.
        self._cursors: dict[uuid.UUID, int] = {}

    async def run(self, seconds: float) -> PassReport:
        """Dispatch while there is work, for at most about ``seconds``: sends already claimed
        finish, then the claims left are given back. An idle pass ends at once (the next
        tick looks again)."""
        self._report = PassReport()
        await senders.run_pass(seconds, self._options.poll_interval, self._look, self._keep_senders)
        return self._report

    async def _look(self) -> None:
        await self.housekeep()
        await self.publish_progress()

    async def _keep_senders(self, running: senders.Senders, deadline: float) -> bool:
        """A sender for each unpaused account of the pool that has none running, when some
        delivery may go now. False when nothing is left to do in this pass."""
        now = self._clock.now()
        use = telegram.AccountUse.MAILINGS
        async with self._uow() as uow:
            ready = await repository.work_ready(uow.session, now)
            pool = await telegram.pool(uow, actor=DISPATCHER, use=use)
        if ready:
            # A delivery bound to a paused account waits for it (its first send may have
            # gone); only one bound to an account that left the pool is free for others.
            pool_ids = [account.id for account in pool]
            for account in _unpaused(pool, now):
                senders.keep_sender(
                    running,
                    account.id,
                    functools.partial(self._send_through, account, pool_ids, deadline),
                    "a mailing sender",
                )
        return senders.any_running(running)

    # -- housekeeping -----------------------------------------------------------------------

    async def housekeep(self) -> None:
        """Start the mailings whose start has come (matching their clients now), expire the
        deliveries whose window has closed, finish the mailings with nothing pending."""
        now = self._clock.now()
        async with self._uow() as uow:
            for mailing in await repository.mailings_to_start(uow.session, now, START_BATCH):
                ended = mailing.end_time <= now
                status = DeliveryStatus.EXPIRED if ended else DeliveryStatus.PENDING
                error = rules.WINDOW_CLOSED if ended else None
                await repository.create_deliveries(uow.session, mailing, status, error)
                mailing.matched_at = now
                self._report.started += 1
                self._dirty.add(mailing.id)
            self._dirty |= await repository.expire_ended(uow.session, now, rules.WINDOW_CLOSED)
            self._dirty |= set(await repository.finish_mailings(uow.session, now))
            await uow.commit()

    async def publish_progress(self) -> None:
        """A progress event for each mailing changed since the last ones."""
        if not self._dirty:
            return
        changed, self._dirty = self._dirty, set()
        async with self._uow() as uow:
            for event in await progress_events(uow, changed):
                uow.emit(event)
            await uow.commit()

    # -- sending ----------------------------------------------------------------------------

    async def _send_through(
        self, account: TelegramAccount, pool: Sequence[uuid.UUID], deadline: float
    ) -> None:
        """One account's sender: claim a batch, send it (paced), record it; until nothing is
        left for it, the pass ends or Telegram makes the account stop."""
        loop = asyncio.get_running_loop()
        try:
            creds = telegram.credentials(self._box, account)
        except DomainError as exc:
            log.warning("Telegram account %s cannot send: %s", account.phone, exc.message)
            return
        while loop.time() < deadline:
            batch = await self._claim(account.id, pool)
            if not batch or await self._send_batch(account, creds, batch, deadline):
                return

    async def _claim(self, account_id: uuid.UUID, pool: Sequence[uuid.UUID]) -> list[Claimed]:
        """The account's next batch, past its cursor; from the start again when nothing is
        left past it (a retry's back-off ended, a claim lapsed, a window opened)."""
        after = self._cursors.get(account_id, 0)
        batch = await self._claim_after(account_id, pool, after)
        if not batch and after:
            batch = await self._claim_after(account_id, pool, 0)
        self._cursors[account_id] = batch[-1].id if batch else 0
        return batch

    async def _claim_after(
        self, account_id: uuid.UUID, pool: Sequence[uuid.UUID], after: int
    ) -> list[Claimed]:
        size = self._options.batch_size()
        now = self._clock.now()
        async with self._uow() as uow:
            batch = await repository.claim(
                uow.session,
                account_id=account_id,
                pool=pool,
                now=now,
                until=now + self._options.claim_hold(size),
                limit=size,
                after=after,
            )
            await uow.commit()
        return batch

    async def _send_batch(
        self,
        account: TelegramAccount,
        creds: AccountCredentials,
        batch: Sequence[Claimed],
        deadline: float,
    ) -> bool:
        """Send each claimed delivery until the pass's deadline, then record the outcomes and
        give back the claims not tried. True when the account must stop (Telegram paused or
        revoked it)."""
        loop = asyncio.get_running_loop()
        outcomes: list[Outcome] = []
        untried: list[Claimed] = []
        stop = False
        for item in batch:
            if stop or loop.time() >= deadline or self._clock.now() >= item.end_time:
                untried.append(item)
                continue
            await self._pace(account.id)
            try:
                outcomes.append(await self._send_one(creds, item))
            except (RateLimited, telegram.PeerFlood, telegram.AccountSessionRevoked) as exc:
                untried.append(item)
                stop = True
                await self._stop_account(account, exc)
        async with self._uow() as uow:
            await repository.record_outcomes(uow.session, outcomes)
            await repository.release(uow.session, untried)
            await uow.commit()
        self._count(outcomes)
        self._dirty.update(item.mailing_id for item in batch)
        return stop

    async def _pace(self, account_id: uuid.UUID) -> None:
        if self._options.pacing <= 0:
            return
        loop = asyncio.get_running_loop()
        wait = self._next_send.get(account_id, 0.0) - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._next_send[account_id] = loop.time() + self._options.pacing

    async def _send_one(self, creds: AccountCredentials, item: Claimed) -> Outcome:
        """Import the client's phone as a contact (to reach it), then send the message under
        the delivery's random_id. Flood limits and a revoked session propagate: they stop the
        account, not the delivery."""
        attempts = item.attempts + 1
        try:
            user = await self._gateway.import_phone(creds, f"+{item.phone_number}")
            if user is None:
                return Outcome(item.id, DeliveryStatus.FAILED, attempts, rules.NOT_ON_TELEGRAM)
            await self._gateway.send_message(
                creds, str(user.id), item.message_text, random_id=rules.random_id(item.id)
            )
        except (RateLimited, telegram.PeerFlood, telegram.AccountSessionRevoked):
            raise
        except ExternalUnavailable as exc:
            return self._retry(item, attempts, exc.message)
        except DomainError as exc:  # Telegram refused this message for good
            return Outcome(item.id, DeliveryStatus.FAILED, attempts, exc.message)
        except Exception:
            log.exception("sending delivery %s failed", item.id)
            return self._retry(item, attempts, "Internal error while sending.")
        return Outcome(item.id, DeliveryStatus.SENT, attempts, sent_at=self._clock.now())

    def _retry(self, item: Claimed, attempts: int, error: str) -> Outcome:
        retry_at = self._clock.now() + timedelta(seconds=rules.retry_delay(attempts))
        return Outcome(item.id, DeliveryStatus.PENDING, attempts, error, retry_at=retry_at)

    async def _stop_account(self, account: TelegramAccount, exc: DomainError) -> None:
        seconds = (
            exc.retry_after if isinstance(exc, RateLimited) else self._options.peer_flood_pause
        )
        async with self._uow() as uow:
            paused = await telegram.take_out_of_pool(
                uow,
                actor=DISPATCHER,
                account=account,
                cause=exc,
                pause_seconds=seconds,
                now=self._clock.now(),
            )
        if paused:
            self._report.paused.append(account.phone)

    def _count(self, outcomes: Sequence[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.status is DeliveryStatus.SENT:
                self._report.sent += 1
            elif outcome.status is DeliveryStatus.FAILED:
                self._report.failed += 1
            else:
                self._report.retried += 1


def _unpaused(pool: Sequence[TelegramAccount], now: datetime) -> list[TelegramAccount]:
    return [a for a in pool if a.paused_until is None or a.paused_until <= now]


async def progress_events(
    uow: SqlAlchemyUnitOfWork, mailing_ids: Collection[int]
) -> list[MailingProgress]:
    """The progress of each mailing that still exists, as it stands in this transaction."""
    mailings = await repository.mailings_by_ids(uow.session, list(mailing_ids))
    counts = await repository.delivery_counts(uow.session, [m.id for m in mailings])
    return [
        MailingProgress(
            mailing_id=mailing.id,
            total=counts[mailing.id].total,
            pending=counts[mailing.id].pending,
            sent=counts[mailing.id].sent,
            failed=counts[mailing.id].failed,
            expired=counts[mailing.id].expired,
            first_sent_at=counts[mailing.id].first_sent_at,
            last_sent_at=counts[mailing.id].last_sent_at,
            started=mailing.matched_at is not None,
            finished=mailing.finished_at is not None,
            cancelled=mailing.cancelled_at is not None,
        )
        for mailing in mailings
    ]
