"""The event bus against real Redis: two connections, killed connections, a restarted server.

Tests that kill connections or stop the server run their own ``redis-server`` on a free port,
so they never disturb the shared Redis that other tests and processes use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis.asyncio import Redis

from domain.adapters.bus import BACKOFF_START, EventBus, ReconnectingRedisBackend, create_bus
from domain.errors import ExternalUnavailable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from tests.redis_server import RedisServer

# Bounds, not expectations: a healthy bus answers in milliseconds.
RECEIVE_DEADLINE = 30.0
RECOVERY_DEADLINE = 60.0
POLL_INTERVAL = 0.05


@dataclass
class Node:
    """One process's view of the bus: the EventBus and the backend whose counters we read."""

    bus: EventBus
    backend: ReconnectingRedisBackend


@contextlib.asynccontextmanager
async def running_node(url: str, prefix: str) -> AsyncIterator[Node]:
    async with running_node_on(ReconnectingRedisBackend(url), prefix) as node:
        yield node


@contextlib.asynccontextmanager
async def running_node_on(backend: ReconnectingRedisBackend, prefix: str) -> AsyncIterator[Node]:
    bus = EventBus(backend, prefix)
    await bus.connect()
    try:
        yield Node(bus, backend)
    finally:
        await bus.disconnect()


@contextlib.asynccontextmanager
async def running_bus(url: str, prefix: str) -> AsyncIterator[EventBus]:
    bus = create_bus(url, prefix)
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.disconnect()


@dataclass
class SlowLink:
    """A TCP relay to Redis that delivers what its clients send ``delay`` seconds late, in
    order (a distant network), and holds it while ``flowing`` is clear; answers pass at once.

    A bus connected through it sends its SUBSCRIBE long before Redis reads it, as a bus far
    from Redis would, while a publisher connected directly reaches Redis at once.
    """

    target: str
    delay: float
    flowing: asyncio.Event = field(default_factory=asyncio.Event)
    _relays: set[asyncio.Task[None]] = field(default_factory=set)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """The URL that reaches ``target`` through this link."""
        self.flowing.set()
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            yield urlunsplit(urlsplit(self.target)._replace(netloc=f"127.0.0.1:{port}"))
        finally:
            server.close()
            for relay in self._relays:
                relay.cancel()
            await asyncio.gather(*self._relays, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        parts = urlsplit(self.target)
        up_reader, up_writer = await asyncio.open_connection(parts.hostname, parts.port)
        for relay in (self._late(reader, up_writer), self._at_once(up_reader, writer)):
            task = asyncio.create_task(relay)
            self._relays.add(task)
            task.add_done_callback(self._relays.discard)

    async def _late(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                sent_at, chunk = await chunks.get()
                # The link's latency: simulated, not a wait for something to happen.
                await asyncio.sleep(max(0.0, sent_at + self.delay - loop.time()))
                await self.flowing.wait()
                writer.write(chunk)
                await writer.drain()

        delivering = asyncio.create_task(deliver())
        try:
            while chunk := await reader.read(65536):
                chunks.put_nowait((loop.time(), chunk))
        finally:
            delivering.cancel()
            writer.close()

    async def _at_once(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def raw_client(url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(url)
    try:
        yield client
    finally:
        await client.aclose()


async def receive(messages: AsyncIterator[str]) -> str:
    async with asyncio.timeout(RECEIVE_DEADLINE):
        return await anext(messages)


async def published_until_received(
    publisher: EventBus, channel: str, text: str, messages: AsyncIterator[str]
) -> bool:
    """Publish ``text`` every POLL_INTERVAL until the subscriber gets it; False at the deadline.

    Pub/sub is at-most-once, so publishes before the backend re-subscribed are lost; copies of
    an earlier poll that arrive late are skipped.
    """

    async def arrival() -> bool:
        async for message in messages:
            if message == text:
                return True
        return False

    receiver = asyncio.ensure_future(arrival())
    try:
        async with asyncio.timeout(RECOVERY_DEADLINE):
            while not receiver.done():
                await publisher.publish(channel, text)
                await asyncio.wait({receiver}, timeout=POLL_INTERVAL)
    except TimeoutError:
        return False
    finally:
        receiver.cancel()
    return receiver.result()


@contextlib.asynccontextmanager
async def resubscribed(bus: EventBus, channel: str) -> AsyncIterator[AsyncIterator[str]]:
    """A subscription taken as soon as the bus accepts one again (it refuses while it has no
    connection to Redis), as a client re-subscribing after an error would."""
    async with contextlib.AsyncExitStack() as stack:
        async with asyncio.timeout(RECOVERY_DEADLINE):
            while True:
                try:
                    messages = await stack.enter_async_context(bus.subscribe(channel))
                    break
                except ExternalUnavailable:
                    await asyncio.sleep(POLL_INTERVAL)
        yield messages


async def received_on_a_new_subscription(
    bus: EventBus, publisher: EventBus, channel: str, text: str
) -> bool:
    """Subscribe again, then publish ``text`` until it arrives; False at the deadline."""
    async with resubscribed(bus, channel) as messages:
        return await published_until_received(publisher, channel, text, messages)


async def lost(messages: AsyncIterator[str]) -> ExternalUnavailable:
    """What an open subscription raises once the bus lost its connection (no message first)."""

    async def next_message() -> str:
        async with asyncio.timeout(RECOVERY_DEADLINE):
            return await anext(messages)

    with pytest.raises(ExternalUnavailable) as raised:
        await next_message()
    return raised.value


async def subscriber_count(client: Redis, channel: str) -> int:
    counts: list[tuple[bytes, int]] = await client.pubsub_numsub(channel)
    return counts[0][1]


async def settled_subscriber_count(client: Redis, channel: str, expected: int) -> int:
    """PUBSUB NUMSUB until it reports ``expected`` or the deadline passes; the last count.

    Redis does not order commands across connections, so our UNSUBSCRIBE may land just after
    this client's NUMSUB; a leaked subscription still fails, once the deadline passes.
    """
    count = await subscriber_count(client, channel)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(RECEIVE_DEADLINE):
            while count != expected:
                await asyncio.sleep(POLL_INTERVAL)
                count = await subscriber_count(client, channel)
    return count


async def kill_pubsub_connections(url: str) -> int:
    async with raw_client(url) as admin:
        killed: int = await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        return killed


def announced_backoffs(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The delays the backend announced, one per lost connection."""
    pattern = re.compile(r"lost Redis .*; reconnecting in ([0-9.]+)s")
    matches = (pattern.search(record.getMessage()) for record in caplog.records)
    return [match.group(1) for match in matches if match]


@pytest.fixture
def prefix() -> str:
    return f"test-bus-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def subscriber(redis_url: str, prefix: str) -> AsyncIterator[Node]:
    async with running_node(redis_url, prefix) as node:
        yield node


@pytest.fixture
async def publisher(redis_url: str, prefix: str) -> AsyncIterator[EventBus]:
    async with running_bus(redis_url, prefix) as bus:
        yield bus


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    async with raw_client(redis_url) as client:
        yield client


@pytest.fixture
async def private_subscriber(redis_server: RedisServer, prefix: str) -> AsyncIterator[Node]:
    async with running_node(redis_server.url, prefix) as node:
        yield node


@pytest.fixture
async def private_publisher(redis_server: RedisServer, prefix: str) -> AsyncIterator[EventBus]:
    async with running_bus(redis_server.url, prefix) as bus:
        yield bus


class TestPublish:
    async def test_a_message_reaches_a_subscriber_on_another_connection(
        self, subscriber: Node, publisher: EventBus
    ) -> None:
        async with subscriber.bus.subscribe("chat:42") as messages:
            await publisher.publish("chat:42", '{"id": 1}')
            assert await receive(messages) == '{"id": 1}'

    @pytest.mark.parametrize("payload", [{"id": 1}, b'{"id": 1}'], ids=["dict", "bytes"])
    async def test_anything_but_text_is_refused_and_not_published(
        self, subscriber: Node, publisher: EventBus, payload: Any
    ) -> None:
        async with subscriber.bus.subscribe("chat:42") as messages:
            with pytest.raises(TypeError, match="JSON text only"):
                await publisher.publish("chat:42", payload)
            await publisher.publish("chat:42", '"after"')
            assert await receive(messages) == '"after"'

    async def test_publishing_while_redis_is_down_raises_unavailable(
        self, redis_server: RedisServer, private_publisher: EventBus
    ) -> None:
        await private_publisher.publish("chat:42", '"while up"')
        await redis_server.stop()
        with pytest.raises(ExternalUnavailable):
            async with asyncio.timeout(RECOVERY_DEADLINE):
                await private_publisher.publish("chat:42", '"while down"')


class TestSubscribe:
    async def test_two_subscribers_on_one_channel_both_receive_and_others_do_not(
        self, subscriber: Node, publisher: EventBus
    ) -> None:
        bus = subscriber.bus
        async with (
            bus.subscribe("chat:1") as first,
            bus.subscribe("chat:1") as second,
            bus.subscribe("chat:2") as other,
        ):
            await publisher.publish("chat:1", '"for chat 1"')
            await publisher.publish("chat:2", '"for chat 2"')
            assert await receive(first) == '"for chat 1"'
            assert await receive(second) == '"for chat 1"'
            # Published later on the same connection, so it would come second if chat:1 leaked.
            assert await receive(other) == '"for chat 2"'

    async def test_a_reader_that_falls_behind_gets_every_message_once_in_order(
        self, subscriber: Node, publisher: EventBus
    ) -> None:
        bus = subscriber.bus
        texts = [f'"burst {k}"' for k in range(50)]
        async with bus.subscribe("chat:8") as slow, bus.subscribe("chat:8") as quick:
            await publisher.publish_many([("chat:8", text) for text in texts])
            got_quick = [await receive(quick) for _ in texts]
            # The slow one read nothing yet: all fifty waited for it.
            got_slow = [await receive(slow) for _ in texts]
            await publisher.publish("chat:8", '"then"')
            assert await receive(slow) == '"then"'
            assert await receive(quick) == '"then"'
        assert got_quick == got_slow == texts
        # Both subscribers were listeners of one relay; leaving ended it.
        assert bus.open_subscriptions("chat:8") == 0
        assert bus.relay_of("chat:8") is None

    async def test_messages_before_a_lost_connection_are_read_before_the_error(
        self, redis_server: RedisServer, private_subscriber: Node, private_publisher: EventBus
    ) -> None:
        bus = private_subscriber.bus
        async with bus.subscribe("chat:9") as unread, bus.subscribe("chat:9") as read:
            await private_publisher.publish_many([("chat:9", '"one"'), ("chat:9", '"two"')])
            assert [await receive(read), await receive(read)] == ['"one"', '"two"']
            assert await kill_pubsub_connections(redis_server.url) == 1
            await lost(read)
            assert [await receive(unread), await receive(unread)] == ['"one"', '"two"']
            await lost(unread)

    async def test_subscribers_arriving_at_the_same_moment_all_receive(
        self, subscriber: Node, publisher: EventBus
    ) -> None:
        async def listen(started: asyncio.Event, done: asyncio.Event) -> str:
            async with subscriber.bus.subscribe("chat:7") as messages:
                started.set()
                await done.wait()
                return await receive(messages)

        starts = [asyncio.Event() for _ in range(5)]
        go = asyncio.Event()
        listeners = [asyncio.create_task(listen(started, go)) for started in starts]
        await asyncio.gather(*(started.wait() for started in starts))
        await publisher.publish("chat:7", '"to everyone"')
        go.set()
        assert await asyncio.gather(*listeners) == ['"to everyone"'] * 5

    async def test_first_subscribers_of_many_channels_at_once_all_receive(
        self, redis_url: str, prefix: str, publisher: EventBus
    ) -> None:
        # A fresh bus has no pub/sub connection yet: fifty first SUBSCRIBEs at the same moment
        # once opened fifty connections, of which only the last was read.
        async def listen(bus: EventBus, channel: str, ready: asyncio.Event) -> str:
            async with bus.subscribe(channel) as messages:
                ready.set()
                return await receive(messages)

        async with running_bus(redis_url, prefix) as bus:
            channels = [f"user:{n}" for n in range(50)]
            ready = [asyncio.Event() for _ in channels]
            listeners = [
                asyncio.create_task(listen(bus, channel, event))
                for channel, event in zip(channels, ready, strict=True)
            ]
            await asyncio.gather(*(event.wait() for event in ready))
            for channel in channels:
                await publisher.publish(channel, f'"{channel}"')
            assert await asyncio.gather(*listeners) == [f'"{channel}"' for channel in channels]

    async def test_a_message_published_right_after_subscribe_returns_is_received(
        self, redis_url: str, prefix: str, publisher: EventBus
    ) -> None:
        # Through the slow link the SUBSCRIBE reaches Redis a good while after it was sent; a
        # subscribe that returned once it was sent would let this publish arrive first.
        async with (
            SlowLink(redis_url, delay=0.2).serving() as far_url,
            running_bus(far_url, prefix) as far_bus,
        ):
            for channel in ("chat:1", "chat:2"):  # the first also opens the connection
                async with far_bus.subscribe(channel) as messages:
                    await publisher.publish(channel, '"right after"')
                    assert await receive(messages) == '"right after"'

    async def test_a_subscribe_redis_does_not_answer_is_refused(
        self, redis_url: str, prefix: str
    ) -> None:
        link = SlowLink(redis_url, delay=0.0)
        async with link.serving() as far_url:
            backend = ReconnectingRedisBackend(far_url, subscribe_timeout=0.5)
            async with running_node_on(backend, prefix) as node, node.bus.subscribe("chat:1"):
                link.flowing.clear()  # from now on Redis hears nothing more from this bus
                with pytest.raises(ExternalUnavailable):
                    async with asyncio.timeout(RECEIVE_DEADLINE), node.bus.subscribe("chat:2"):
                        pytest.fail("subscribed without an answer from Redis")
                assert node.bus.open_subscriptions("chat:2") == 0
                link.flowing.set()

    async def test_leaving_the_block_unsubscribes_from_redis(
        self, subscriber: Node, publisher: EventBus, redis: Redis, prefix: str
    ) -> None:
        async with subscriber.bus.subscribe("chat:42") as messages:
            await publisher.publish("chat:42", '"hello"')
            assert await receive(messages) == '"hello"'
            assert await subscriber_count(redis, f"{prefix}:chat:42") == 1
        assert await settled_subscriber_count(redis, f"{prefix}:chat:42", 0) == 0

    async def test_a_subscriber_cancelled_while_the_connection_opens_stops(
        self, redis_url: str, prefix: str
    ) -> None:
        # redis-py can swallow a cancellation that lands while the pub/sub connection opens
        # (its health check polls under asyncio.timeout(0)); a few delays cover that window.
        async def listen(bus: EventBus) -> None:
            async with bus.subscribe("chat:42") as messages:
                await anext(messages)  # nothing is published: waits until cancelled

        for delay in (0.0005, 0.001, 0.002, 0.004):
            async with running_bus(redis_url, prefix) as bus:
                listener = asyncio.create_task(listen(bus))
                await asyncio.sleep(delay)  # only where the cancellation lands, not an assertion
                listener.cancel()
                done, _ = await asyncio.wait([listener], timeout=RECEIVE_DEADLINE)

                assert done == {listener}, f"still listening after a cancel at {delay}s"
                assert listener.cancelled()


class TestReconnectingRedisBackend:
    async def test_an_undecodable_message_is_skipped_and_every_channel_keeps_working(
        self, subscriber: Node, publisher: EventBus, redis: Redis, prefix: str
    ) -> None:
        bus = subscriber.bus
        async with bus.subscribe("chat:1") as first, bus.subscribe("chat:2") as second:
            await redis.publish(f"{prefix}:chat:1", b"\xff\xfe")
            await publisher.publish("chat:1", '"valid"')
            await publisher.publish("chat:2", '"other"')
            assert await receive(first) == '"valid"'
            assert await receive(second) == '"other"'
        assert subscriber.backend.skipped == 1

    async def test_a_killed_connection_ends_open_subscriptions_and_new_ones_receive(
        self, redis_server: RedisServer, private_subscriber: Node, private_publisher: EventBus
    ) -> None:
        bus = private_subscriber.bus
        async with bus.subscribe("chat:42") as messages:
            await private_publisher.publish("chat:42", '"before"')
            assert await receive(messages) == '"before"'
            assert await kill_pubsub_connections(redis_server.url) == 1
            await lost(messages)
        assert await received_on_a_new_subscription(bus, private_publisher, "chat:42", '"after"')

    async def test_a_redis_restart_ends_open_subscriptions_and_new_ones_receive(
        self, redis_server: RedisServer, private_subscriber: Node, private_publisher: EventBus
    ) -> None:
        bus = private_subscriber.bus
        async with bus.subscribe("chat:42") as messages:
            await private_publisher.publish("chat:42", '"before"')
            assert await receive(messages) == '"before"'
            await redis_server.stop()
            await lost(messages)
        await redis_server.start()
        assert await received_on_a_new_subscription(bus, private_publisher, "chat:42", '"after"')

    async def test_every_lost_connection_is_first_retried_after_the_shortest_backoff(
        self,
        redis_server: RedisServer,
        private_subscriber: Node,
        private_publisher: EventBus,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.WARNING, logger="domain.adapters.bus")
        for attempt in ("first", "second"):
            async with resubscribed(private_subscriber.bus, "chat:42") as messages:
                assert await published_until_received(
                    private_publisher, "chat:42", f'"before the {attempt} kill"', messages
                )
                assert await kill_pubsub_connections(redis_server.url) == 1
                await lost(messages)
        assert announced_backoffs(caplog) == [f"{BACKOFF_START:.2f}"] * 2


class TestConnectionLoss:
    """Pub/sub is at-most-once: what is published while the connection is down is lost, so
    every open subscription is told (and ends), and the bus refuses new ones until it is back."""

    async def test_every_subscriber_of_every_channel_is_told(
        self, redis_server: RedisServer, private_subscriber: Node
    ) -> None:
        bus = private_subscriber.bus
        async with (
            bus.subscribe("chat:1") as first,
            bus.subscribe("chat:1") as second,
            bus.subscribe("user:7") as other,
        ):
            await redis_server.stop()
            told = await asyncio.gather(lost(first), lost(second), lost(other))
        assert all("subscribe again" in error.message for error in told)

    async def test_a_subscription_while_the_bus_reconnects_is_refused_at_once(
        self, redis_server: RedisServer, private_subscriber: Node
    ) -> None:
        bus = private_subscriber.bus
        async with bus.subscribe("chat:1") as messages:
            await redis_server.stop()
            await lost(messages)
            # Another subscriber of a channel it listens on, and the first of a new channel.
            for channel in ("chat:1", "chat:2"):
                with pytest.raises(ExternalUnavailable):
                    async with asyncio.timeout(RECOVERY_DEADLINE), bus.subscribe(channel):
                        pytest.fail("subscribed while Redis is down")

    async def test_a_first_subscription_while_redis_is_down_is_refused_at_once(
        self, redis_server: RedisServer, private_subscriber: Node
    ) -> None:
        await redis_server.stop()
        with pytest.raises(ExternalUnavailable):
            async with asyncio.timeout(RECOVERY_DEADLINE), private_subscriber.bus.subscribe("c"):
                pytest.fail("subscribed while Redis is down")

    async def test_after_an_outage_without_subscribers_the_first_subscription_works(
        self, redis_server: RedisServer, private_subscriber: Node, private_publisher: EventBus
    ) -> None:
        # The pub/sub connection died while idle: its first command fails even with Redis back.
        bus = private_subscriber.bus
        async with bus.subscribe("chat:1") as messages:
            await private_publisher.publish("chat:1", '"before"')
            assert await receive(messages) == '"before"'
        await redis_server.stop()
        await redis_server.start()
        async with bus.subscribe("chat:1") as messages:
            assert await published_until_received(private_publisher, "chat:1", '"a"', messages)


# --- the shared relay (EventBus.join / leave / listen) ------------------------------------


@dataclass(eq=False)
class Collector:
    """A listener that keeps what it is handed, and can run something on each message."""

    messages: list[str] = field(default_factory=list)
    ended: list[Exception | None] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    on_message: Callable[[str], None] | None = None

    def deliver(self, message: str) -> None:
        self.messages.append(message)
        self.arrived.set()
        if self.on_message is not None:
            self.on_message(message)

    def end(self, error: Exception | None) -> None:
        self.ended.append(error)
        self.arrived.set()

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(RECEIVE_DEADLINE):
            while not condition():
                self.arrived.clear()
                await self.arrived.wait()


async def published_until_all_received(
    publisher: EventBus, channel: str, text: str, listeners: list[Collector]
) -> None:
    await publisher.publish(channel, text)
    for listener in listeners:
        await listener.until(lambda listener=listener: text in listener.messages)  # type: ignore[misc]


class TestSharedRelay:
    async def test_many_listeners_share_one_subscription_and_all_receive(
        self, subscriber: Node, publisher: EventBus, redis: Redis, prefix: str
    ) -> None:
        bus = subscriber.bus
        listeners = [Collector() for _ in range(50)]
        for listener in listeners:
            await bus.join("user:1", listener)
        assert await subscriber_count(redis, f"{prefix}:user:1") == 1
        assert bus.open_subscriptions("user:1") == 50
        for n in range(3):
            await published_until_all_received(publisher, "user:1", f'"m{n}"', listeners)
        assert all(listener.messages == ['"m0"', '"m1"', '"m2"'] for listener in listeners)
        for listener in listeners:
            await bus.leave("user:1", listener)

    async def test_a_listener_that_leaves_or_fails_mid_fan_out_does_not_stop_the_others(
        self, subscriber: Node, publisher: EventBus
    ) -> None:
        bus = subscriber.bus
        listeners = [Collector() for _ in range(10)]
        leaving, failing = listeners[3], listeners[6]
        left: list[asyncio.Task[None]] = []
        # One leaves as the message is handed out (as a socket closing would)...
        leaving.on_message = lambda _: left.append(
            asyncio.create_task(bus.leave("user:2", leaving))
        )

        # ...and one raises (a listener's bug).
        def fail(message: str) -> None:
            raise RuntimeError("a broken listener")

        failing.on_message = fail
        for listener in listeners:
            await bus.join("user:2", listener)
        await published_until_all_received(publisher, "user:2", '"first"', listeners)
        others = [x for x in listeners if x is not leaving]
        await published_until_all_received(publisher, "user:2", '"second"', others)
        await asyncio.gather(*left)
        assert leaving.messages == ['"first"']
        for listener in others:
            await bus.leave("user:2", listener)

    async def test_a_listener_that_left_gets_nothing_and_the_last_one_unsubscribes(
        self, subscriber: Node, publisher: EventBus, redis: Redis, prefix: str
    ) -> None:
        bus = subscriber.bus
        first, second = Collector(), Collector()
        await bus.join("user:3", first)
        await bus.join("user:3", second)
        await bus.leave("user:3", first)
        await published_until_all_received(publisher, "user:3", '"after"', [second])
        assert first.messages == []
        assert await subscriber_count(redis, f"{prefix}:user:3") == 1
        await bus.leave("user:3", second)
        assert bus.open_subscriptions("user:3") == 0
        assert bus.relay_of("user:3") is None
        assert await settled_subscriber_count(redis, f"{prefix}:user:3", 0) == 0
        # A new listener starts a new relay, and receives.
        async with bus.listen("user:3", third := Collector()):
            await published_until_all_received(publisher, "user:3", '"again"', [third])

    async def test_losing_redis_ends_every_listener_with_the_bus_error(
        self, private_subscriber: Node, redis_server: RedisServer
    ) -> None:
        bus = private_subscriber.bus
        listeners = [Collector() for _ in range(3)]
        for listener in listeners:
            await bus.join("user:4", listener)
        assert await kill_pubsub_connections(redis_server.url) >= 1
        for listener in listeners:
            await listener.until(lambda listener=listener: bool(listener.ended))  # type: ignore[misc]
            [error] = listener.ended
            assert isinstance(error, ExternalUnavailable)
        assert bus.open_subscriptions("user:4") == 0
        for listener in listeners:
            await bus.leave("user:4", listener)  # nothing left to leave: harmless
