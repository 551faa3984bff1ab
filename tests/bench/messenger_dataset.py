"""The messenger benchmarks' data set, and what those benchmarks share (servers, wrk rounds).

Run from the repository root to build it once and print what it holds (and how long it took)::

    .venv/bin/python -m tests.bench.messenger_dataset

The data set (``build``): one user, ``benchowner``, with 200 chats - 150 private chats, each with
a different companion, and 50 groups of 3-10 members drawn from the same companions - built
through the domain services, exactly as the API would have built it:

- users through ``accounts.register_user`` (with a cheap argon2 cost: the hashes verify, but
  only the owner and one companion ever log in), a fifth of them shown online (``go_online``);
- chats through ``messenger.create_chat`` (the owner creates most, a companion the rest);
- 5-20 messages per chat through ``messenger.send_message``, about a third of them by the
  owner, and one private chat (``busy_chat``) with exactly 20;
- read markers (``chat_members.last_read_at``) through ``read_all`` and ``read_message``: the
  owner read everything in about 40 % of the chats, up to a random message in 35 % and nothing
  in the rest; each other member read up to a random message half of the time.

Everything is seeded (``random.Random(SEED)``), so the shape is the same every run; the ids
and timestamps are new. ``messenger_database()`` creates a fresh database, migrates it, builds
the data set, runs ``VACUUM ANALYZE`` (what autovacuum would have done; the test machine's
PostgreSQL runs with ``autovacuum = off``) and drops the database afterwards.

Environment: ``TGHUB_BENCH_ADMIN_DATABASE_URL`` (default
``postgresql://app:app@127.0.0.1:5432/postgres``), ``TGHUB_BENCH_MESSENGER_REDIS_URL``
(default ``redis://127.0.0.1:6379/11``). Channels carry a per-run prefix
(``tghub-bench-msg-<pid>``), so concurrent runs and other tests do not see each other's events.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr
from sqlalchemy import text

from domain.accounts import service as accounts
from domain.bootstrap import build_runtime
from domain.messenger import service as messenger
from domain.messenger.service import NewChat, NewMessage
from domain.settings import Settings
from tests.bench.graphql_overhead import (
    BUSY_WARNING,
    LUA_TEMPLATE,
    ROOT,
    BenchError,
    CpuSnapshot,
    CpuUse,
    Server,
    WrkResult,
    background_load,
    describe_machine,
    fmt_cpu,
    fmt_ms,
    fmt_rps,
    host_busy,
    postgres_cpu,
    process_cpu,
    server_env,
)
from tests.pg import admin_execute, drop_statement, sibling_url
from tghub.embedded import free_port
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    import uuid
    from collections.abc import AsyncIterator, Callable, Iterator, Sequence

    from domain.accounts.model import User
    from domain.bootstrap import Runtime

ADMIN_URL = os.environ.get(
    "TGHUB_BENCH_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TGHUB_BENCH_MESSENGER_REDIS_URL", "redis://127.0.0.1:6379/11")
SEED = 1
OWNER = "benchowner"
PASSWORD = "bench-password-123"
PRIVATE_CHATS = 150
GROUP_CHATS = 50
BUILD_CONCURRENCY = 6
WRK_TIMEOUT = "30s"


def channel_prefix() -> str:
    return f"tghub-bench-msg-{os.getpid()}"


@dataclass(frozen=True)
class Dataset:
    name: str  # the database
    url: str
    secret_key: str
    prefix: str  # TGHUB_CHANNEL_PREFIX of this run
    owner_id: uuid.UUID
    token: str  # the owner's access token
    users: int
    private_chats: int
    groups: int
    messages: int
    owner_messages: int
    unread_chats: int  # chats where the owner has unread messages
    busy_chat: uuid.UUID  # a private chat with 20 messages
    companion: str  # the busy chat's companion (username)
    build_seconds: float

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": self.url,
            "redis_url": REDIS_URL,
            "secret_key": SecretStr(self.secret_key),
            "channel_prefix": self.prefix,
            "database_pool_size": 4,
            # Only for the benchmark's own logins: a hash stores its parameters, so the
            # servers (default cost) verify these too.
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 256,
            **overrides,
        }
        return Settings(**values)  # type: ignore[arg-type]

    def describe(self) -> str:
        return (
            f"{self.users} users; the owner in {self.private_chats + self.groups} chats "
            f"({self.private_chats} private, {self.groups} groups of 3-10), "
            f"{self.messages:,} messages ({self.owner_messages:,} by the owner), unread messages "
            f"in {self.unread_chats} chats; built through the domain services in "
            f"{self.build_seconds:.1f} s"
        )


# --- building --------------------------------------------------------------------------------


@dataclass
class _Counts:
    messages: int = 0
    owner_messages: int = 0


async def _register(runtime: Runtime, username: str, first: str, last: str) -> User:
    async with runtime.uow() as uow:
        return await accounts.register_user(
            uow,
            runtime.auth,
            username=username,
            password=PASSWORD,
            first_name=first,
            last_name=last,
        )


FIRST_NAMES = ["Ivan", "Olga", "Petr", "Anna", "Sergey", "Maria", "", "Oleg", "Nina", ""]
LAST_NAMES = ["Ivanov", "Petrova", "Smirnov", "", "Volkova", "Kuznetsov", "Popova", ""]
WORDS = [
    "hello",
    "how",
    "are",
    "you",
    "see",
    "the",
    "file",
    "tomorrow",
    "meeting",
    "ok",
    "thanks",
    "done",
    "later",
    "call",
    "me",
]


async def _people(runtime: Runtime, rng: random.Random) -> tuple[User, list[User]]:
    owner = await _register(runtime, OWNER, "Bench", "Owner")
    names = [
        (f"companion{i}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
        for i in range(PRIVATE_CHATS)
    ]
    gate = asyncio.Semaphore(BUILD_CONCURRENCY)

    async def one(username: str, first: str, last: str) -> User:
        async with gate:
            return await _register(runtime, username, first, last)

    companions = list(await asyncio.gather(*(one(*n) for n in names)))
    for user in rng.sample(companions, len(companions) // 5):
        async with runtime.uow() as uow:
            await accounts.go_online(
                uow, runtime.auth, actor=accounts.Viewer(user=user, session_id=None)
            )
    return owner, companions


@dataclass(frozen=True)
class _Plan:
    """One chat to build: its members (the creator first) and its message count."""

    private: bool
    creator: User
    others: list[User]  # members besides the creator
    messages: int
    title: str | None = None


def _plans(rng: random.Random, owner: User, companions: list[User]) -> list[_Plan]:
    plans = []
    for index, companion in enumerate(companions):
        count = 20 if index == 0 else rng.randint(5, 20)
        if rng.random() < 0.8:
            plans.append(_Plan(True, owner, [companion], count))
        else:
            plans.append(_Plan(True, companion, [owner], count))
    for index in range(GROUP_CHATS):
        members = rng.sample(companions, rng.randint(2, 9))
        title = f"Group {index} {rng.choice(WORDS)}"
        count = rng.randint(5, 20)
        if rng.random() < 0.7:
            plans.append(_Plan(False, owner, members, count, title))
        else:
            plans.append(_Plan(False, members[0], [owner, *members[1:]], count, title))
    rng.shuffle(plans)
    return plans


def as_actor(user: User) -> accounts.Viewer:
    """The user signed in, as the messenger's services take them."""
    return accounts.Viewer(user=user, session_id=None)


async def _build_chat(
    runtime: Runtime, plan: _Plan, owner: User, rng: random.Random, counts: _Counts
) -> tuple[uuid.UUID, bool]:
    """Creates the chat, sends its messages and moves read markers; (chat id, owner has
    unread)."""
    new = NewChat(is_private=plan.private, member_ids=[m.id for m in plan.others], title=plan.title)
    async with runtime.uow() as uow:
        chat, _ = await messenger.create_chat(
            uow, runtime.messenger, actor=as_actor(plan.creator), new=new
        )
    members = [plan.creator, *plan.others]
    others = [m for m in members if m.id != owner.id]
    sent: list[tuple[uuid.UUID, uuid.UUID]] = []  # (message id, sender id)
    for index in range(plan.messages):
        sender = owner if rng.random() < 0.35 else rng.choice(others)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 15)))
        text = f"{words} #{index}"
        async with runtime.uow() as uow:
            card = await messenger.send_message(
                uow,
                runtime.messenger,
                actor=as_actor(sender),
                new=NewMessage(chat_id=chat.id, text=text),
            )
        sent.append((card.id, sender.id))
        counts.messages += 1
        counts.owner_messages += sender.id == owner.id
    for member in members:
        theirs = [m for m, s in sent if s != member.id]
        roll = rng.random()
        if not theirs:
            continue
        if member.id == owner.id and roll < 0.4:
            async with runtime.uow() as uow:
                await messenger.read_all_messages(uow, actor=as_actor(owner), chat_id=chat.id)
        elif (member.id == owner.id and roll < 0.75) or (member.id != owner.id and roll < 0.5):
            async with runtime.uow() as uow:
                await messenger.read_message(
                    uow, actor=as_actor(member), message_id=rng.choice(theirs)
                )
    async with runtime.uow() as uow:
        unread = await uow.session.scalar(UNREAD, {"chat": chat.id, "owner": owner.id})
    return chat.id, bool(unread)


# Messages of others after the owner's read marker (the definition the chat list uses).
UNREAD = text(
    "SELECT count(*) FROM messages m JOIN chat_members cm"
    " ON cm.chat_id = m.chat_id AND cm.user_id = :owner"
    " WHERE m.chat_id = :chat AND m.sender_id IS DISTINCT FROM :owner"
    " AND (cm.last_read_at IS NULL OR m.created_at > cm.last_read_at)"
)


async def build(settings: Settings, name: str, secret_key: str) -> Dataset:
    """Builds the data set through the services in a migrated database; returns what it is."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    runtime = build_runtime(settings)
    await runtime.start()
    try:
        owner, companions = await _people(runtime, rng)
        plans = _plans(rng, owner, companions)
        counts = _Counts()
        gate = asyncio.Semaphore(BUILD_CONCURRENCY)
        # Each chat gets its own generator, so the shape does not depend on the scheduling.
        seeds = [rng.randrange(2**32) for _ in plans]

        async def one(plan: _Plan, seed: int) -> tuple[uuid.UUID, bool]:
            async with gate:
                return await _build_chat(runtime, plan, owner, random.Random(seed), counts)

        built = await asyncio.gather(*(one(p, s) for p, s in zip(plans, seeds, strict=True)))
        busy = next(
            chat_id
            for (chat_id, _), plan in zip(built, plans, strict=True)
            if plan.private and plan.messages == 20
        )
        busy_plan = next(p for (c, _), p in zip(built, plans, strict=True) if c == busy)
        companion = next(m for m in [busy_plan.creator, *busy_plan.others] if m.id != owner.id)
        async with runtime.uow() as uow:
            pair = await accounts.login(uow, runtime.auth, username=OWNER, password=PASSWORD)
    finally:
        await runtime.stop()
    return Dataset(
        name=name,
        url=str(settings.database_url),
        secret_key=secret_key,
        prefix=settings.channel_prefix,
        owner_id=owner.id,
        token=pair.access,
        users=1 + len(companions),
        private_chats=sum(p.private for p in plans),
        groups=sum(not p.private for p in plans),
        messages=counts.messages,
        owner_messages=counts.owner_messages,
        unread_chats=sum(unread for _, unread in built),
        busy_chat=busy,
        companion=companion.username,
        build_seconds=time.perf_counter() - started,
    )


async def login(dataset: Dataset, username: str) -> str:
    """An access token of one of the data set's users."""
    runtime = build_runtime(dataset.settings())
    await runtime.start()
    try:
        async with runtime.uow() as uow:
            pair = await accounts.login(uow, runtime.auth, username=username, password=PASSWORD)
    finally:
        await runtime.stop()
    return pair.access


async def create_database(name: str) -> str:
    await admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"')
    url = sibling_url(ADMIN_URL, name)
    await asyncio.to_thread(upgrade_head, url)
    return url


async def drop_database(name: str) -> None:
    try:
        await admin_execute(ADMIN_URL, drop_statement(name))
    except Exception as exc:  # report, but do not hide the original error
        print(f"warning: could not drop database {name}: {exc!r}", file=sys.stderr)


async def create_dataset(label: str) -> Dataset:
    """A fresh, migrated database holding the data set (``drop_database(dataset.name)``)."""
    name = f"tghub_bench_{label}_{os.getpid()}"
    secret_key = secrets.token_urlsafe(48)
    url = await create_database(name)
    settings = Settings(
        database_url=url,
        redis_url=REDIS_URL,
        secret_key=SecretStr(secret_key),
        channel_prefix=channel_prefix(),
        database_pool_size=BUILD_CONCURRENCY + 2,
        password_hash_time_cost=1,
        password_hash_memory_kib=256,
    )
    try:
        dataset = await build(settings, name, secret_key)
        # What autovacuum would have done by now (this PostgreSQL runs with autovacuum off):
        # building left a dead version of a chat row per message sent, and no statistics.
        await admin_execute(url, "VACUUM ANALYZE")
    except BaseException:
        await drop_database(name)
        raise
    return dataset


@contextlib.asynccontextmanager
async def messenger_database(label: str) -> AsyncIterator[Dataset]:
    """``create_dataset``, dropped afterwards."""
    dataset = await create_dataset(label)
    try:
        yield dataset
    finally:
        await drop_database(dataset.name)


@contextlib.contextmanager
def dataset_for_run(label: str) -> Iterator[Dataset]:
    """The same for a synchronous script (its servers and wrk are processes)."""
    dataset = asyncio.run(create_dataset(label))
    try:
        yield dataset
    finally:
        asyncio.run(drop_database(dataset.name))


# --- servers ---------------------------------------------------------------------------------


def bench_env(dataset: Dataset, workdir: Path, **variables: str) -> dict[str, str]:
    """graphql_overhead's server environment on this data set, Redis DB and channel prefix."""
    env = server_env(dataset.name, dataset.secret_key, workdir)
    env.update(
        TGHUB_REDIS_URL=REDIS_URL,
        TGHUB_CHANNEL_PREFIX=dataset.prefix,
        TGHUB_LOG_LEVEL="WARNING",
        **{f"TGHUB_{key.upper()}": value for key, value in variables.items()},
    )
    return env


PRODUCTION_FLAGS = ("--loop", "uvloop", "--http", "httptools", "--no-access-log")


def start_uvicorn(
    label: str,
    app: str,
    path: str,
    env: dict[str, str],
    workdir: Path,
    extra: Sequence[str] = (),
) -> Server:
    """``uvicorn --factory APP`` as its own process (uvloop, httptools, no access log)."""
    port = free_port()
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40]
    log_path = workdir / f"{slug}-{port}.log"
    log = log_path.open("wb")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *PRODUCTION_FLAGS,
        "--log-level",
        "warning",
        *extra,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(label, path, port, process, log_path, log)


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn --workers N: the supervisor and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(entry.path, "stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_cpu(pid: int) -> float:
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += process_cpu(Path(f"/proc/{member}/stat").read_text())
    return total


def tree_rss(pid: int) -> int:
    """Resident memory of the process and its descendants, bytes."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def snapshot(server_pid: int) -> CpuSnapshot | None:
    """graphql_overhead's CPU snapshot, counting a multi-worker server's whole process tree."""
    try:
        server = tree_cpu(server_pid)
        host, postgres = host_busy(), postgres_cpu()
    except (OSError, IndexError, ValueError):
        return None
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return CpuSnapshot(
        time.monotonic(), host, server, postgres, children.ru_utime + children.ru_stime
    )


# --- wrk -------------------------------------------------------------------------------------


def lua_script(token: str, *, method: str = "GET", body: str = "") -> str:
    """graphql_overhead's wrk script (Bearer header, JSON summary), for any method and body."""
    script = LUA_TEMPLATE.format(body=body, token=token)
    if method != "POST":
        script = script.replace('wrk.method = "POST"', f'wrk.method = "{method}"')
    if not body:
        script = script.replace("wrk.body = [==[]==]\n", "")
    return script


@dataclass(frozen=True)
class Target:
    """One thing to load: a label, a full URL and its wrk script."""

    label: str
    url: str
    lua: Path
    server: Server


def run_wrk(target: Target, duration: str, connections: int, threads: int = 1) -> WrkResult:
    """``wrk --latency``; figures from the script's JSON summary, CPU from /proc."""
    import json

    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}",
        "--latency",
        # wrk's default 2 s timeout would count a slow endpoint's queued requests as errors.
        "--timeout",
        WRK_TIMEOUT,
        "-s",
        str(target.lua),
        target.url,
    ]
    before = snapshot(target.server.process.pid)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    after = snapshot(target.server.process.pid)
    output = done.stdout + done.stderr
    match = re.search(r"^BENCH_SUMMARY (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise BenchError(f"wrk failed (exit {done.returncode}):\n{output}")
    summary = json.loads(match.group(1))
    requests = int(summary["requests"])
    printed = re.search(r"^Requests/sec:\s+([\d.]+)", done.stdout, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    return WrkResult(
        rps=float(printed.group(1)) if printed else requests / summary["duration_us"] * 1e6,
        requests=requests,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        non_2xx=max(int(non_2xx.group(1)) if non_2xx else 0, int(summary["status"])),
        socket_errors=sum(int(summary[k]) for k in ("connect", "read", "write", "timeout")),
        cpu=CpuUse.between(before, after, requests) if before and after else None,
        output=output,
    )


def rounds(
    targets: Sequence[Target],
    *,
    duration: str,
    warmup: str,
    count: int,
    connections: int,
) -> dict[str, list[WrkResult]]:
    """A warm-up of each target, then ``count`` rounds, alternating the order of the targets."""
    for target in targets:
        warm = run_wrk(target, warmup, connections)
        print(f"warm-up {target.label}: {fmt_rps(warm.rps)} req/s", flush=True)
    results: dict[str, list[WrkResult]] = {t.label: [] for t in targets}
    for index in range(count):
        for target in targets if index % 2 == 0 else list(reversed(targets)):
            result = run_wrk(target, duration, connections)
            results[target.label].append(result)
            print(
                f"round {index + 1} {target.label}: {fmt_rps(result.rps)} req/s, "
                f"p50 {fmt_ms(result.p50_ms)}, p99 {fmt_ms(result.p99_ms)}, "
                f"server CPU {fmt_cpu([result])}, non-2xx {result.non_2xx}, "
                f"socket errors {result.socket_errors}",
                flush=True,
            )
    return results


def median_rps(runs: Sequence[WrkResult]) -> float:
    return statistics.median(r.rps for r in runs)


def row(label: str, runs: Sequence[WrkResult]) -> str:
    """A table row: label, median req/s, per round, p50, p99, CPU, non-2xx."""
    per_round = " / ".join(fmt_rps(r.rps) for r in runs)
    p50 = statistics.median(r.p50_ms for r in runs)
    p99 = statistics.median(r.p99_ms for r in runs)
    errors = sum(r.non_2xx + r.socket_errors for r in runs)
    return (
        f"| {label} | **{fmt_rps(median_rps(runs))}** | {per_round} | {fmt_ms(p50)} "
        f"| {fmt_ms(p99)} | {fmt_cpu(runs)} | {errors} |"
    )


TABLE_HEAD = (
    "| endpoint | req/s (median) | req/s per round | p50 (median) | p99 (median) "
    "| server CPU per request; CPU server / postgres / wrk / other | errors |\n"
    "|---|---|---|---|---|---|---|"
)


def failures(results: dict[str, list[WrkResult]]) -> list[str]:
    return [
        f"{label}: {r.non_2xx} non-2xx, {r.socket_errors} socket errors"
        for label, runs in results.items()
        for r in runs
        if r.non_2xx or r.socket_errors
    ]


def http_json(
    url: str, token: str, *, method: str = "GET", body: object = None
) -> tuple[int, object]:
    """One request outside wrk: (status, parsed JSON body, or the text when it is not JSON)."""
    import json
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - a loopback http:// URL
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


@contextlib.contextmanager
def running(servers: list[Server]) -> Iterator[list[Server]]:
    from tests.bench.graphql_overhead import stop_server

    try:
        yield servers
    finally:
        for server in servers:
            stop_server(server)


def describe_code() -> str:
    """The commit measured, and whether the working tree differed from it (others edit the
    code while benchmarks run)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.rstrip("\n")

    # Porcelain lines are "XY path": the status letters may start with a space.
    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    changed = [path for path in changed if not path.startswith(("tests/", "docs/"))]
    dirty = f", uncommitted changes in {', '.join(changed)}" if changed else ""
    return f"code at commit {git('rev-parse', '--short', 'HEAD') or 'unknown'}{dirty}"


def exit_on_sigterm() -> None:
    """SIGTERM (and SIGINT, even in a background job) unwind the script, so its ``finally``
    blocks stop the servers and drop the database."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def wait_idle(seconds: float) -> None:
    """graphql_overhead's ``--wait-idle``: wait up to ``seconds`` for other load to stop."""
    load = background_load()
    deadline = time.monotonic() + seconds
    while load is not None and load > BUSY_WARNING and time.monotonic() < deadline:
        print(f"background load {load:.0%} of one core; waiting for the machine to go idle")
        time.sleep(5)
        load = background_load(5)
    if load is not None:
        print(f"background load before start: {load:.0%} of one core")
        if load > BUSY_WARNING:
            print(
                "warning: the machine is busy; the figures will be low and noisy",
                file=sys.stderr,
            )


# --- main ------------------------------------------------------------------------------------


async def _main() -> None:
    async with messenger_database("dataset") as dataset:
        print(dataset.describe())
        print(f"busy chat {dataset.busy_chat} (with {dataset.companion})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before starting, wait up to this long for other load to stop (shared machines)",
    )
    args = parser.parse_args(argv)
    exit_on_sigterm()
    print(describe_code())
    wait_idle(args.wait_idle)
    asyncio.run(_main())
    return 0


if __name__ == "__main__":
    sys.exit(main())


def exit_status(results: dict[str, list[WrkResult]]) -> int:
    """1 (with each failure on stderr) when a round had errors, else 0."""
    bad = failures(results)
    for line in bad:
        print(f"error: {line}", file=sys.stderr)
    return 1 if bad else 0


def run_with_wrk_on_dataset(
    label: str, wait_idle_seconds: float, run: Callable[[Dataset, Path], int]
) -> int:
    """The wrk benchmarks' ``main``: check for wrk, say what runs where, wait for an idle
    machine, build the data set in a fresh database and run ``run`` on it."""
    exit_on_sigterm()
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    print(f"{describe_machine()}\n{describe_code()}\nredis {REDIS_URL}, pid {os.getpid()}")
    wait_idle(wait_idle_seconds)
    try:
        with (
            dataset_for_run(label) as dataset,
            tempfile.TemporaryDirectory(prefix="tghub-bench-") as tmp,
        ):
            print(dataset.describe())
            return run(dataset, Path(tmp))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
