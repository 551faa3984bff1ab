"""P4: send a message on one API process, receive it on another's GraphQL subscription.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.send_receive --wait-idle 300   # 200 sends
    .venv/bin/python -m tests.bench.send_receive -n 30              # a quick check

In one run it:

1. creates and migrates a fresh database and builds the messenger data set
   (``messenger_dataset``); the sender is its owner, the receiver the companion of its busy
   private chat;
2. starts two single-worker API processes the way production runs them (``uvicorn --factory
   resolvers.app:create_app``, uvloop, httptools, no access log): A and B;
3. the receiver opens a ``graphql-transport-ws`` socket on B (``connection_init`` with
   ``{"authToken": ...}``) and subscribes with the ``MessageEvents`` operation of
   ``codegen/operations/messenger.graphql``; a raw redis-py subscriber also listens on the
   receiver's Redis channel (``<prefix>:user:<id>``), to see when the event passes Redis;
4. ``-n`` times, one at a time: the sender POSTs the ``SendMessage`` mutation to A (one kept-alive
   HTTP connection) and waits until the receiver's socket on B delivers the ``create`` event of
   that message; and, interleaved with those, one raw Redis round trip (redis-py asyncio
   ``PUBLISH`` on one connection, received by a ``SUBSCRIBE`` on another; the payload is the
   real event's text); and one send -> receive through the hand-written baseline of
   ``plain_send`` (two more processes: a plain Starlette ``POST /send`` doing one ``INSERT …
   RETURNING``, ``COMMIT`` and ``PUBLISH`` on an asyncpg pool, and a plain websocket relay
   subscribed to Redis) - the physical path without tghub;
5. prints p50/p99 of send -> receive, of its parts (send -> event in Redis, Redis -> B's socket,
   and the mutation's own HTTP response time), of the baseline and of the Redis round trip, and
   the ratios (the aim: p50 ≤ 2× and p99 ≤ 3× the baseline).

Nothing here asserts timings; figures go to docs/perf.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from redis.asyncio import Redis
from strawberry.relay import GlobalID
from websockets.asyncio.client import connect

from tests.bench.chat_list import operation_document
from tests.bench.graphql_overhead import BenchError, describe_machine, wait_listening
from tests.bench.messenger_dataset import (
    REDIS_URL,
    bench_env,
    dataset_for_run,
    describe_code,
    exit_on_sigterm,
    login,
    running,
    start_uvicorn,
    wait_idle,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from websockets.asyncio.client import ClientConnection

    from tests.bench.messenger_dataset import Dataset

TIMEOUT = 10.0
# codegen's SendMessage selects ``... on Error { message }`` (String!) next to
# ``... on SendMessageSuccess { message { ... } }`` (Message!): graphql-core refuses that
# document ("Fields 'message' conflict"), so this is the same selection with the error's
# message aliased.
SEND_MESSAGE = """
mutation SendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) {
    __typename
    ... on SendMessageSuccess { message { ...MessageFields } }
    ... on Error { errorMessage: message code }
  }
}
"""


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


@dataclass
class Arrivals:
    """When each message (by its text) arrived on the socket and in Redis."""

    socket: dict[str, float] = field(default_factory=dict)
    redis: dict[str, float] = field(default_factory=dict)
    waiters: dict[str, asyncio.Future[float]] = field(default_factory=dict)

    def expect(self, text: str) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self.waiters[text] = future
        return future


async def read_socket(socket: ClientConnection, arrivals: Arrivals) -> None:
    async for raw in socket:
        now = time.perf_counter()
        frame = json.loads(raw)
        if frame.get("type") == "ping":
            await socket.send(json.dumps({"type": "pong"}))
            continue
        if frame.get("type") != "next":
            raise BenchError(f"unexpected frame on the subscription: {str(frame)[:500]}")
        event = frame["payload"]["data"]["messageEvents"]
        if event["kind"] != "CREATE" or event["message"] is None:
            continue
        text = event["message"]["text"]
        arrivals.socket[text] = now
        waiter = arrivals.waiters.pop(text, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now)


async def read_redis(redis: Redis, channel: str, arrivals: Arrivals) -> None:
    """Taps the receiver's channel: when did each event pass through Redis."""
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    try:
        async for message in pubsub.listen():
            now = time.perf_counter()
            if message.get("type") == "message":
                body = json.loads(message["data"])
                text = body.get("data", {}).get("message", {}).get("text")
                if text is not None:
                    arrivals.redis[text] = now
    finally:
        await pubsub.aclose()


@contextlib.asynccontextmanager
async def subscription(url: str, token: str) -> Any:
    async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
        ack = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
        if ack.get("type") != "connection_ack":
            raise BenchError(f"B refused the socket: {ack!r}")
        query = operation_document("MessageEvents")
        await socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "operationName": "MessageEvents", "variables": {}},
                }
            )
        )
        yield socket


class RedisRoundTrip:
    """PUBLISH on one connection, received by SUBSCRIBE on another (redis-py asyncio)."""

    def __init__(self, url: str, channel: str) -> None:
        self.publisher = Redis.from_url(url)
        self.subscriber = Redis.from_url(url)
        self.channel = channel
        self.received: asyncio.Queue[float] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        pubsub = self.subscriber.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.channel)

        async def listen() -> None:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    self.received.put_nowait(time.perf_counter())

        self.task = asyncio.create_task(listen())

    async def sample(self, payload: str) -> float:
        start = time.perf_counter()
        await self.publisher.publish(self.channel, payload)
        arrived = await asyncio.wait_for(self.received.get(), TIMEOUT)
        return arrived - start

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.publisher.aclose()
        await self.subscriber.aclose()


class PlainPath:
    """The baseline: ``POST /send`` on the plain app, received on the plain relay's socket."""

    def __init__(self, send_port: int, relay_port: int, channel: str, dataset: Dataset) -> None:
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{send_port}")
        self.relay_url = f"ws://127.0.0.1:{relay_port}/relay/{channel}"
        self.body = {
            "chat": str(dataset.busy_chat),
            "sender": str(dataset.owner_id),
            "channel": channel,
        }
        self.arrivals = Arrivals()
        self.stack = contextlib.AsyncExitStack()

    async def start(self) -> None:
        socket = await self.stack.enter_async_context(connect(self.relay_url))
        ready = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
        if ready != {"ready": True}:
            raise BenchError(f"the plain relay answered {ready!r}")
        reader = asyncio.create_task(self._read(socket))
        reader.add_done_callback(_quiet)
        self.stack.callback(reader.cancel)

    async def _read(self, socket: ClientConnection) -> None:
        async for raw in socket:
            now = time.perf_counter()
            waiter = self.arrivals.waiters.pop(json.loads(raw)["text"], None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)

    async def sample(self, text: str) -> float:
        waiter = self.arrivals.expect(text)
        start = time.perf_counter()
        response = await self.http.post("/send", json={**self.body, "text": text})
        if response.status_code != 201:
            raise BenchError(f"the plain send answered {response.status_code}: {response.text}")
        return await asyncio.wait_for(waiter, TIMEOUT) - start

    async def stop(self) -> None:
        await self.stack.aclose()
        await self.http.aclose()


@dataclass
class Samples:
    send_receive: list[float] = field(default_factory=list)
    to_redis: list[float] = field(default_factory=list)
    redis_to_socket: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    plain: list[float] = field(default_factory=list)
    redis_rtt: list[float] = field(default_factory=list)


async def measure(args: argparse.Namespace, dataset: Dataset, ports: dict[str, int]) -> int:
    a_port, b_port = ports["A"], ports["B"]
    plain = PlainPath(
        ports["plain"], ports["relay"], f"{dataset.prefix}:plain:{uuid.uuid4().hex}", dataset
    )
    await plain.start()
    receiver_token = await login(dataset, dataset.companion)
    redis = Redis.from_url(REDIS_URL)
    receiver_id = await _user_id(dataset, dataset.companion)
    channel = f"{dataset.prefix}:user:{receiver_id}"
    arrivals = Arrivals()
    mutation = operation_document("SendMessage", text=SEND_MESSAGE)
    samples = Samples()
    rtt = RedisRoundTrip(REDIS_URL, f"{dataset.prefix}:rtt:{uuid.uuid4().hex}")
    await rtt.start()
    tap = asyncio.create_task(read_redis(redis, channel, arrivals))
    headers = {"Authorization": f"Bearer {dataset.token}"}
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{a_port}", headers=headers) as http,
        subscription(f"ws://127.0.0.1:{b_port}/graphql", receiver_token) as socket,
    ):
        reader = asyncio.create_task(read_socket(socket, arrivals))
        reader.add_done_callback(_quiet)

        busy_chat = str(GlobalID("Chat", str(dataset.busy_chat)))  # GraphQL takes global IDs

        async def send(text: str) -> tuple[float, float, float]:
            waiter = arrivals.expect(text)
            body = {
                "query": mutation,
                "operationName": "SendMessage",
                "variables": {"input": {"chatId": busy_chat, "text": text}},
            }
            start = time.perf_counter()
            response = await http.post("/graphql", json=body)
            answered = time.perf_counter()
            payload = response.json()
            kind = (payload.get("data") or {}).get("sendMessage", {}).get("__typename")
            if response.status_code != 200 or kind != "SendMessageSuccess":
                raise BenchError(f"SendMessage answered {response.status_code}: {payload!r}")
            received = await asyncio.wait_for(waiter, TIMEOUT)
            return start, answered, received

        # The subscription is live once a message sent after it arrives; warm both paths up.
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                await asyncio.wait_for(send(f"warm-up {time.monotonic()}"), 1.0)
                break
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise BenchError("the subscription on B never delivered") from None
        for index in range(args.warmup):
            await send(f"warm-up {index}")
        payload = await _event_text(redis, channel, send)
        for index in range(args.warmup):
            await rtt.sample(payload)
            await plain.sample(f"warm-up {index}")
        print(f"warmed up; the event is {len(payload):,} bytes of JSON in Redis", flush=True)
        for index in range(args.sends):
            samples.redis_rtt.append(await rtt.sample(payload))
            await asyncio.sleep(args.pause)
            samples.plain.append(await plain.sample(f"plain #{index}"))
            await asyncio.sleep(args.pause)
            text = f"p4 #{index}"
            start, answered, received = await send(text)
            samples.send_receive.append(received - start)
            samples.http.append(answered - start)
            passed = arrivals.redis.get(text)
            if passed is not None:
                samples.to_redis.append(passed - start)
                samples.redis_to_socket.append(received - passed)
            await asyncio.sleep(args.pause)
        reader.cancel()
    tap.cancel()
    await rtt.stop()
    await plain.stop()
    await redis.aclose()
    report(samples)
    return 0


def _quiet(task: asyncio.Task[None]) -> None:
    """The reader ends with the socket; its error, if any, shows as a missing delivery."""
    if not task.cancelled():
        task.exception()


async def _event_text(redis: Redis, channel: str, send: Any) -> str:
    """The text of one real message event, as published on the receiver's channel."""
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    try:
        await send(f"sample {time.monotonic()}")
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            # A subscribe confirmation (ignored) also answers None: read on.
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None and message.get("type") == "message":
                return str(message["data"].decode())
        raise BenchError("no event passed through Redis")
    finally:
        await pubsub.aclose()


async def _user_id(dataset: Dataset, username: str) -> uuid.UUID:
    from domain.accounts import repository
    from domain.bootstrap import build_runtime

    runtime = build_runtime(dataset.settings())
    try:
        async with runtime.uow() as uow:
            user = await repository.find_user_by_username(uow.session, username)
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()
        await runtime.queue.close()
    if user is None:
        raise BenchError(f"no user {username}")
    return user.id


def report(samples: Samples) -> None:
    rows = [
        (
            "send → receive: SendMessage POST on A → `create` event on B's socket",
            samples.send_receive,
        ),
        (
            "  part: send → event published in Redis (A: HTTP, GraphQL, transaction, commit)",
            samples.to_redis,
        ),
        (
            "  part: Redis → B's socket (B: bus, decode, subscription execution, websocket)",
            samples.redis_to_socket,
        ),
        ("  for reference: SendMessage HTTP response time on A", samples.http),
        (
            "baseline: plain POST /send (INSERT … RETURNING, COMMIT, PUBLISH) → plain relay's "
            "socket",
            samples.plain,
        ),
        (
            "baseline: raw Redis PUBLISH → SUBSCRIBE (redis-py asyncio, same payload)",
            samples.redis_rtt,
        ),
    ]
    print(
        f"\nResults ({len(samples.send_receive)} sequential sends, interleaved with as many "
        "Redis round trips):\n"
    )
    print("| measured | p50 | p99 | mean | n |\n|---|---|---|---|---|")
    for label, values in rows:
        if values:
            print(
                f"| {label} | **{ms(percentile(values, 0.5))}** | {ms(percentile(values, 0.99))} "
                f"| {ms(statistics.fmean(values))} | {len(values)} |"
            )
    p50 = percentile(samples.send_receive, 0.5) / percentile(samples.plain, 0.5)
    p99 = percentile(samples.send_receive, 0.99) / percentile(samples.plain, 0.99)
    print(
        f"\nsend → receive / plain baseline: p50 **{p50:.2f}×** (aim ≤ 2×), "
        f"p99 **{p99:.2f}×** (aim ≤ 3×)"
    )
    p50 = percentile(samples.send_receive, 0.5) / percentile(samples.redis_rtt, 0.5)
    p99 = percentile(samples.send_receive, 0.99) / percentile(samples.redis_rtt, 0.99)
    print(f"send → receive / Redis round trip: p50 {p50:.0f}×, p99 {p99:.0f}×")
    if samples.redis_to_socket:
        part = percentile(samples.redis_to_socket, 0.5) / percentile(samples.redis_rtt, 0.5)
        print(f"Redis → B's socket alone / Redis round trip: p50 {part:.1f}×")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("-n", "--sends", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.01, help="seconds between samples")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before starting, wait up to this long for other load to stop (shared machines)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    print(f"{describe_machine()}\n{describe_code()}\nredis {REDIS_URL}, pid {os.getpid()}")
    wait_idle(args.wait_idle)
    try:
        with (
            dataset_for_run("p4") as dataset,
            tempfile.TemporaryDirectory(prefix="tghub-bench-") as tmp,
        ):
            print(dataset.describe())
            workdir = Path(tmp)
            env = bench_env(dataset, workdir)
            servers = {
                "A": start_uvicorn("API A", "resolvers.app:create_app", "/graphql", env, workdir),
                "B": start_uvicorn("API B", "resolvers.app:create_app", "/graphql", env, workdir),
                "plain": start_uvicorn(
                    "plain send", "tests.bench.plain_send:create_app", "/send", env, workdir
                ),
                "relay": start_uvicorn(
                    "plain relay", "tests.bench.plain_send:create_relay", "/relay", env, workdir
                ),
            }
            with running(list(servers.values())):
                for server in servers.values():
                    wait_listening(server)
                print(f"servers started on the {describe_code()}")
                ports = {name: server.port for name, server in servers.items()}
                return asyncio.run(measure(args, dataset, ports))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
