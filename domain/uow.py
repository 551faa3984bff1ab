"""The unit of work: one transaction, and the side effects that follow its commit."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.errors import ExternalUnavailable
from domain.events import Event, encode
from domain.outage import Outage

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from domain.ports import EventPublisher, JobQueue

log = logging.getLogger(__name__)

# What a side effect raises while its transport is down (adapters translate theirs to
# ExternalUnavailable); anything else is a bug and keeps its traceback.
UNAVAILABLE = (ExternalUnavailable, ConnectionError, TimeoutError)


class SideEffectOutages:
    """The process's record of failing side effects, shared by every unit of work, so an
    outage is logged once with a count instead of once per event and request."""

    def __init__(self) -> None:
        self.publishing = Outage(log, "publishing events", "events lost")
        self.enqueueing = Outage(log, "enqueueing jobs", "jobs left to the sweeper")


class SqlAlchemyUnitOfWork:
    """Commits, **then** publishes recorded events and enqueues deferred jobs; a rollback
    drops both.

    Used as ``async with factory() as uow``; leaving the block without ``commit()`` rolls back,
    so read-only work simply never commits.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        queue: JobQueue | None = None,
        outages: SideEffectOutages | None = None,
        local_listener: Callable[[Event], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._publisher = publisher
        self._queue = queue
        self._outages = outages or SideEffectOutages()
        self._local_listener = local_listener
        self._events: list[Event] = []
        self._jobs: list[tuple[str, str]] = []
        self._session: AsyncSession | None = None
        self._entered = False

    @property
    def session(self) -> AsyncSession:
        """Made on first use: a unit of work that never needs the database (a request
        authenticated from the session cache) costs no session to open and close."""
        if not self._entered:
            raise RuntimeError("unit of work used outside 'async with'")
        if self._session is None:
            self._session = self._session_factory()
        return self._session

    async def __aenter__(self) -> SqlAlchemyUnitOfWork:
        """Leaving the block on a lost or refused connection raises ExternalUnavailable."""
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back what was not committed without expiring loaded objects, so
        # entities returned by a use case stay readable after the block.
        self._events.clear()
        self._jobs.clear()
        self._entered = False
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        if exc is not None and _is_outage(exc):
            log.warning("database unavailable: %s", type(exc).__name__)
            raise ExternalUnavailable("The database is unavailable; try again later.") from exc

    def emit(self, event: Event) -> None:
        """Record an event to publish after the next successful commit."""
        self._events.append(event)

    def defer(self, job_id: str, kind: str) -> None:
        """Record a job to enqueue after the next successful commit (its row is in this
        transaction; if the enqueue is lost, the sweeper finds the row)."""
        if self._queue is None:
            raise RuntimeError(f"no job queue in this process (job {kind!r})")
        self._jobs.append((job_id, kind))

    async def release(self) -> None:
        """End a read-only transaction now, so slow work that follows holds no connection."""
        if self.session.new or self.session.dirty or self.session.deleted:
            raise RuntimeError("release() would drop pending changes; commit them first")
        # Commit, not rollback: a rollback would expire the entities already loaded.
        await self.session.commit()

    async def flush(self) -> None:
        await self.session.flush()

    async def commit(self) -> None:
        await self.session.commit()
        events, self._events = self._events, []
        jobs, self._jobs = self._jobs, []
        if self._local_listener is not None:
            # This process knows at once, before Redis carries the events to the others.
            for event in events:
                self._local_listener(event)
        for job_id, kind in jobs:
            await self._enqueue(job_id, kind)
        if events:
            await self._publish(events)

    async def rollback(self) -> None:
        self._events.clear()
        self._jobs.clear()
        await self.session.rollback()

    async def _enqueue(self, job_id: str, kind: str) -> None:
        # Committed already: a lost enqueue leaves a queued row that the sweeper re-enqueues.
        if self._queue is None:  # defer() refuses jobs without a queue
            return
        try:
            await self._queue.enqueue(job_id, kind)
        except UNAVAILABLE as exc:
            self._outages.enqueueing.failed(exc)
        except Exception:
            log.exception("enqueueing job %s (%s) failed; the sweeper will retry", job_id, kind)
        else:
            self._outages.enqueueing.succeeded()

    async def _publish(self, events: list[Event]) -> None:
        """Every event on each of its channels, in the order emitted, in one call: over Redis
        one pipelined round trip, however many members a group has (perf.md, fix 9)."""
        # The transaction is already durable: a bus failure must not turn it into an error.
        messages: list[tuple[str, str]] = []
        for event in events:
            text = encode(event)  # once, however many channels carry it
            messages.extend((channel, text) for channel in event.channels)
        if not messages:  # events for nobody (a chat without members)
            return
        outage = self._outages.publishing
        try:
            await self._publisher.publish_many(messages)
        except UNAVAILABLE as exc:
            # Which of them Redis ran before the connection failed is unknown: counted as
            # lost, each event once (its other channels failed alike).
            for _ in events:
                outage.failed(exc)
        except Exception:
            log.exception("publishing %s failed", ", ".join(event.name for event in events))
        else:
            outage.succeeded()


def _is_outage(exc: BaseException) -> bool:
    """A lost or refused database connection, as opposed to a bug or a constraint."""
    # PoolTimeout: every connection of the pool stayed busy for pool_timeout seconds.
    if isinstance(
        exc, (OperationalError, InterfaceError, PoolTimeout, ConnectionError, TimeoutError)
    ):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case (or per read)."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        queue: JobQueue | None = None,
        local_listener: Callable[[Event], None] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.publisher = publisher
        self.queue = queue
        self.outages = SideEffectOutages()
        # Told of every committed event of this process, synchronously (the session cache).
        self.local_listener = local_listener

    def __call__(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(
            self.session_factory, self.publisher, self.queue, self.outages, self.local_listener
        )
