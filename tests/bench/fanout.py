"""P3: one event fanned out to N websocket subscribers on one API process.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.fanout --wait-idle 300           # N = 1,000 and 5,000
    .venv/bin/python -m tests.bench.fanout -n 200 --events 3 --graphql 0   # a quick check
    .venv/bin/python -m tests.bench.fanout -n 1000,5000,10000 --ws auto+nodeflate  # production

In one run it:

1. creates and migrates a fresh database; registers two users through the domain service, puts
   them in a private chat and sends one message (``send_message``); the message event is
   rebuilt from that message's card exactly as the service emits it (``MessageEvent(kind=
   "create", ...)``, encoded by ``domain.events.encode``), each published copy with its own
   text (``fanout #<k>``), so clients can tell events apart;
2. for each N (``-n``, default 1,000 and 5,000), for each websocket implementation of uvicorn
   (``--ws``, default ``auto`` - what production gets, websockets-sansio in uvicorn 0.54 -,
   ``websockets``, the older implementation, and ``auto+nodeflate``, auto with
   ``--ws-per-message-deflate false``):
   - starts one API process as production runs it (``uvicorn --factory
     resolvers.app:create_app``, uvloop, httptools, no access log, ``--ws <impl>``);
   - two client processes (asyncio + the ``websockets`` client) open N sockets in all to the
     Centrifugo-protocol endpoint ``/connection/websocket/``, each connecting with a connect
     token and subscribing to the second user's channel with a subscribe token (as seed 001's
     apps do); clients answer the server's pings;
   - memory: the server's RSS before the clients connect and once N sockets are connected,
     subscribed and idle; (after - before) / N is the memory per idle connection;
   - publishes warm-up events until every socket got one, then ``--events`` events, one at a
     time, each straight to Redis on the user's bus channel (``<prefix>:user:<id>``, what the
     unit of work does after commit); a client stamps each socket's arrival with the system's
     monotonic clock, the publisher stamps the moment before ``PUBLISH``;
   - the same N clients against the baseline: a plain ``websockets.serve`` process that
     subscribes to a Redis channel and ``websockets.broadcast``s every message it gets to all
     its sockets - the publisher sends it the exact push frames tghub delivered;
3. optionally (``--graphql N``, default 1,000) the same against the GraphQL ``messageEvents``
   subscription (``graphql-transport-ws`` on ``/graphql``, ``connection_init`` with the second
   user's access token, the ``MessageEvents`` operation of codegen), on the first ``--ws``,
   with its memory per idle socket, against the baseline of the same compression;
4. prints, per case, the delivery time (publish -> socket) p50 / p99 / max over all sockets
   (medians over the events), the ratio to the baseline, and the memory per idle connection.

The file-descriptor limit is raised to its hard limit (children inherit it). Nothing here
asserts timings; figures go to docs/perf.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import SecretStr
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from domain import events
from domain.accounts import service as accounts
from domain.bootstrap import build_runtime
from domain.messenger import service as messenger
from domain.messenger.events import MessageEvent
from domain.messenger.service import NewChat, NewMessage
from domain.settings import Settings
from tests.bench.chat_list import operation_document
from tests.bench.graphql_overhead import ROOT, BenchError, describe_machine, wait_listening
from tests.bench.messenger_dataset import (
    REDIS_URL,
    channel_prefix,
    create_database,
    describe_code,
    drop_database,
    exit_on_sigterm,
    running,
    start_uvicorn,
    tree_cpu,
    tree_rss,
    wait_idle,
)
from tghub.embedded import free_port

if TYPE_CHECKING:
    from collections.abc import Sequence

    from websockets.asyncio.client import ClientConnection

    from tests.bench.graphql_overhead import Server

PASSWORD = "bench-password-123"
MARK = "fanout #"
CONNECT_CONCURRENCY = 100
CLIENT_PROCESSES = 2
WAIT = 600.0  # seconds a phase may take before the run gives up (a busy shared machine)


# --- the event -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    name: str
    settings: Settings
    receiver: uuid.UUID
    access_token: str  # the receiver's, for the GraphQL socket
    connect_token: str  # Centrifugo connect token of the receiver
    subscribe_token: str  # for the receiver's own channel
    event: MessageEvent  # a real event, as send_message emitted it

    @property
    def channel(self) -> str:
        """The receiver's bus channel in Redis."""
        return f"{self.settings.channel_prefix}:user:{self.receiver}"

    def event_text(self, label: str) -> str:
        """The encoded event with its own text (``fanout #<label>``)."""
        message = dataclasses.replace(self.event.message, text=f"{MARK}{label}")
        return events.encode(dataclasses.replace(self.event, message=message))


async def prepare(name: str) -> Setup:
    url = await create_database(name)
    secret = SecretStr(os.urandom(32).hex())
    settings = Settings(
        database_url=url,
        redis_url=REDIS_URL,
        secret_key=secret,
        channel_prefix=channel_prefix(),
        database_pool_size=2,
        password_hash_time_cost=1,
        password_hash_memory_kib=256,
    )
    runtime = build_runtime(settings)
    await runtime.start()
    try:
        users = []
        for username in ("fanoutsender", "fanoutreceiver"):
            async with runtime.uow() as uow:
                users.append(
                    await accounts.register_user(
                        uow,
                        runtime.auth,
                        username=username,
                        password=PASSWORD,
                        first_name="Fan",
                        last_name=username[6:],
                    )
                )
        sender, receiver = users
        async with runtime.uow() as uow:
            chat, _ = await messenger.create_chat(
                uow,
                runtime.messenger,
                actor=accounts.Viewer(user=sender, session_id=None),
                new=NewChat(is_private=True, member_ids=[receiver.id]),
            )
        async with runtime.uow() as uow:
            card = await messenger.send_message(
                uow,
                runtime.messenger,
                actor=accounts.Viewer(user=sender, session_id=None),
                new=NewMessage(chat.id, text="hello"),
            )
        # What send_message emitted (its recipients only route it: they are not encoded).
        event = MessageEvent(kind="create", chat_id=chat.id, message=card)
        async with runtime.uow() as uow:
            pair = await accounts.login(
                uow, runtime.auth, username=receiver.username, password=PASSWORD
            )
        auth = runtime.auth
        viewer = accounts.Viewer(user=receiver, session_id=pair.session_id)
        return Setup(
            name=name,
            settings=settings,
            receiver=receiver.id,
            access_token=pair.access,
            connect_token=accounts.issue_realtime_token(auth, viewer=viewer, channel=None),
            subscribe_token=accounts.issue_realtime_token(
                auth, viewer=viewer, channel=str(receiver.id)
            ),
            event=event,
        )
    finally:
        await runtime.stop()


# --- client processes ------------------------------------------------------------------------


@dataclass
class ClientState:
    """Arrival times (monotonic clock) of each event label, one per socket."""

    sockets: int = 0
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    warm: set[int] = field(default_factory=set)
    frame: str | None = None  # the first push frame seen (the baseline sends the same bytes)


def label_of(text: str) -> str | None:
    """The event's label, found without parsing (parsing 5,000 frames would slow the clock)."""
    start = text.find(MARK)
    if start < 0:
        return None
    start += len(MARK)
    return text[start : text.index('"', start)]


def record(state: ClientState, index: int, text: str, now: float) -> None:
    label = label_of(text)
    if label is None:
        return
    if state.frame is None:
        state.frame = text
    if label.startswith("w"):
        if index not in state.warm:
            state.warm.add(index)
            if len(state.warm) == state.sockets:
                print("WARM", flush=True)
        return
    got = state.arrivals.setdefault(label, [])
    got.append(now)
    if len(got) == state.sockets:
        print(f"GOT {label}", flush=True)


async def centrifugo_socket(url: str, args: argparse.Namespace) -> ClientConnection:
    socket = await connect(url, max_queue=None)
    await socket.send(json.dumps({"id": 1, "connect": {"token": args.connect_token}}))
    await _reply(socket, 1)
    subscribe = {"channel": args.channel_name, "token": args.subscribe_token}
    await socket.send(json.dumps({"id": 2, "subscribe": subscribe}))
    await _reply(socket, 2)
    return socket


async def _reply(socket: ClientConnection, command_id: int) -> None:
    while True:
        for line in str(await asyncio.wait_for(socket.recv(), 30)).split("\n"):
            if not line.strip() or line == "{}":
                continue
            reply = json.loads(line)
            if reply.get("id") == command_id:
                if "error" in reply:
                    raise BenchError(f"command {command_id} refused: {reply}")
                return


async def centrifugo_reader(socket: ClientConnection, index: int, state: ClientState) -> None:
    async for frame in socket:
        now = time.monotonic()
        text = str(frame)
        if text == "{}" or "\n{}" in text or text.startswith("{}\n"):
            await socket.send("{}")  # Centrifugo's ping: pong
        if '"push"' in text:
            record(state, index, text, now)


async def raw_socket(url: str, args: argparse.Namespace) -> ClientConnection:
    return await connect(url, max_queue=None)


async def raw_reader(socket: ClientConnection, index: int, state: ClientState) -> None:
    async for frame in socket:
        record(state, index, str(frame), time.monotonic())


async def graphql_socket(url: str, args: argparse.Namespace) -> ClientConnection:
    socket = await connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], max_queue=None)
    init = {"type": "connection_init", "payload": {"authToken": args.access_token}}
    await socket.send(json.dumps(init))
    ack = json.loads(await asyncio.wait_for(socket.recv(), 30))
    if ack.get("type") != "connection_ack":
        raise BenchError(f"the GraphQL socket was refused: {ack}")
    query = operation_document("MessageEvents")
    payload = {"query": query, "operationName": "MessageEvents", "variables": {}}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return socket


async def graphql_reader(socket: ClientConnection, index: int, state: ClientState) -> None:
    async for frame in socket:
        now = time.monotonic()
        text = str(frame)
        if '"type":"ping"' in text.replace(" ", ""):
            await socket.send('{"type":"pong"}')
        elif '"next"' in text:
            record(state, index, text, now)


async def run_client(args: argparse.Namespace) -> None:
    """One client process: opens its sockets, then follows the coordinator's commands on
    stdin (``REPORT``, ``CLOSE``) and reports on stdout (``READY``, ``WARM``, ``GOT <k>``)."""
    state = ClientState(sockets=args.count)
    opener = {"graphql": graphql_socket, "centrifugo": centrifugo_socket, "raw": raw_socket}[
        args.protocol
    ]
    reader = {"graphql": graphql_reader, "centrifugo": centrifugo_reader, "raw": raw_reader}[
        args.protocol
    ]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    readers: list[asyncio.Task[None]] = []

    async def open_one(index: int) -> ClientConnection:
        async with gate:
            socket = await opener(args.url, args)
        # Read (and answer pings) at once: opening thousands of sockets on a busy machine can
        # outlast the server's ping period, and an unanswered ping closes the socket.
        readers.append(asyncio.create_task(reader(socket, index, state)))
        return socket

    sockets = list(await asyncio.gather(*(open_one(i) for i in range(args.count))))
    print(f"READY {len(sockets)}", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "REPORT":
            print(
                "REPORT " + json.dumps({"arrivals": state.arrivals, "frame": state.frame}),
                flush=True,
            )
        elif line in ("CLOSE", ""):
            break
    for task in readers:
        task.cancel()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


# --- the baseline server ---------------------------------------------------------------------


async def run_raw_server(args: argparse.Namespace) -> None:
    """A plain websockets server: every message on the Redis channel goes to every socket."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    clients: set[ServerConnection] = set()

    async def handler(socket: ServerConnection) -> None:
        clients.add(socket)
        try:
            await socket.wait_closed()
        finally:
            clients.discard(socket)

    redis = Redis.from_url(REDIS_URL)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(args.channel_name)
    compression = None if args.no_deflate else "deflate"
    async with serve(handler, "127.0.0.1", args.port, max_queue=None, compression=compression):
        print("LISTENING", flush=True)
        async for message in pubsub.listen():
            if message.get("type") == "message":
                broadcast(clients, message["data"].decode())


# --- the coordinator -------------------------------------------------------------------------


@dataclass
class Client:
    process: subprocess.Popen[str]
    lines: asyncio.Queue[str]
    reader: asyncio.Task[None]


async def start_clients(
    protocol: str, url: str, count: int, setup: Setup, channel: str, workdir: Path
) -> list[Client]:
    clients = []
    shares = [
        count // CLIENT_PROCESSES + (i < count % CLIENT_PROCESSES) for i in range(CLIENT_PROCESSES)
    ]
    for index, share in enumerate(shares):
        command = [
            sys.executable,
            "-m",
            "tests.bench.fanout",
            "client",
            "--protocol",
            protocol,
            "--url",
            url,
            "--count",
            str(share),
            "--channel-name",
            channel,
        ]
        env = {
            **os.environ,
            "FANOUT_CONNECT_TOKEN": setup.connect_token,
            "FANOUT_SUBSCRIBE_TOKEN": setup.subscribe_token,
            "FANOUT_ACCESS_TOKEN": setup.access_token,
        }
        process = spawn(command, env, workdir / f"client-{protocol}-{index}.log")
        lines: asyncio.Queue[str] = asyncio.Queue()
        clients.append(Client(process, lines, asyncio.create_task(_pump(process, lines))))
    return clients


def spawn(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[str]:
    """A client process, its commands on stdin and its reports on stdout."""
    log: IO[str] = log_path.open("w")
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )


async def _pump(process: subprocess.Popen[str], lines: asyncio.Queue[str]) -> None:
    assert process.stdout is not None
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, process.stdout.readline):
        lines.put_nowait(line.strip())
    lines.put_nowait("EOF")


async def expect(clients: Sequence[Client], prefix: str, within: float = WAIT) -> list[str]:
    """The next line starting with ``prefix`` from each client (other lines are skipped)."""
    found = []
    deadline = time.monotonic() + within
    for client in clients:
        while True:
            left = deadline - time.monotonic()
            try:
                line = await asyncio.wait_for(client.lines.get(), max(left, 0.01))
            except TimeoutError:
                raise BenchError(
                    f"clients did not answer {prefix!r} within {within:.0f} s"
                ) from None
            if line == "EOF":
                raise BenchError(f"a client exited before {prefix!r} (see its log)")
            if line.startswith(prefix):
                found.append(line)
                break
    return found


def tell(clients: Sequence[Client], command: str) -> None:
    for client in clients:
        assert client.process.stdin is not None
        client.process.stdin.write(command + "\n")
        client.process.stdin.flush()


async def stop_clients(clients: Sequence[Client]) -> None:
    for client in clients:
        with contextlib.suppress(OSError):
            tell([client], "CLOSE")
    for client in clients:
        try:
            await asyncio.to_thread(client.process.wait, 30)
        except subprocess.TimeoutExpired:
            client.process.kill()
        client.reader.cancel()


@dataclass(frozen=True)
class CaseResult:
    label: str
    sockets: int
    p50: float
    p99: float
    max: float
    per_event_p50: list[float]
    memory_per_socket: float | None  # bytes
    server_cpu: float  # seconds of server CPU per event, publish to the last delivery
    frame: str | None


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


async def fan_out(
    label: str,
    protocol: str,
    url: str,
    server_pid: int,
    count: int,
    setup: Setup,
    args: argparse.Namespace,
    workdir: Path,
    *,
    channel: str,
    render: Any,
) -> CaseResult:
    """Connects ``count`` sockets, measures memory, publishes events; the delivery times."""
    redis = Redis.from_url(REDIS_URL)
    await asyncio.sleep(1)
    before = tree_rss(server_pid)
    clients = await start_clients(protocol, url, count, setup, str(setup.receiver), workdir)
    try:
        ready = await expect(clients, "READY")
        connected = sum(int(line.split()[1]) for line in ready)
        await asyncio.sleep(3)  # let the server settle (subscriptions, buffers)
        after = tree_rss(server_pid)
        memory = (after - before) / connected
        print(
            f"  {label}: {connected} sockets connected and subscribed; server RSS "
            f"{before / 2**20:.0f} -> {after / 2**20:.0f} MiB",
            flush=True,
        )
        await _warm_up(redis, clients, channel, render)
        published: dict[str, float] = {}
        cpu: list[float] = []
        for index in range(args.events):
            key = str(index)
            text = render(key)
            cpu_before = tree_cpu(server_pid)
            published[key] = time.monotonic()
            await redis.publish(channel, text)
            await expect(clients, f"GOT {key}")
            cpu.append(tree_cpu(server_pid) - cpu_before)
            await asyncio.sleep(args.pause)
        tell(clients, "REPORT")
        reports = [json.loads(line.split(" ", 1)[1]) for line in await expect(clients, "REPORT")]
    finally:
        await stop_clients(clients)
        await redis.aclose()
    per_event = []
    for key, start in published.items():
        times = [t - start for report in reports for t in report["arrivals"].get(key, [])]
        if len(times) != connected:
            raise BenchError(f"{label}: event {key} reached {len(times)} of {connected} sockets")
        per_event.append(times)
    p50s = [percentile(t, 0.5) for t in per_event]
    result = CaseResult(
        label=label,
        sockets=connected,
        p50=statistics.median(p50s),
        p99=statistics.median(percentile(t, 0.99) for t in per_event),
        max=statistics.median(max(t) for t in per_event),
        per_event_p50=p50s,
        memory_per_socket=memory,
        server_cpu=statistics.median(cpu),
        frame=next((r["frame"] for r in reports if r["frame"]), None),
    )
    print(
        f"  {label}: p50 {result.p50 * 1000:.1f} ms, p99 {result.p99 * 1000:.1f} ms, "
        f"max {result.max * 1000:.1f} ms, server CPU {result.server_cpu * 1000:.0f} ms per event, "
        f"{memory / 1024:.1f} KiB per idle socket",
        flush=True,
    )
    return result


async def _warm_up(redis: Redis, clients: Sequence[Client], channel: str, render: Any) -> None:
    """Publishes warm-up events until every socket got one (a GraphQL subscription starts a
    moment after its ``subscribe``; there is no acknowledgement to wait for)."""
    deadline = time.monotonic() + WAIT
    waiting = [asyncio.create_task(expect([c], "WARM", WAIT)) for c in clients]
    index = 0
    while not all(task.done() for task in waiting):
        if time.monotonic() > deadline:
            raise BenchError("the sockets did not all receive a warm-up event")
        await redis.publish(channel, render(f"w{index}"))
        index += 1
        await asyncio.wait(waiting, timeout=1.0)
    for task in waiting:
        task.result()
    await asyncio.sleep(0.5)


NO_DEFLATE = "+nodeflate"


def ws_flags(ws: str) -> list[str]:
    """uvicorn's options for a ``--ws`` case: ``IMPL`` or ``IMPL+nodeflate`` (the same with
    ``--ws-per-message-deflate false``)."""
    impl = ws.removesuffix(NO_DEFLATE)
    flags = ["--ws", impl]
    if ws.endswith(NO_DEFLATE):
        flags += ["--ws-per-message-deflate", "false"]
    return flags


def ws_label(ws: str) -> str:
    """``--ws auto`` names the implementation uvicorn picks (0.54: websockets-sansio)."""
    impl = ws.removesuffix(NO_DEFLATE)
    label = f"--ws {impl}"
    if impl == "auto":
        from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

        label += f" = {getattr(AutoWebSocketsProtocol, '__name__', 'none')}"
    if ws.endswith(NO_DEFLATE):
        label += " --ws-per-message-deflate false"
    return label


def tghub_server(setup: Setup, workdir: Path, ws: str) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGHUB_")}
    env.update(
        TGHUB_DATABASE_URL=str(setup.settings.database_url),
        TGHUB_REDIS_URL=REDIS_URL,
        TGHUB_SECRET_KEY=setup.settings.secret_key.get_secret_value()
        if setup.settings.secret_key
        else "",
        TGHUB_CHANNEL_PREFIX=setup.settings.channel_prefix,
        TGHUB_DATA_DIR=str(workdir / "data"),
        TGHUB_LOG_LEVEL="WARNING",
    )
    return start_uvicorn(
        f"tghub {ws_label(ws)}", "resolvers.app:create_app", "", env, workdir, ws_flags(ws)
    )


def raw_server(
    workdir: Path, channel: str, *, deflate: bool = True
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "tests.bench.fanout",
        "raw-server",
        "--port",
        str(port),
        "--channel-name",
        channel,
        *([] if deflate else ["--no-deflate"]),
    ]
    log = (workdir / "raw-server.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            import socket

            with socket.create_connection(("127.0.0.1", port), 1):
                return process, port
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise BenchError("the raw websockets server did not start")


async def measure(args: argparse.Namespace, setup: Setup, workdir: Path) -> list[CaseResult]:
    results: list[CaseResult] = []
    raw_channel = f"{setup.settings.channel_prefix}:raw:{uuid.uuid4().hex}"
    for count in filter(None, args.sizes):  # -n 0: the GraphQL case alone
        frame: str | None = None
        for ws in args.ws:
            server = tghub_server(setup, workdir, ws)
            with running([server]):
                await asyncio.to_thread(wait_listening, server)
                print(f"  server started on the {describe_code()}", flush=True)
                url = f"ws://127.0.0.1:{server.port}/connection/websocket/"
                result = await fan_out(
                    f"tghub Centrifugo socket, uvicorn {ws_label(ws)}",
                    "centrifugo",
                    url,
                    server.process.pid,
                    count,
                    setup,
                    args,
                    workdir,
                    channel=setup.channel,
                    render=setup.event_text,
                )
                results.append(result)
                frame = frame or result.frame
        if frame is None:
            raise BenchError("no push frame was captured for the baseline")
        results.append(await baseline(args, setup, workdir, count, frame, raw_channel))
        if any(ws.endswith(NO_DEFLATE) for ws in args.ws):
            results.append(
                await baseline(args, setup, workdir, count, frame, raw_channel, deflate=False)
            )
    if args.graphql:
        ws = args.ws[0]
        server = tghub_server(setup, workdir, ws)
        with running([server]):
            await asyncio.to_thread(wait_listening, server)
            url = f"ws://127.0.0.1:{server.port}/graphql"
            results.append(
                await fan_out(
                    f"tghub GraphQL messageEvents, uvicorn {ws_label(ws)}",
                    "graphql",
                    url,
                    server.process.pid,
                    args.graphql,
                    setup,
                    args,
                    workdir,
                    channel=setup.channel,
                    render=setup.event_text,
                )
            )
            frame = results[-1].frame  # the GraphQL frames, for their baseline
        if frame is not None:
            deflate = not ws.endswith(NO_DEFLATE)  # compared with the same compression
            results.append(
                await baseline(
                    args, setup, workdir, args.graphql, frame, raw_channel, deflate=deflate
                )
            )
    return results


async def baseline(
    args: argparse.Namespace,
    setup: Setup,
    workdir: Path,
    count: int,
    frame: str,
    channel: str,
    *,
    deflate: bool = True,
) -> CaseResult:
    """The same clients against ``websockets.broadcast`` of the frames tghub sent."""
    label = label_of(frame)
    if label is None:
        raise BenchError("the captured frame carries no event label")
    before, after = frame.split(MARK + label, 1)

    def render(key: str) -> str:
        return f"{before}{MARK}{key}{after}"

    process, port = raw_server(workdir, channel, deflate=deflate)
    try:
        return await fan_out(
            "baseline: websockets.serve + websockets.broadcast"
            + ("" if deflate else ", compression=None"),
            "raw",
            f"ws://127.0.0.1:{port}/",
            process.pid,
            count,
            setup,
            args,
            workdir,
            channel=channel,
            render=render,
        )
    finally:
        process.terminate()
        process.wait(10)


def report(results: Sequence[CaseResult]) -> None:
    print(
        "\nResults (delivery = publish to Redis -> the socket's client got the frame; "
        "medians over the events):\n"
    )
    print(
        "| case | sockets | p50 | p99 | max | vs baseline (p50 / p99) "
        "| server CPU per event | RSS per idle socket |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for index, r in enumerate(results):
        # A case's baseline is the next one measured with as many sockets and the same
        # compression.
        plain = "deflate false" in r.label or "compression=None" in r.label
        base = next(
            (
                b
                for b in results[index:]
                if b.label.startswith("baseline")
                and b.sockets == r.sockets
                and ("compression=None" in b.label) == plain
            ),
            None,
        )
        ratio = (
            f"{r.p50 / base.p50:.2f}× / {r.p99 / base.p99:.2f}×" if base and r is not base else "—"
        )
        memory = f"{r.memory_per_socket / 1024:.1f} KiB" if r.memory_per_socket else "n/a"
        print(
            f"| {r.label} | {r.sockets:,} | {r.p50 * 1000:.1f} ms | {r.p99 * 1000:.1f} ms "
            f"| {r.max * 1000:.1f} ms | {ratio} | {r.server_cpu * 1000:.0f} ms | {memory} |"
        )
    print(
        "\nAims: Centrifugo delivery p99 <= 1.2× the raw broadcast at 5,000 sockets and <= 1.5× "
        "at 10,000; GraphQL p99 <= 3× at 1,000; <= 30 KiB per idle connection."
    )


# --- main ------------------------------------------------------------------------------------


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="mode")
    client = sub.add_parser("client", help="internal: one client process")
    client.add_argument("--protocol", choices=["centrifugo", "graphql", "raw"], required=True)
    client.add_argument("--url", required=True)
    client.add_argument("--count", type=int, required=True)
    client.add_argument("--channel-name", required=True)
    raw = sub.add_parser("raw-server", help="internal: the baseline server")
    raw.add_argument("--port", type=int, required=True)
    raw.add_argument("--channel-name", required=True)
    raw.add_argument("--no-deflate", action="store_true")
    parser.add_argument(
        "-n",
        "--sizes",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[1000, 5000],
        help="socket counts (default 1000,5000; 0 runs the GraphQL case alone)",
    )
    parser.add_argument(
        "--ws",
        type=lambda v: v.split(","),
        default=["auto", "websockets", "auto+nodeflate"],
        help="uvicorn --ws implementations to compare (comma-separated; IMPL+nodeflate adds "
        "--ws-per-message-deflate false)",
    )
    parser.add_argument(
        "--graphql",
        type=int,
        default=1000,
        help="sockets for the GraphQL subscription case (0: skip)",
    )
    parser.add_argument("--logs", help="keep the servers' and clients' logs in this folder")
    parser.add_argument("--events", type=int, default=5, help="measured events per case")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between events")
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
    limit = raise_fd_limit()
    if args.mode == "client":
        args.connect_token = os.environ["FANOUT_CONNECT_TOKEN"]
        args.subscribe_token = os.environ["FANOUT_SUBSCRIBE_TOKEN"]
        args.access_token = os.environ["FANOUT_ACCESS_TOKEN"]
        import uvloop

        uvloop.run(run_client(args))
        return 0
    if args.mode == "raw-server":
        import uvloop

        uvloop.run(run_raw_server(args))
        return 0
    exit_on_sigterm()
    print(f"{describe_machine()}\n{describe_code()}")
    print(f"redis {REDIS_URL}, pid {os.getpid()}, open files limit {limit}")
    wait_idle(args.wait_idle)
    name = f"tghub_bench_fanout_{os.getpid()}"
    try:
        setup = asyncio.run(prepare(name))
        with tempfile.TemporaryDirectory(prefix="tghub-bench-") as tmp:
            logs = Path(args.logs) if args.logs else Path(tmp)
            logs.mkdir(parents=True, exist_ok=True)
            results = asyncio.run(measure(args, setup, logs))
        report(results)
        return 0
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(drop_database(name))


if __name__ == "__main__":
    sys.exit(main())
