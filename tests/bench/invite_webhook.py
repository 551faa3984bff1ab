"""P7: phones accepted durably per second by ``POST /webhook``, against the bare machine.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.invite_webhook --wait-idle 300   # 3 rounds of 10 s each
    .venv/bin/python -m tests.bench.invite_webhook -d 3s -r 1         # a quick check

In one run it:

1. creates and migrates a fresh database, and beside ``invite_requests`` a copy of it with the
   same columns, defaults and indexes (``bench_plain_requests``) for the baseline; starts a
   redis-server of its own on a free port (the webhook's rate limit counts in Redis), unless
   ``TGHUB_BENCH_REDIS_URL`` names one;
2. starts two servers the way production runs tghub (``uvicorn --factory … --workers N --loop
   uvloop --http httptools --no-access-log``, N = ``--workers``, default 1), both with a
   database pool of tghub's default size:

   - the real app, ``resolvers.app:create_app``, with ``TGHUB_INVITE_WEBHOOK_SECRET`` set
     (every call carries it in ``X-Webhook-Secret``), the per-address limit
     (``TGHUB_INVITE_WEBHOOK_PER_MINUTE``) raised out of the way and ``TGHUB_LOG_LEVEL=WARNING``;
   - the baseline, ``tests.bench.plain_insert:create_app``: plain Starlette, an asyncpg pool,
     one INSERT of one row per ``POST /single``, one ``INSERT … SELECT unnest`` of the
     batch's rows per ``POST /batch``;

3. checks each endpoint once (status, body, the rows it wrote), then, per part, warms both
   up and loads them with ``wrk -t1 -c32 -d10s --latency`` in rounds, alternating which goes
   first. Each request carries phones no request sent before (a Lua counter over a range of
   ``+79…`` numbers of its own per endpoint and round), so nothing is deduplicated:

   - **single**: ``{"phone": "+79…"}`` per request, ``/webhook`` against ``/single``;
   - **batch**: ``{"phones": [100 phones]}`` per request, ``/webhook`` against ``/batch``;

4. counts the rows each round added to its table (a phone is accepted durably when its row is
   committed; the webhook commits before it answers) and prints phones/s (rows / wrk's
   duration), requests/s, p50/p99, server CPU per phone, the cores' shares, and the ratio
   webhook / baseline per part (the issue's aim: at least 0.3);
5. stops the servers and Redis and drops the database.

``--profile`` records the webhook's server with py-spy during each webhook round (a flame
graph SVG per round in the temporary folder, or with ``--profile-format raw`` collapsed
stacks), when py-spy is installed. It exits non-zero when wrk is missing, an endpoint answers
wrongly, or wrk counted non-2xx responses or socket errors. Figures go to docs/perf.md;
nothing here asserts timings.

Environment: ``TGHUB_BENCH_ADMIN_DATABASE_URL`` (a role that may create databases; default
``postgresql://app:app@127.0.0.1:5432/postgres``), ``TGHUB_BENCH_REDIS_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg

from tests.bench.graphql_overhead import (
    BUSY_WARNING,
    BenchError,
    background_load,
    describe_machine,
    host_busy,
    postgres_cpu,
    process_cpu,
    stop_server,
    wait_listening,
)
from tests.bench.messenger_dataset import describe_code, exit_on_sigterm, start_uvicorn
from tests.bench.plain_insert import TABLE
from tests.pg import admin_execute, drop_statement, sibling_url
from tghub.embedded import free_port
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from tests.bench.graphql_overhead import Server

ADMIN_URL = os.environ.get(
    "TGHUB_BENCH_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
WEBHOOK_LIMIT = 1_000_000_000  # calls a minute per address: never reached
# Each Lua script numbers its phones +79 followed by nine digits from its own base: a range of
# ten million per endpoint and round (every +79… number is a valid Russian mobile).
RANGE = 10_000_000
# The checks' phones (+7999…) lie above every range wrk numbers from.
CHECK_FROM = 79990000000
CHECK_RANGES = 990_000_000

# wrk's done() hook prints its own summary as one JSON line after the human-readable report.
LUA_TEMPLATE = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{headers}
local next_phone = {base}
local per_request = {per_request}

local function phone()
  next_phone = next_phone + 1
  return string.format('"+79%09d"', next_phone)
end

request = function()
  local body
  if per_request == 1 then
    body = '{{"phone": ' .. phone() .. '}}'
  else
    local phones = {{}}
    for i = 1, per_request do phones[i] = phone() end
    body = '{{"phones": [' .. table.concat(phones, ",") .. ']}}'
  end
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_SUMMARY {{"requests": %.0f, "duration_us": %.0f, "status": %.0f, "connect": %.0f, '
    .. '"read": %.0f, "write": %.0f, "timeout": %.0f, "p50_us": %.0f, "p99_us": %.0f}}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


# --- database ---------------------------------------------------------------------------------


async def prepare(url: str) -> None:
    """Migrated, with the baseline's copy of the queue's table."""
    await asyncio.to_thread(upgrade_head, url)
    await admin_execute(url, f"CREATE TABLE {TABLE} (LIKE invite_requests INCLUDING ALL)")


async def row_count(url: str, table: str) -> int:
    return (await counters(url, table))[0]


async def counters(url: str, table: str) -> tuple[int, int]:
    """The rows of ``table``, and the sessions PostgreSQL has opened on the database so far
    (connections a pool opened and closed again show here)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
        sessions = await conn.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        )
        return int(rows), int(sessions or 0)
    finally:
        await conn.close()


@contextlib.contextmanager
def bench_database(name: str) -> Iterator[str]:
    url = sibling_url(ADMIN_URL, name)
    asyncio.run(admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(prepare(url))
        yield url
    finally:
        try:
            asyncio.run(admin_execute(ADMIN_URL, drop_statement(name)))
        except Exception as exc:  # report, but do not hide the original error
            print(f"warning: could not drop database {name}: {exc!r}", file=sys.stderr)


@contextlib.contextmanager
def bench_redis(workdir: Path) -> Iterator[tuple[str, int | None]]:
    """``TGHUB_BENCH_REDIS_URL``, else a redis-server of the run's own (no persistence): its
    URL, and its pid when it is ours (its CPU is then counted apart)."""
    given = os.environ.get("TGHUB_BENCH_REDIS_URL")
    if given is not None:
        yield given, None
        return
    port = free_port()
    command = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
        "--save", "", "--appendonly", "no",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline or server.poll() is not None:
                raise BenchError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- the endpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One endpoint of one part: where to post, what to send, which table its rows go to."""

    label: str
    server: Server
    path: str
    table: str
    headers: dict[str, str]
    per_request: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{self.path}"


def post(endpoint: Endpoint, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310 - a loopback http:// URL built above
        endpoint.url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **endpoint.headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except OSError as exc:
        raise BenchError(f"{endpoint.label}: request failed: {exc!r}") from exc
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def check(endpoint: Endpoint, url: str, phones: list[str]) -> None:
    """One call outside wrk: 200, every phone queued, and as many rows more in its table."""
    before = asyncio.run(row_count(url, endpoint.table))
    body: dict[str, Any] = {"phone": phones[0]} if len(phones) == 1 else {"phones": phones}
    status, answer = post(endpoint, body)
    queued = answer.get("queued") if "webhook" in endpoint.path else answer.get("count")
    expected = phones if "webhook" in endpoint.path else len(phones)
    added = asyncio.run(row_count(url, endpoint.table)) - before
    if status != 200 or queued != expected or added != len(phones):
        raise BenchError(
            f"{endpoint.label} answered {status} {str(answer)[:300]!r} and added {added} rows "
            f"for {len(phones)} phones\nserver log:\n{endpoint.server.log_tail()}"
        )


# --- CPU accounting (Linux /proc) ---------------------------------------------------------------


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (uvicorn's workers), as far as they run."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += process_cpu(Path(f"/proc/{current}/stat").read_text())
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
    return total


@dataclass(frozen=True)
class Snapshot:
    wall: float
    host: float
    server: float
    postgres: dict[int, float]
    redis: float
    wrk: float

    @classmethod
    def take(cls, server_pid: int, redis_pid: int | None) -> Snapshot:
        import resource

        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            time.monotonic(),
            host_busy(),
            tree_cpu(server_pid),
            postgres_cpu(),
            tree_cpu(redis_pid) if redis_pid is not None else 0.0,
            children.ru_utime + children.ru_stime,
        )


@dataclass(frozen=True)
class Cores:
    """Shares of one core during a round (the machine has os.cpu_count() of them)."""

    server: float
    postgres: float
    redis: float
    wrk: float
    # Everything else busy: other processes, a PostgreSQL backend that exited during the
    # round (its time leaves with it), kernel work not charged to a process.
    other: float
    server_seconds: float

    @classmethod
    def between(cls, before: Snapshot, after: Snapshot) -> Cores:
        wall = after.wall - before.wall
        server = after.server - before.server
        postgres = sum(cpu - before.postgres.get(pid, 0.0) for pid, cpu in after.postgres.items())
        redis = after.redis - before.redis
        wrk = after.wrk - before.wrk
        other = max(after.host - before.host - server - postgres - redis - wrk, 0.0)
        shares = (server / wall, postgres / wall, redis / wall, wrk / wall, other / wall)
        return cls(*shares, server_seconds=server)


# --- wrk --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    phones: int  # rows the round added to the endpoint's table
    sessions: int  # PostgreSQL sessions opened meanwhile (by any client of the database)
    seconds: float  # wrk's own duration
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    cores: Cores
    output: str

    @property
    def phones_per_second(self) -> float:
        return self.phones / self.seconds

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def server_us_per_phone(self) -> float:
        return self.cores.server_seconds * 1e6 / max(self.phones, 1)


@dataclass
class Bench:
    args: argparse.Namespace
    url: str
    redis_pid: int | None
    workdir: Path
    bases: Iterator[int] = field(default_factory=lambda: itertools.count(0, RANGE))

    def lua(self, endpoint: Endpoint) -> Path:
        """A script numbering its phones from a base no other script uses."""
        base = next(self.bases)
        if base + RANGE > CHECK_RANGES:
            raise BenchError("out of phone ranges: fewer rounds, please")
        headers = "\n".join(
            f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in endpoint.headers.items()
        )
        script = LUA_TEMPLATE.format(headers=headers, base=base, per_request=endpoint.per_request)
        path = self.workdir / f"wrk-{base // RANGE}.lua"
        path.write_text(script)
        return path

    def run_wrk(self, endpoint: Endpoint, duration: str, profile: str | None = None) -> Round:
        args = self.args
        command = [
            args.wrk, "-t1", f"-c{args.connections}", f"-d{duration}", "--latency",
            "--timeout", "30s", "-s", str(self.lua(endpoint)), endpoint.url,
        ]  # fmt: skip
        before_rows, before_sessions = asyncio.run(counters(self.url, endpoint.table))
        before = Snapshot.take(endpoint.server.process.pid, self.redis_pid)
        with self.profiling(endpoint, profile):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        after = Snapshot.take(endpoint.server.process.pid, self.redis_pid)
        after_rows, after_sessions = asyncio.run(counters(self.url, endpoint.table))
        output = done.stdout + done.stderr
        match = re.search(r"^BENCH_SUMMARY (\{.*\})$", done.stdout, re.MULTILINE)
        if done.returncode != 0 or match is None:
            raise BenchError(f"wrk failed (exit {done.returncode}):\n{output}")
        summary = json.loads(match.group(1))
        non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
        return Round(
            phones=after_rows - before_rows,
            # Less the counters' own connection (counted at its end, or not yet).
            sessions=max(after_sessions - before_sessions - 1, 0),
            seconds=summary["duration_us"] / 1e6,
            requests=int(summary["requests"]),
            p50_ms=summary["p50_us"] / 1000,
            p99_ms=summary["p99_us"] / 1000,
            non_2xx=max(int(non_2xx.group(1)) if non_2xx else 0, int(summary["status"])),
            socket_errors=sum(int(summary[k]) for k in ("connect", "read", "write", "timeout")),
            cores=Cores.between(before, after),
            output=output,
        )

    @contextlib.contextmanager
    def profiling(self, endpoint: Endpoint, name: str | None) -> Iterator[None]:
        """py-spy on the endpoint's server (and its workers) while wrk runs, when asked."""
        if name is None:
            yield
            return
        fmt = self.args.profile_format
        out = Path(tempfile.gettempdir()) / f"{name}.{'svg' if fmt == 'flamegraph' else 'txt'}"
        command = [
            self.args.py_spy, "record", "--pid", str(endpoint.server.process.pid),
            "--subprocesses", "--format", fmt, "--output", str(out), "--rate", "200",
            "--nonblocking",
        ]  # fmt: skip
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            yield
        finally:
            spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
            _, err = spy.communicate(timeout=60)
            print(f"profile: {out}" if out.exists() else f"py-spy failed: {err.decode()[-500:]}")


# --- report -----------------------------------------------------------------------------------


def describe(label: str, result: Round) -> str:
    cores = result.cores
    return (
        f"{label}: {result.phones_per_second:,.0f} phones/s "
        f"({result.requests_per_second:,.0f} req/s), p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms, server {result.server_us_per_phone:.0f} µs CPU a phone; "
        f"cores server {cores.server:.0%} / postgres {cores.postgres:.0%} / "
        f"redis {cores.redis:.0%} / wrk {cores.wrk:.0%}"
        f" / other {cores.other:.0%}; {result.sessions} new PostgreSQL sessions; "
        f"non-2xx {result.non_2xx}, "
        f"socket errors {result.socket_errors}"
    )


def report(part: str, endpoints: Sequence[Endpoint], results: dict[str, list[Round]]) -> float:
    """The part's Markdown table; the ratio of median phones/s, webhook / baseline."""
    print(f"\n{part}:\n")
    print(
        "| endpoint | phones/s (median) | per round | req/s (median) | p50 | p99 "
        "| server CPU a phone | cores server / postgres / redis / wrk / other | new PG sessions "
        "| non-2xx |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    medians: dict[str, float] = {}
    for endpoint in endpoints:
        runs = results[endpoint.label]
        medians[endpoint.label] = statistics.median(r.phones_per_second for r in runs)
        rounds = " / ".join(f"{r.phones_per_second:,.0f}" for r in runs)

        def median(values: Any) -> float:
            return float(statistics.median(values))

        shares = " / ".join(
            f"{median(getattr(r.cores, name) for r in runs):.0%}"
            for name in ("server", "postgres", "redis", "wrk", "other")
        )
        print(
            f"| {endpoint.label} | **{medians[endpoint.label]:,.0f}** | {rounds} "
            f"| {median(r.requests_per_second for r in runs):,.0f} "
            f"| {median(r.p50_ms for r in runs):.1f} ms | {median(r.p99_ms for r in runs):.1f} ms "
            f"| {median(r.server_us_per_phone for r in runs):.0f} µs | {shares} "
            f"| {median(r.sessions for r in runs):.0f} | {sum(r.non_2xx for r in runs)} |"
        )
    webhook, plain = (endpoint.label for endpoint in endpoints)
    ratio = medians[webhook] / medians[plain]
    per_round = [
        w.phones_per_second / p.phones_per_second
        for w, p in zip(results[webhook], results[plain], strict=True)
    ]
    print(
        f"\nRatio webhook / baseline (median phones/s): **{ratio:.2f}** "
        f"(per round: {' / '.join(f'{r:.2f}' for r in per_round)}; aim ≥ 0.3)"
    )
    return ratio


def measure(bench: Bench, part: str, endpoints: Sequence[Endpoint]) -> tuple[float, bool]:
    """Warm-up and rounds of one part; its ratio, and False when wrk saw errors."""
    args = bench.args
    for endpoint in endpoints:
        warm = bench.run_wrk(endpoint, args.warmup)
        print(f"warm-up {endpoint.label}: {warm.phones_per_second:,.0f} phones/s")
    results: dict[str, list[Round]] = {endpoint.label: [] for endpoint in endpoints}
    for index in range(args.rounds):
        # Alternate which endpoint goes first, so slow drift does not favour one of them.
        for endpoint in endpoints if index % 2 == 0 else list(reversed(endpoints)):
            profile = None
            if args.profile and "webhook" in endpoint.path:
                profile = f"invite-webhook-{part}-round{index + 1}"
            result = bench.run_wrk(endpoint, args.duration, profile)
            results[endpoint.label].append(result)
            print(f"round {index + 1} {describe(endpoint.label, result)}", flush=True)
            if args.verbose:
                print(result.output)
    ratio = report(part, endpoints, results)
    clean = True
    for endpoint in endpoints:
        for result in results[endpoint.label]:
            if result.non_2xx or result.socket_errors:
                clean = False
                print(
                    f"error: {endpoint.label}: {result.non_2xx} non-2xx responses, "
                    f"{result.socket_errors} socket errors\n{result.output}",
                    file=sys.stderr,
                )
    return ratio, clean


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("-d", "--duration", default="10s", help="wrk duration of each round")
    parser.add_argument("-r", "--rounds", type=int, default=3, help="rounds per endpoint")
    parser.add_argument("-w", "--warmup", default="3s", help="wrk warm-up per endpoint")
    parser.add_argument("-c", "--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
    parser.add_argument("--batch", type=int, default=100, help="phones per batch request")
    parser.add_argument(
        "--pool-size", type=int, default=None,
        help="TGHUB_DATABASE_POOL_SIZE of both servers (default: tghub's default, 10)",
    )  # fmt: skip
    parser.add_argument(
        "--parts", nargs="+", choices=("single", "batch"), default=["single", "batch"]
    )
    parser.add_argument(
        "--wait-idle", type=float, default=0, metavar="SECONDS",
        help="before starting, wait up to this long for other load to stop (shared machines)",
    )  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="py-spy the webhook's rounds")
    parser.add_argument(
        "--profile-format", choices=("flamegraph", "raw", "speedscope"), default="flamegraph"
    )
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="path of py-spy")
    parser.add_argument("--wrk", default=shutil.which("wrk"), help="path of the wrk binary")
    parser.add_argument("-v", "--verbose", action="store_true", help="print wrk's own output")
    return parser.parse_args(argv)


def wait_idle(seconds: float) -> None:
    load = background_load()
    deadline = time.monotonic() + seconds
    while load is not None and load > BUSY_WARNING and time.monotonic() < deadline:
        print(f"background load {load:.0%} of one core; waiting for the machine to go idle")
        time.sleep(5)
        load = background_load(5)
    if load is not None:
        print(f"background load before start: {load:.0%} of one core")
        if load > BUSY_WARNING:
            print("warning: the machine is busy; the figures will be noisy", file=sys.stderr)


def server_env(url: str, redis_url: str, workdir: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGHUB_")}
    env.update(
        TGHUB_DATABASE_URL=url,
        TGHUB_REDIS_URL=redis_url,
        TGHUB_SECRET_KEY=secrets.token_urlsafe(48),
        TGHUB_CHANNEL_PREFIX=f"tghub-bench-{os.getpid()}",
        TGHUB_DATA_DIR=str(workdir / "data"),
        TGHUB_LOG_LEVEL="WARNING",
        **{f"TGHUB_{key.upper()}": value for key, value in variables.items()},
    )
    return env


def run(args: argparse.Namespace, url: str, redis: tuple[str, int | None], workdir: Path) -> int:
    redis_url, redis_pid = redis
    secret = secrets.token_urlsafe(32)
    extra = ("--workers", str(args.workers)) if args.workers > 1 else ()
    env = server_env(
        url,
        redis_url,
        workdir,
        invite_webhook_secret=secret,
        invite_webhook_per_minute=str(WEBHOOK_LIMIT),
        **({"database_pool_size": str(args.pool_size)} if args.pool_size else {}),
    )
    servers: list[Server] = []
    try:
        app = start_uvicorn("tghub", "resolvers.app:create_app", "/webhook", env, workdir, extra)
        servers.append(app)
        plain = start_uvicorn(
            "plain", "tests.bench.plain_insert:create_app", "/", env, workdir, extra
        )
        servers.append(plain)
        for server in servers:
            wait_listening(server)
        auth = {"X-Webhook-Secret": secret}
        parts = {
            "single": (
                Endpoint(
                    "tghub POST /webhook {phone}", app, "/webhook", "invite_requests", auth, 1
                ),
                Endpoint("plain Starlette: one INSERT", plain, "/single", TABLE, {}, 1),
            ),
            "batch": (
                Endpoint(
                    f"tghub POST /webhook {{phones: {args.batch}}}",
                    app,
                    "/webhook",
                    "invite_requests",
                    auth,
                    args.batch,
                ),
                Endpoint(
                    f"plain Starlette: INSERT … unnest of {args.batch}",
                    plain,
                    "/batch",
                    TABLE,
                    {},
                    args.batch,
                ),
            ),
        }
        for number, endpoint in enumerate(e for pair in parts.values() for e in pair):
            first = CHECK_FROM + number * 1000
            check(endpoint, url, [f"+{first + n}" for n in range(endpoint.per_request)])
        bench = Bench(args, url, redis_pid, workdir)
        ratios: dict[str, float] = {}
        clean = True
        for part in args.parts:
            ratios[part], part_clean = measure(bench, part, parts[part])
            clean = clean and part_clean
        for server in servers:
            if server.process.poll() is not None:
                raise BenchError(f"{server.label} died during the run:\n{server.log_tail()}")
        summary = ", ".join(f"{part} {ratio:.2f}" for part, ratio in ratios.items())
        print(f"\nP7 ratios webhook / baseline: {summary} (aim ≥ 0.3 each)")
        return 0 if clean else 1
    finally:
        for server in servers:
            stop_server(server)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.wrk or not Path(args.wrk).exists():
        print(
            "error: wrk is not installed (it generates the load). "
            "Install it with `apt-get install -y wrk`, or pass --wrk PATH.",
            file=sys.stderr,
        )
        return 2
    if args.profile and not args.py_spy:
        print("error: --profile needs py-spy (pip install py-spy)", file=sys.stderr)
        return 2
    exit_on_sigterm()
    name = f"tghub_bench_invites_{os.getpid()}"
    print(f"{describe_machine()}\n{describe_code()}\ndatabase {name}")
    wait_idle(args.wait_idle)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="tghub-bench-") as tmp,
            bench_database(name) as url,
            bench_redis(Path(tmp)) as redis,
        ):
            print(f"redis {redis[0]}; {args.workers} uvicorn worker(s) per server")
            return run(args, url, redis, Path(tmp))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
