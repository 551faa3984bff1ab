"""The event bus: broadcaster over Redis pub/sub, with a backend that survives Redis.

broadcaster 0.3.1's own Redis backend dies silently when its connection is killed or a
non-UTF-8 message arrives (encode/broadcaster#144), so tghub owns this backend: it remembers
its channels, re-creates the pub/sub connection with exponential backoff after any connection
error and re-subscribes, and skips messages it cannot decode. Pub/sub stays at-most-once:
what is published while Redis is down is lost, so every open subscription is told (its
iterator raises ``BusUnavailable``), new ones are refused until the connection is back, and
events carry ids to re-query by.

A subscription starts when Redis has confirmed its SUBSCRIBE, not when the command was sent:
redis-py's ``PubSub.subscribe`` only writes it, and a PUBLISH sent right afterwards on another
connection may reach Redis first and be dropped (encode/broadcaster#44 shows exactly this).

Only broadcaster's public names are used: ``Broadcast`` (``subscribe``, ``publish``,
``connect``, ``disconnect``), ``Event``, and ``BroadcastBackend``, its documented base class
for custom backends.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from broadcaster import Broadcast, BroadcastBackend, Event
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from typing_extensions import override

from domain.errors import ExternalUnavailable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence
    from contextlib import AbstractAsyncContextManager

    from redis.asyncio.client import PubSub

    from domain.ports import Listener

log = logging.getLogger(__name__)

CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
BACKOFF_START = 0.05
BACKOFF_CAP = 2.0
# Redis confirms a SUBSCRIBE within milliseconds; a connection this slow to answer is lost.
SUBSCRIBE_TIMEOUT = 5.0


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


class SubscribeReplies:
    """The SUBSCRIBE replies awaited on one pub/sub connection.

    Redis answers each SUBSCRIBE with one reply per channel, in order on its connection, so
    the n-th reply naming a channel answers the n-th SUBSCRIBE of it sent there (a channel
    unsubscribed and subscribed again has two in flight). Each answer is True, or False once
    the connection failed: then nothing sent on it will be answered.
    """

    def __init__(self) -> None:
        self._pending: dict[str, collections.deque[asyncio.Future[bool]]] = {}
        self._latest: dict[str, asyncio.Future[bool]] = {}
        self.closed = False

    def expect(self, channel: str) -> None:
        """A SUBSCRIBE of ``channel`` is about to be sent on this connection."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if self.closed:
            answer.set_result(False)
        else:
            self._pending.setdefault(channel, collections.deque()).append(answer)
        self._latest[channel] = answer

    def confirm(self, channel: str) -> None:
        """Redis answered a SUBSCRIBE of ``channel`` on this connection."""
        pending = self._pending.get(channel)
        if not pending:
            return  # a SUBSCRIBE we did not send, or one sent on a connection since replaced
        answer = pending.popleft()
        if not pending:
            del self._pending[channel]
        if not answer.done():
            answer.set_result(True)

    def forget(self, channel: str) -> None:
        """Nobody listens to ``channel`` any more; its replies still in flight stay matched."""
        self._latest.pop(channel, None)

    async def confirmed(self, channel: str) -> bool:
        """Whether Redis confirmed the latest SUBSCRIBE of ``channel`` on this connection."""
        answer = self._latest.get(channel)
        if answer is None or self.closed:
            return False
        # Shielded: a cancelled waiter must not cancel an answer that later SUBSCRIBEs, or
        # another subscriber of the channel, are matched against.
        return await asyncio.shield(answer)

    def close(self) -> None:
        """The connection failed: every SUBSCRIBE still unanswered never will be."""
        self.closed = True
        for pending in self._pending.values():
            for answer in pending:
                if not answer.done():
                    answer.set_result(False)
        self._pending.clear()


@dataclass(frozen=True)
class _Command:
    verb: Literal["subscribe", "unsubscribe"]
    channel: str
    # The connection it was meant for: after a reconnect it is dropped, not sent on the new one.
    replies: SubscribeReplies


class ReconnectingRedisBackend(BroadcastBackend):
    def __init__(self, url: str, *, subscribe_timeout: float = SUBSCRIBE_TIMEOUT) -> None:
        # No redis-py retry: the pool drops dead connections before use, and _listen owns the
        # recovery of the pub/sub connection (re-subscribing every remembered channel).
        # A stalled Redis must fail a publish (the unit of work logs it), not hang a request.
        self._redis = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._subscribe_timeout = subscribe_timeout
        self._channels: set[str] = set()
        self._has_channels = asyncio.Event()
        self._pubsub: PubSub | None = None
        self._replies = SubscribeReplies()
        self._commands: asyncio.Queue[_Command] = asyncio.Queue()
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._backoff = BACKOFF_START
        # One command on the pub/sub connection at a time, and none while it is replaced:
        # redis-py's PubSub opens its connection on the first SUBSCRIBE, and SUBSCRIBEs sent
        # on a connection being replaced would be answered nowhere.
        self._subscribing = asyncio.Lock()
        # False from a lost connection until every channel is subscribed again: subscribers
        # are refused meanwhile (they would miss events without knowing it).
        self.available = True
        self.reconnects = 0
        self.skipped = 0

    @override
    async def connect(self) -> None:
        self._pubsub = self._redis.pubsub()
        self._tasks = [
            asyncio.create_task(self._listen(), name="event-bus-listener"),
            asyncio.create_task(self._send_commands(), name="event-bus-subscriber"),
        ]

    @override
    async def disconnect(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pubsub is not None:
            with contextlib.suppress(*CONNECTION_ERRORS):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    @override
    async def subscribe(self, channel: str) -> None:
        """Queue the SUBSCRIBE; ``subscribed`` awaits Redis's answer.

        It awaits nothing, so it can neither fail nor be cancelled halfway: broadcaster
        registers a first subscriber only once this returns, and its cleanup would then hide
        the error under a KeyError (encode/broadcaster#142).
        """
        self._channels.add(channel)
        self._replies.expect(channel)
        self._commands.put_nowait(_Command("subscribe", channel, self._replies))

    @override
    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        self._replies.forget(channel)
        self._commands.put_nowait(_Command("unsubscribe", channel, self._replies))

    async def subscribed(self, channel: str) -> bool:
        """Whether Redis confirmed the channel's SUBSCRIBE: from then on, what is published
        on it reaches this process. False when the connection failed or did not answer."""
        replies = self._replies
        try:
            async with asyncio.timeout(self._subscribe_timeout):
                return await replies.confirmed(channel)
        except TimeoutError:
            return False

    @override
    async def publish(self, channel: str, message: Any) -> None:
        if not isinstance(message, str):
            raise TypeError("the event bus publishes JSON text only")
        await self._redis.publish(channel, message)

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        """PUBLISH each ``(channel, text)`` in one pipeline: one write and one round trip for
        a whole group's channels. Redis runs a connection's commands in the order sent, so
        the order given is the order subscribers see."""
        # Not a MULTI transaction: nothing here must be atomic, and EXEC would only delay
        # every message until the last one is queued.
        async with self._redis.pipeline(transaction=False) as pipe:
            for channel, message in messages:
                pipe.publish(channel, message)
            await pipe.execute()

    @override
    async def next_published(self) -> Event:
        return await self._queue.get()

    def _current_pubsub(self) -> PubSub:
        if self._pubsub is None:
            raise RuntimeError("event bus backend is not connected")
        return self._pubsub

    async def _send_commands(self) -> None:
        """Sends (un)subscribes in the order they were asked for, which keeps each channel's
        replies in the order ``SubscribeReplies`` matches them."""
        while True:
            _raise_if_cancelled()
            command = await self._commands.get()
            async with self._subscribing:
                await self._send(command)
            # Only now: before the first SUBSCRIBE the pub/sub has no connection to read. And
            # after a failed command the listener replaces the connection, idle or not.
            self._has_channels.set()

    async def _send(self, command: _Command) -> None:
        if command.replies is not self._replies or command.replies.closed:
            return  # the replacement connection subscribed to every channel wanted by then
        pubsub = self._current_pubsub()
        send = pubsub.subscribe if command.verb == "subscribe" else pubsub.unsubscribe
        try:
            await send(command.channel)
        except Exception as exc:  # the sender must outlive anything, or subscribes stop
            if not isinstance(exc, CONNECTION_ERRORS):
                log.exception("event bus could not %s %r", command.verb, command.channel)
            # The connection is broken (or in an unknown state): its waiters fail at once, and
            # the listener replaces it.
            command.replies.close()

    async def _listen(self) -> None:
        while True:
            _raise_if_cancelled()
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
        self._replies.close()
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
            pubsub, replies = self._current_pubsub(), self._replies
            if getattr(pubsub, "connection", None) is None and not replies.closed:
                # Nothing was sent on this connection yet: the sender wakes us once it has.
                self._has_channels.clear()
                return
        while self._channels:
            if replies.closed:
                raise RedisConnectionError("a command on the pub/sub connection failed")
            message = await pubsub.get_message(timeout=1.0)
            # The connection answered, so the next loss is a new outage: retry soon again.
            self._backoff = BACKOFF_START
            if message is not None:
                self._handle(message, replies)
        self._has_channels.clear()
        await self._drop_idle_connection()

    def _handle(self, message: dict[str, Any], replies: SubscribeReplies) -> None:
        kind, channel = message.get("type"), message.get("channel")
        if kind == "subscribe" and isinstance(channel, bytes):
            replies.confirm(channel.decode(errors="replace"))
        elif kind == "message":
            self._deliver(message["channel"], message["data"])

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
        old, self._pubsub = self._pubsub, self._redis.pubsub()
        self._replies.close()
        self._replies = replies = SubscribeReplies()
        # Expected before any await: a subscriber arriving meanwhile queues its own SUBSCRIBE
        # behind this one, and its reply must come second.
        channels = list(self._channels)
        for channel in channels:
            replies.expect(channel)
        if old is not None:
            with contextlib.suppress(*CONNECTION_ERRORS):
                await old.aclose()  # type: ignore[no-untyped-call]
        try:
            if channels:
                await self._pubsub.subscribe(*channels)
                self.reconnects += 1
                log.info("event bus re-subscribed %d channels", len(channels))
            # Reached only when Redis answered (or there is nothing to listen to: then the
            # next subscribe finds out).
            self.available = True
        except CONNECTION_ERRORS:
            replies.close()


def _raise_if_cancelled() -> None:
    """redis-py 5.3 can swallow a cancellation that lands while a connection opens (its health
    check polls under asyncio.timeout(0)); the bus's own tasks stop anyway when asked to."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class EventBus:
    """Namespaced publish/subscribe of JSON text; implements ``domain.ports.EventPublisher``
    (``publish_many``).

    ``backend`` None is broadcaster's in-memory backend, which reaches this process only (unit
    tests): it has no connection to lose and nothing to confirm.
    """

    def __init__(self, backend: ReconnectingRedisBackend | None, prefix: str) -> None:
        self._backend = backend
        self._broadcast = (
            Broadcast(backend=backend) if backend is not None else Broadcast("memory://")
        )
        self._prefix = prefix
        # One subscriber of a channel enters at a time: broadcaster registers a channel's
        # first subscriber only after awaiting the backend, so a second one arriving meanwhile
        # would replace the first one's queue, and the first would silently receive nothing.
        self._entering: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._open: collections.Counter[str] = collections.Counter()
        self._relays: dict[str, ChannelRelay] = {}

    async def connect(self) -> None:
        await self._broadcast.connect()

    async def disconnect(self) -> None:
        await self._broadcast.disconnect()

    async def publish(self, channel: str, message: str) -> None:
        if not isinstance(message, str):  # here too, so memory:// tests catch it as well
            raise TypeError("the event bus publishes JSON text only")
        try:
            await self._broadcast.publish(self._name(channel), message)
        except CONNECTION_ERRORS as exc:
            raise BusUnavailable from exc

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        """Publish each ``(channel, text)`` in the order given; over Redis in one round trip
        (a pipeline), so a group's hundred channels cost one wait, not a hundred."""
        if any(not isinstance(message, str) for _, message in messages):
            raise TypeError("the event bus publishes JSON text only")
        if self._backend is None:  # memory://: no round trips to save
            for channel, message in messages:
                await self._broadcast.publish(self._name(channel), message)
            return
        named = [(self._name(channel), message) for channel, message in messages]
        try:
            await self._backend.publish_many(named)
        except CONNECTION_ERRORS as exc:
            raise BusUnavailable from exc

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[str]]:
        """The channel's messages published from the moment this returns (Redis confirmed the
        SUBSCRIBE); entering or iterating raises BusUnavailable without Redis.

        Through the channel's relay, as ``listen``: a subscriber (a websocket's subscription)
        holds no queue, task or bus subscription of its own, only its undelivered messages.
        """
        return MessageStream(self, channel)

    @contextlib.asynccontextmanager
    async def _subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        """The relay's own subscription of the channel (not counted: its listeners are)."""
        async with contextlib.AsyncExitStack() as stack:
            subscriber = await self._enter(stack, self._name(channel))
            yield _messages(subscriber)

    def _count(self, channel: str, step: int) -> None:
        self._open[channel] += step
        if not self._open[channel]:
            del self._open[channel]

    def open_subscriptions(self, channel: str) -> int:
        """How many subscriptions and listeners of ``channel`` are open in this process, each
        confirmed (a channel's shared relay is not one of them: its listeners are)."""
        return self._open[channel]

    async def join(self, channel: str, listener: Listener) -> None:
        """Hands ``listener`` every message of ``channel`` published from the moment this
        returns, through the one relay of the channel in this process; raises BusUnavailable
        without Redis. Leave with ``leave``."""
        relay = self._relays.get(channel)
        if relay is None:
            relay = self._relays[channel] = ChannelRelay(self, channel)
        try:
            await relay.admit(listener)
        except BaseException:
            if relay.idle() and self._relays.get(channel) is relay:
                # Nobody else wants it (a cancelled joiner, or one refused): end it too.
                del self._relays[channel]
                relay.task.cancel()
            raise
        self._count(channel, +1)

    async def leave(self, channel: str, listener: Listener) -> None:
        """Hands ``listener`` nothing more of ``channel`` from now on (before this awaits
        anything); the channel's last listener ends its bus subscription."""
        relay = self._relays.get(channel)
        if relay is None or not relay.dismiss(listener):
            return
        self._count(channel, -1)
        if relay.idle():
            del self._relays[channel]
            await relay.stop()

    def listen(self, channel: str, listener: Listener) -> AbstractAsyncContextManager[None]:
        """``join`` and ``leave`` around a block."""
        return Listening(self, channel, listener)

    def relay_of(self, channel: str) -> ChannelRelay | None:
        """The channel's relay in this process, while it has listeners."""
        return self._relays.get(channel)

    def relay_ended(self, relay: ChannelRelay) -> None:
        if self._relays.get(relay.channel) is relay:
            del self._relays[relay.channel]
        for _ in relay.listeners:
            self._count(relay.channel, -1)

    async def _enter(self, stack: contextlib.AsyncExitStack, name: str) -> Any:
        """broadcaster's subscriber of ``name``, once Redis listens; left with ``stack``."""
        # Any: broadcaster annotates Subscriber.__aiter__ as a coroutine, which mypy refuses
        # to iterate; it is an async generator, iterated in _messages.
        async with self._entry_lock(name):
            if self._backend is not None and not self._backend.available:
                raise BusUnavailable  # at once: listening now would miss events unknowingly
            subscriber = await stack.enter_async_context(self._broadcast.subscribe(name))
            # Inside broadcaster's block: leaving it on BusUnavailable unsubscribes again.
            if self._backend is not None and not await self._backend.subscribed(name):
                raise BusUnavailable
            return subscriber

    def _entry_lock(self, name: str) -> asyncio.Lock:
        lock = self._entering.get(name)
        if lock is None:
            lock = self._entering[name] = asyncio.Lock()
        return lock

    def _name(self, channel: str) -> str:
        return f"{self._prefix}:{channel}"


class ChannelRelay:
    """The one bus subscription of a channel in this process, and its local listeners.

    One task reads the channel and hands every message to each listener in turn (the
    listeners of a busy channel cost no task, queue or generator of their own, and one
    wake-up per message in all). The relay starts with its first listener and ends with its
    last one (unsubscribing), or when the bus stream ends, telling every listener.
    """

    def __init__(self, bus: EventBus, channel: str) -> None:
        self.bus = bus
        self.channel = channel
        self.listeners: dict[Listener, None] = {}  # an ordered set
        self.waiting = 0  # listeners admitted once the subscription is confirmed
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._run(), name=f"event-bus-relay-{channel}")

    async def admit(self, listener: Listener) -> None:
        """Adds the listener once Redis confirmed the subscription; raises BusUnavailable if
        it could not subscribe, or if the stream ended before the listener was in.

        A relay stops only once idle, and a joiner waiting here keeps it from being idle.
        """
        self.waiting += 1
        try:
            # Shielded: a cancelled joiner must not cancel the subscription of the others.
            await asyncio.shield(self.ready)
        finally:
            self.waiting -= 1
        if self.task.done():
            raise BusUnavailable
        self.listeners[listener] = None

    def dismiss(self, listener: Listener) -> bool:
        return self.listeners.pop(listener, False) is None

    def idle(self) -> bool:
        return not self.listeners and not self.waiting

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def _run(self) -> None:
        error: Exception | None = None
        try:
            async with self.bus._subscribe(self.channel) as messages:
                self.ready.set_result(None)
                async for message in messages:
                    self._hand_out(message)
        except ExternalUnavailable as exc:
            error = exc
        except Exception as exc:  # the listeners must hear of it, or they wait forever
            log.exception("event bus relay of %r failed", self.channel)
            error = exc
        if not self.ready.done():
            self.ready.set_exception(error if error is not None else BusUnavailable())
            self.ready.exception()  # retrieved: nobody may be waiting any more
        self.bus.relay_ended(self)
        listeners, self.listeners = list(self.listeners), {}
        for listener in listeners:
            listener.end(error)

    def _hand_out(self, message: str) -> None:
        # A copy: a listener may leave (or be made to) while the message is handed out.
        for listener in list(self.listeners):
            try:
                listener.deliver(message)
            except Exception:  # one listener's bug must not starve the others
                log.exception("a listener of %r failed on a message", self.channel)


class Listening:
    """``EventBus.listen``'s block: a plain object rather than a generator's context manager,
    as every websocket's session guard holds one for as long as the socket is open."""

    __slots__ = ("_bus", "_channel", "_listener")

    def __init__(self, bus: EventBus, channel: str, listener: Listener) -> None:
        self._bus, self._channel, self._listener = bus, channel, listener

    async def __aenter__(self) -> None:
        await self._bus.join(self._channel, self._listener)

    async def __aexit__(self, *exc_info: object) -> None:
        await self._bus.leave(self._channel, self._listener)


# Messages read before a stream that never empties its list drops them (amortised: at least
# half of the list is dropped each time).
_COMPACT_AFTER = 64


class MessageStream:
    """One subscriber of a channel (``EventBus.subscribe``): a listener of the channel's relay
    that its holder iterates, getting the messages in the order they were published.

    The relay's ``deliver`` only appends and wakes the reader: messages wait here until read
    (as in a queue without a bound); the stream's end comes after the messages before it.
    """

    __slots__ = ("_bus", "_channel", "_ended", "_error", "_head", "_pending", "_waiter")

    def __init__(self, bus: EventBus, channel: str) -> None:
        self._bus, self._channel = bus, channel
        self._pending: list[str] = []
        self._head = 0  # the next message to read in _pending
        self._waiter: asyncio.Future[None] | None = None
        self._ended = False
        self._error: Exception | None = None

    async def __aenter__(self) -> MessageStream:
        await self._bus.join(self._channel, self)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._bus.leave(self._channel, self)

    def __aiter__(self) -> MessageStream:
        return self

    async def __anext__(self) -> str:
        while self._head == len(self._pending):
            if self._ended:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        message = self._pending[self._head]
        self._head += 1
        if self._head == len(self._pending):  # all read: start again with an empty list
            self._pending.clear()
            self._head = 0
        elif self._head >= _COMPACT_AFTER and 2 * self._head >= len(self._pending):
            # A reader always a little behind never empties the list: drop what it read.
            del self._pending[: self._head]
            self._head = 0
        return message

    def deliver(self, message: str) -> None:
        self._pending.append(message)
        self._wake()

    def end(self, error: Exception | None) -> None:
        self._ended, self._error = True, error
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


async def _messages(subscriber: Any) -> AsyncIterator[str]:
    async for event in subscriber:
        if isinstance(event, ConnectionLost):
            raise BusUnavailable
        if event is not None:
            yield str(event.message)


def create_bus(url: str, prefix: str) -> EventBus:
    """``memory://`` (unit tests, one process) or ``redis://`` (everything else)."""
    if url.startswith("memory://"):
        return EventBus(None, prefix)
    return EventBus(ReconnectingRedisBackend(url), prefix)
