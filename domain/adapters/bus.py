"""The event bus: broadcaster over Redis pub/sub, with a backend that survives Redis.

broadcaster 0.3.1's own Redis backend dies silently when its connection is killed or a
non-UTF-8 message arrives (STACK.md §3b), so tghub owns this backend: it remembers its
channels, re-creates the pub/sub connection with exponential backoff after any connection
error and re-subscribes, and skips messages it cannot decode. Pub/sub stays at-most-once:
what is published while Redis is down is lost, so every open subscription is told (its
iterator raises ``BusUnavailable``), new ones are refused until the connection is back, and
events carry ids to re-query by.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from broadcaster import Broadcast, Event
from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend
from broadcaster._base import Subscriber
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from typing_extensions import override

from domain.errors import ExternalUnavailable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)

CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
BACKOFF_START = 0.05
BACKOFF_CAP = 2.0


class BusUnavailable(ExternalUnavailable):
    """The bus has no connection to Redis: what is published meanwhile is lost."""

    default_message = (
        "Live events are unavailable for now (events may have been missed); "
        "subscribe again and re-query."
    )


class ConnectionLost(Event):
    """Put on every channel when the pub/sub connection drops, after what arrived before it."""

    def __init__(self, channel: str) -> None:
        super().__init__(channel=channel, message="")


class ReconnectingRedisBackend(BroadcastBackend):
    def __init__(self, url: str) -> None:
        # No redis-py retry: the pool drops dead connections before use, and _listen owns the
        # recovery of the pub/sub connection (re-subscribing every remembered channel).
        # A stalled Redis must fail a publish (the unit of work logs it), not hang a request.
        self._redis = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._channels: set[str] = set()
        self._has_channels = asyncio.Event()
        self._pubsub: PubSub | None = None
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._listener: asyncio.Task[None] | None = None
        self._backoff = BACKOFF_START
        # redis-py's PubSub opens its connection on the first SUBSCRIBE: concurrent first
        # subscribes would each open one, the last replacing the others, and the channels
        # subscribed on the lost ones would never be read. One (un)subscribe at a time.
        self._subscribing = asyncio.Lock()
        # False from a lost connection until every channel is subscribed again: subscribers
        # are refused meanwhile (they would miss events without knowing it).
        self.available = True
        self.reconnects = 0
        self.skipped = 0

    @override
    async def connect(self) -> None:
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._listener = asyncio.create_task(self._listen(), name="event-bus-listener")

    @override
    async def disconnect(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._pubsub is not None:
            with contextlib.suppress(*CONNECTION_ERRORS):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    @override
    async def subscribe(self, channel: str) -> None:
        """Raises BusUnavailable when Redis does not answer (the caller then unsubscribes)."""
        self._channels.add(channel)
        task = asyncio.current_task()
        cancels = task.cancelling() if task is not None else 0
        try:
            async with self._subscribing:
                await self._current_pubsub().subscribe(channel)
        except CONNECTION_ERRORS as exc:
            raise BusUnavailable from exc
        # redis-py 5.3 swallows a cancellation that lands while the pub/sub connection opens
        # (its health check polls under asyncio.timeout(0)); honour it, or the caller hangs.
        if task is not None and task.cancelling() > cancels:
            raise asyncio.CancelledError
        # Wake the listener only now: before the first SUBSCRIBE the pub/sub has no connection.
        self._has_channels.set()

    @override
    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        with contextlib.suppress(*CONNECTION_ERRORS):
            async with self._subscribing:
                await self._current_pubsub().unsubscribe(channel)

    @override
    async def publish(self, channel: str, message: Any) -> None:
        if not isinstance(message, str):
            raise TypeError("the event bus publishes JSON text only")
        await self._redis.publish(channel, message)

    @override
    async def next_published(self) -> Event:
        return await self._queue.get()

    def _current_pubsub(self) -> PubSub:
        if self._pubsub is None:
            raise RuntimeError("event bus backend is not connected")
        return self._pubsub

    async def _listen(self) -> None:
        while True:
            await self._has_channels.wait()
            try:
                await self._receive_until_idle()
            except Exception as exc:  # the listener must outlive anything, or delivery stops
                self._lose_connection(exc)
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, BACKOFF_CAP)
                await self._reconnect()

    def _lose_connection(self, exc: Exception) -> None:
        """Once per outage: log it, and tell every subscriber that events are being lost."""
        if not self.available:
            log.debug("event bus still without Redis (%r)", exc)
            return
        self.available = False
        log.warning("event bus lost Redis (%r); reconnecting in %.2fs", exc, self._backoff)
        for channel in self._channels:
            self._queue.put_nowait(ConnectionLost(channel))

    async def _receive_until_idle(self) -> None:
        # Under the lock: a first SUBSCRIBE may be opening the connection right now.
        async with self._subscribing:
            pubsub = self._current_pubsub()
            if self._channels and getattr(pubsub, "connection", None) is None:
                # The re-subscribe that would have opened it failed: Redis is still down.
                raise RedisConnectionError("pub/sub connection not established")
        while self._channels:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            # The connection answered, so the next loss is a new outage: retry soon again.
            self._backoff = BACKOFF_START
            if message is not None and message.get("type") == "message":
                self._deliver(message["channel"], message["data"])
        self._has_channels.clear()
        await self._drop_idle_connection()

    async def _drop_idle_connection(self) -> None:
        """Nobody listens: close the connection rather than keep it unwatched. One that died
        unnoticed would take the next SUBSCRIBE without an error (a write into a closed socket
        succeeds) and lose its events; a fresh one fails at once if Redis is down."""
        async with self._subscribing:
            if not self._channels:  # unless a subscriber came meanwhile
                await self._replace_pubsub()

    def _deliver(self, channel: bytes, data: bytes) -> None:
        try:
            event = Event(channel=channel.decode(), message=data.decode())
        except UnicodeDecodeError:
            self.skipped += 1
            log.warning("event bus skipped an undecodable message on %r", channel[:80])
            return
        self._queue.put_nowait(event)

    async def _reconnect(self) -> None:
        async with self._subscribing:
            await self._replace_pubsub()

    async def _replace_pubsub(self) -> None:
        old, self._pubsub = self._pubsub, self._redis.pubsub(ignore_subscribe_messages=True)
        if old is not None:
            with contextlib.suppress(*CONNECTION_ERRORS):
                await old.aclose()  # type: ignore[no-untyped-call]
        with contextlib.suppress(*CONNECTION_ERRORS):
            if self._channels:
                await self._pubsub.subscribe(*self._channels)
                self.reconnects += 1
                log.info("event bus re-subscribed %d channels", len(self._channels))
            # Reached only when Redis answered (or there is nothing to listen to: then the
            # next subscribe finds out).
            self.available = True


class SafeBroadcast(Broadcast):
    """broadcaster's Broadcast with a subscribe that is safe under concurrency.

    The original registers a channel's first subscriber only after awaiting the backend's
    SUBSCRIBE, so a second subscriber arriving meanwhile overwrites the first one's queue and
    the first silently receives nothing. Here the queue is registered before any await.
    """

    @override
    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:
        backend = self._backend
        if isinstance(backend, ReconnectingRedisBackend) and not backend.available:
            raise BusUnavailable  # at once: listening now would miss events unknowingly
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        first = channel not in self._subscribers
        self._subscribers.setdefault(channel, set()).add(queue)
        try:
            if first:
                await self._backend.subscribe(channel)
            yield Subscriber(queue)
        finally:
            queues = self._subscribers.get(channel, set())
            queues.discard(queue)
            if not queues:
                self._subscribers.pop(channel, None)
                await self._backend.unsubscribe(channel)
            await queue.put(None)


class EventBus:
    """Namespaced publish/subscribe of JSON text; implements ``domain.ports.EventPublisher``."""

    def __init__(self, backend: BroadcastBackend, prefix: str) -> None:
        self._broadcast = SafeBroadcast(backend=backend)
        self._prefix = prefix

    async def connect(self) -> None:
        await self._broadcast.connect()

    async def disconnect(self) -> None:
        await self._broadcast.disconnect()

    async def publish(self, channel: str, message: str) -> None:
        if not isinstance(message, str):  # here too, so memory:// tests catch it as well
            raise TypeError("the event bus publishes JSON text only")
        try:
            await self._broadcast.publish(f"{self._prefix}:{channel}", message)
        except CONNECTION_ERRORS as exc:
            raise BusUnavailable from exc

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        """The channel's messages; entering or iterating raises BusUnavailable without Redis."""
        async with self._broadcast.subscribe(f"{self._prefix}:{channel}") as subscriber:
            yield _messages(subscriber)


async def _messages(subscriber: Any) -> AsyncIterator[str]:
    async for event in subscriber:
        if isinstance(event, ConnectionLost):
            raise BusUnavailable
        if event is not None:
            yield str(event.message)


def create_bus(url: str, prefix: str) -> EventBus:
    """``memory://`` (unit tests, one process) or ``redis://`` (everything else)."""
    if url.startswith("memory://"):
        return EventBus(MemoryBackend(url), prefix)
    return EventBus(ReconnectingRedisBackend(url), prefix)
