"""The status listener (``tghub listen``): every listenable tracker is polled by exactly one
listener process, the one holding its lease.

A listener looks up the listenable trackers every ``listener_scan_interval`` seconds, takes
the lease of each one nobody holds and polls it every ``listener_poll_interval`` seconds for
as long as it keeps the lease (renewed every third of ``listener_lease_ttl``). Several
listeners split the trackers between them; the trackers of one that dies are free once its
leases lapse, and the next scan of another takes them over. A tracker that stops being
listenable is let go (its lease released).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import TYPE_CHECKING

from domain.access import System
from domain.adapters.clock import SystemClock
from domain.adapters.lease import Lease, LeaseKeeper, default_owner
from domain.adapters.tasks import cancelled
from domain.adapters.telegram import build_gateway
from domain.bootstrap import build_runtime
from domain.errors import DomainError
from domain.metrics import start_metrics
from domain.tracking import service as tracking

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from domain.bootstrap import Runtime
    from domain.ports import Clock, TelegramGateway
    from domain.settings import Settings
    from domain.telegram.service import StatusObservation

log = logging.getLogger(__name__)

LISTENER = System("status listener")
# Update events written in one batch at most (a poll cycle's batches are as large).
UPDATE_BATCH = 1000
# Seconds the cache of written states is trusted before everyone is looked up again.
CACHE_LIFETIME = 60.0


def lease_key(prefix: str, tracker_id: int) -> str:
    return f"{prefix}:listener:tracker:{tracker_id}"


class TrackerLoop:
    """One owned tracker: its lease kept in the background, its poll cycle on a timer, and
    Telegram's update events followed in between."""

    def __init__(self, listener: Listener, tracker_id: int, lease: Lease) -> None:
        self.tracker_id = tracker_id
        self._listener = listener
        self._keeper = LeaseKeeper(lease, self._lost)
        self._tasks: list[asyncio.Task[None]] = []
        # Telegram id → tracked ids, as the last poll resolved the usernames.
        self._tracked: dict[int, list[int]] = {}

    def start(self) -> None:
        self._keeper.start()
        name = self.tracker_id
        self._tasks = [
            asyncio.create_task(self._poll_forever(), name=f"poll:{name}"),
            asyncio.create_task(self._follow_updates(), name=f"updates:{name}"),
        ]

    async def stop(self) -> None:
        """Stop polling and give the lease up."""
        await self._cancel()
        await self._keeper.stop()

    async def _lost(self) -> None:
        log.warning("lost the lease of tracker %s; another listener has it", self.tracker_id)
        await self._cancel()
        self._listener.forget(self.tracker_id)

    async def _cancel(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            if task is not asyncio.current_task():
                await cancelled(task)

    async def _poll_forever(self) -> None:
        while True:
            poll = await self._listener.poll(self.tracker_id)
            if poll is not None:
                self._tracked = poll.by_telegram_id
            await asyncio.sleep(self._listener.runtime.settings.listener_poll_interval)

    async def _follow_updates(self) -> None:
        """Status changes as Telegram pushes them, written in batches of what arrived while
        the last batch was being written. A broken stream is opened again after a poll
        interval; the poll covers the gap."""
        while True:
            try:
                await self._listener.follow_updates(self.tracker_id, lambda: self._tracked)
            except DomainError as exc:
                log.warning("updates of tracker %s stopped: %s", self.tracker_id, exc.message)
            except Exception:
                log.exception("updates of tracker %s stopped", self.tracker_id)
            else:
                log.info("Telegram ended the updates of tracker %s", self.tracker_id)
            await asyncio.sleep(self._listener.runtime.settings.listener_poll_interval)


class Listener:
    def __init__(
        self,
        runtime: Runtime,
        gateway: TelegramGateway,
        clock: Clock,
        *,
        owner: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.gateway = gateway
        self.clock = clock
        # One owner for every lease of this listener: an operator sees which process holds
        # which tracker.
        self.owner = owner or default_owner()
        self._loops: dict[int, TrackerLoop] = {}
        # How many trackers this process's listeners hold (a process may run several).
        self._owned_gauge = start_metrics(runtime.settings).listener_trackers
        # The states this listener last wrote, so most batches skip the latest-status lookup.
        # Emptied every CACHE_LIFETIME: what others changed meanwhile (an admin's row written
        # by hand) is looked up again within it (a user untracked meanwhile is noticed at
        # once: its batch is written again with everyone looked up).
        self.known: tracking.StateCache = {}
        self._known_since = time.monotonic()

    @property
    def owned(self) -> set[int]:
        return set(self._loops)

    async def run(self) -> None:
        """Scan and poll until cancelled; then let every tracker go."""
        try:
            while True:
                await self.scan()
                await asyncio.sleep(self.runtime.settings.listener_scan_interval)
        finally:
            await self.close()

    async def scan(self) -> None:
        """Sign out the trackers without a usable session (their users move where slots
        allow), take the free listenable trackers, let go of those no longer listenable."""
        if time.monotonic() - self._known_since >= CACHE_LIFETIME:
            self.known.clear()
            self._known_since = time.monotonic()
        try:
            async with self.runtime.uow() as uow:
                signed_out = await tracking.check_sessions(uow, actor=LISTENER)
            for tracker_id, reason in signed_out.items():
                log.warning("tracker %s signed out: %s", tracker_id, reason)
            async with self.runtime.uow() as uow:
                wanted = set(await tracking.listenable_trackers(uow, actor=LISTENER))
        except DomainError:  # the database is unavailable: keep what we have, try again
            log.warning("could not look up the trackers to listen to", exc_info=True)
            return
        for tracker_id in sorted(wanted - self._loops.keys()):
            await self._adopt(tracker_id)
        for tracker_id in sorted(self._loops.keys() - wanted):
            loop = self._drop(tracker_id)
            if loop is not None:
                await loop.stop()

    async def poll(self, tracker_id: int) -> tracking.Poll | None:
        """One poll cycle; a failure is logged (None) and the next cycle tries again."""
        try:
            async with self.runtime.uow() as uow:
                return await tracking.poll_tracker(
                    uow,
                    self.gateway,
                    self.runtime.secrets,
                    self.clock,
                    actor=LISTENER,
                    tracker_id=tracker_id,
                    known=self.known,
                )
        except DomainError as exc:
            log.warning("polling tracker %s failed: %s", tracker_id, exc.message)
        except Exception:
            log.exception("polling tracker %s failed", tracker_id)
        return None

    async def follow_updates(
        self, tracker_id: int, tracked: Callable[[], Mapping[int, Sequence[int]]]
    ) -> None:
        """Record the status changes Telegram pushes to the tracker's account until the
        stream ends; ``tracked`` gives the tracker's users as the last poll found them."""
        async with self.runtime.uow() as uow:
            creds = await tracking.listening_credentials(
                uow, self.runtime.secrets, actor=LISTENER, tracker_id=tracker_id
            )
        arrived: asyncio.Queue[StatusObservation] = asyncio.Queue()

        async def receive() -> None:
            async for seen in self.gateway.status_updates(creds):
                arrived.put_nowait(seen)

        receiving = asyncio.create_task(receive(), name=f"receive:{tracker_id}")
        try:
            while batch := await _next_batch(arrived, receiving):
                async with self.runtime.uow() as uow:
                    await tracking.record_updates(
                        uow, actor=LISTENER, tracked=tracked(), seen=batch, known=self.known
                    )
        finally:
            await cancelled(receiving)

    def forget(self, tracker_id: int) -> None:
        self._drop(tracker_id)

    def _drop(self, tracker_id: int) -> TrackerLoop | None:
        loop = self._loops.pop(tracker_id, None)
        if loop is not None:
            self._owned_gauge.dec()
        return loop

    async def close(self) -> None:
        loops, self._loops = list(self._loops.values()), {}
        self._owned_gauge.dec(len(loops))
        for loop in loops:
            await loop.stop()

    async def _adopt(self, tracker_id: int) -> None:
        settings = self.runtime.settings
        lease = Lease(
            self.runtime.redis,
            lease_key(settings.channel_prefix, tracker_id),
            ttl=settings.listener_lease_ttl,
            owner=self.owner,
        )
        if not await lease.acquire():
            return  # another listener's
        loop = TrackerLoop(self, tracker_id, lease)
        self._loops[tracker_id] = loop
        self._owned_gauge.inc()
        loop.start()
        log.info("listening to tracker %s", tracker_id)


async def _next_batch(
    arrived: asyncio.Queue[StatusObservation], receiving: asyncio.Task[None]
) -> list[StatusObservation] | None:
    """The next update and those queued behind it, up to ``UPDATE_BATCH``: what arrived while
    the last batch was written. None once the stream has ended and nothing is left (its error,
    if it failed, is raised)."""
    if arrived.empty():
        getting = asyncio.ensure_future(arrived.get())
        try:
            await asyncio.wait({getting, receiving}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not getting.done():
                await cancelled(getting)
        if getting.cancelled():
            receiving.result()
            return None
        batch = [getting.result()]
    else:
        batch = [arrived.get_nowait()]
    while not arrived.empty() and len(batch) < UPDATE_BATCH:
        batch.append(arrived.get_nowait())
    return batch


async def listen(settings: Settings, runtime: Runtime | None = None) -> None:
    """A listener until cancelled: on its own runtime (``tghub listen``), or on one it is given
    (the embedded default's, beside the API)."""
    own = runtime is None
    if runtime is None:
        runtime = build_runtime(settings)
        await runtime.start()
    gateway = build_gateway(settings, runtime)
    try:
        await Listener(runtime, gateway, SystemClock()).run()
    finally:
        await gateway.close()
        if own:
            await runtime.stop()


def run_listener(settings: Settings) -> None:
    """``tghub listen``: listen until SIGINT or SIGTERM, then let every tracker go."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        listening = asyncio.create_task(listen(settings))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({listening, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not listening.done():
            listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening  # a listener that failed on its own raises here

    asyncio.run(main())
