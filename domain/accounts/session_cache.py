"""What authenticating a token reads from PostgreSQL, kept in the process for a few seconds.

Every authenticated request reads its token family (is it revoked, which generation is
current) and its user. Both change rarely, so a process keeps them per session id and
authenticates from memory. Each change is a committed write in ``domain.accounts.service``
that emits ``AccountChanged``, and the entries of that user go:

- **in the process that wrote**, at once: the unit of work hands its committed events to the
  cache before it publishes them (``forget``), so its next request reads the database;
- **in every other process**, when the event arrives on the ``accounts`` channel
  (``keep_fresh``, a task of each runtime);
- **everywhere, after ``ttl`` seconds at the most**, whatever happened to the event: that is
  the longest a process can accept a revoked token or show a stale user if an event is lost.

The cache answers only while its listener is subscribed (``armed``): before the subscription
is confirmed, and from the moment the bus loses Redis until it is back, events may be missed,
so it is emptied and every request reads the database.

A read that overlaps an invalidation is not stored: ``begin_read`` notes how many
invalidations there were before the database was asked, and ``put`` refuses the row if any
came since (it may predate the write the invalidation announced).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect

from domain.accounts.events import ACCOUNTS_CHANNEL, AccountChanged
from domain.accounts.model import User
from domain.errors import ExternalUnavailable
from domain.events import Event, EventDecodeError, decode

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Mapping

    from domain.accounts.rules import FamilyState
    from domain.ports import EventSource

log = logging.getLogger(__name__)

USER_COLUMNS = tuple(attr.key for attr in inspect(User).column_attrs)
_USER_CLASS = inspect(User).class_manager
RESUBSCRIBE_AFTER = 1.0  # seconds between attempts while the bus is down


@dataclass(frozen=True, slots=True)
class CachedSession:
    family: FamilyState
    user_row: Mapping[str, Any]
    stored_at: float

    def user(self) -> User:
        """A fresh, detached ``User`` per request: a request may change its copy (presence).
        Built as the ORM builds loaded rows, without ``__init__`` (ten times cheaper)."""
        user: User = _USER_CLASS.new_instance()
        user.__dict__.update(self.user_row)
        return user


class SessionCache:
    def __init__(
        self, ttl: float, *, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock  # seconds, monotonic; a test may turn it
        self._entries: dict[uuid.UUID, CachedSession] = {}
        self._sessions_of: dict[uuid.UUID, set[uuid.UUID]] = {}
        self._invalidations = 0
        self._armed = False

    @property
    def armed(self) -> bool:
        return self._armed

    def arm(self) -> None:
        """The listener is subscribed: from now on no change goes unheard."""
        self._armed = True

    def disarm(self) -> None:
        """Changes may go unheard (no listener, or the bus lost Redis): forget everything."""
        self._armed = False
        self._forget_all()

    def get(self, session_id: uuid.UUID) -> CachedSession | None:
        if not self._armed:
            return None
        entry = self._entries.get(session_id)
        if entry is None or self.clock() - entry.stored_at >= self.ttl:
            return None
        return entry

    def begin_read(self) -> int:
        """A token for ``put``: the invalidations so far."""
        return self._invalidations

    def put(self, session_id: uuid.UUID, family: FamilyState, user: User, read: int) -> None:
        """Keep what a database read found, unless something changed since it began."""
        if not self._armed or read != self._invalidations:
            return
        if len(self._entries) >= self.max_entries:
            self._forget_all()  # rare and cheap to refill; an LRU would cost every hit
        row = {name: getattr(user, name) for name in USER_COLUMNS}
        self._entries[session_id] = CachedSession(family, row, self.clock())
        self._sessions_of.setdefault(user.id, set()).add(session_id)

    def forget(self, event: Event) -> None:
        """Drop what ``event`` makes stale (it changed a user or one of their sessions)."""
        if isinstance(event, AccountChanged):
            self.forget_user(event.user_id)

    def forget_user(self, user_id: uuid.UUID) -> None:
        self._invalidations += 1
        for session_id in self._sessions_of.pop(user_id, ()):
            self._entries.pop(session_id, None)

    def _forget_all(self) -> None:
        self._invalidations += 1
        self._entries.clear()
        self._sessions_of.clear()

    def hear(self, text: str) -> None:
        """A message of the accounts channel, from this process or another."""
        try:
            event = decode(text)
        except EventDecodeError:
            # Another version of tghub said something changed: forget everything, to be safe.
            self._forget_all()
            return
        self.forget(event)


async def keep_fresh(cache: SessionCache, events: EventSource) -> None:
    """Listens to the accounts channel for as long as the process runs (a task of the
    runtime); the cache answers only while this listens."""
    while True:
        with contextlib.suppress(ExternalUnavailable):
            async with events.subscribe(ACCOUNTS_CHANNEL) as messages:
                cache.arm()
                try:
                    async for text in messages:
                        cache.hear(text)
                finally:
                    cache.disarm()
        log.debug("session cache listener resubscribing")
        await asyncio.sleep(RESUBSCRIBE_AFTER)
