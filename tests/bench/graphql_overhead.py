"""GraphQL overhead: ``{ viewer { id } }`` over HTTP against a plain Starlette endpoint.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.graphql_overhead            # 3 rounds of 10 s (make bench)
    .venv/bin/python -m tests.bench.graphql_overhead -d 2s -r 1  # a quick check

In one run it:

1. creates a fresh database on the local PostgreSQL, migrates it, registers a user and logs in
   through the domain service to get an access token;
2. starts two single-worker uvicorn servers (uvloop + httptools, warning log level, no access
   log): the real app (``resolvers.app:create_app``) and the baseline
   (``tests.bench.plain_viewer:create_app``), which does the same lookup without GraphQL;
3. checks that each answers the expected body once, warms both up, then loads them with
   ``wrk -t1 -c32 -d10s --latency`` (a Lua script POSTs the JSON body with the Bearer header),
   rounds alternating the two, and prints requests/s, p50/p99 latency and the ratio
   plain/GraphQL;
4. stops the servers and drops the database.

It exits non-zero when wrk is missing, an endpoint answers wrongly, or wrk counted non-2xx
responses or socket errors. Figures go to docs/perf.md; nothing here asserts timings.

Besides requests/s and latency it prints, per endpoint, the server's CPU time per request and
how the cores were shared during the rounds (server, PostgreSQL, wrk, everything else), read from
/proc: the load generator and the database share the machine's cores with the server, and other
load on a shared machine shows up as "other". ``--wait-idle SECONDS`` waits for that to stop.

Environment: ``TGHUB_BENCH_ADMIN_DATABASE_URL`` (a role that may create databases; default
``postgresql://app:app@127.0.0.1:5432/postgres``), ``TGHUB_BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/14``), ``TGHUB_BENCH_DURATION``, ``TGHUB_BENCH_ROUNDS``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import importlib.metadata as metadata
import json
import os
import platform
import re
import resource
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
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import SecretStr

from domain.accounts import service as accounts
from domain.bootstrap import build_runtime
from domain.settings import Settings
from tests.pg import admin_execute, drop_statement, sibling_url
from tghub.embedded import free_port
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get(
    "TGHUB_BENCH_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TGHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
QUERY = "{ viewer { id } }"
BUSY_WARNING = 0.15  # share of one core busy before the start that earns a warning
USERNAME = "benchviewer"
PASSWORD = "bench-password-123"

# wrk's done() hook prints its own summary as one JSON line after the human-readable report.
LUA_TEMPLATE = """\
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = [==[Bearer {token}]==]

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_SUMMARY {{"requests": %.0f, "duration_us": %.0f, "status": %.0f, "connect": %.0f, '
    .. '"read": %.0f, "write": %.0f, "timeout": %.0f, "p50_us": %.0f, "p99_us": %.0f}}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


class BenchError(Exception):
    """Something that makes the figures meaningless; the run stops with exit status 1."""


# --- database, user and token -------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    token: str
    expected: dict[str, Any]


async def prepare(name: str, secret_key: str) -> Fixture:
    """Fresh database, migrated; one user logged in through the domain service."""
    await admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"')
    url = sibling_url(ADMIN_URL, name)
    await asyncio.to_thread(upgrade_head, url)
    settings = Settings(
        database_url=url,
        redis_url=REDIS_URL,
        secret_key=SecretStr(secret_key),
        channel_prefix="tghub-bench",
        database_pool_size=2,
    )
    runtime = build_runtime(settings)
    await runtime.start()
    try:
        async with runtime.uow() as uow:
            user = await accounts.register_user(
                uow, runtime.auth, username=USERNAME, password=PASSWORD
            )
        async with runtime.uow() as uow:
            pair = await accounts.login(uow, runtime.auth, username=USERNAME, password=PASSWORD)
    finally:
        await runtime.stop()
    global_id = base64.b64encode(f"User:{user.id}".encode()).decode()
    return Fixture(token=pair.access, expected={"data": {"viewer": {"id": global_id}}})


# --- servers ------------------------------------------------------------------------------


@dataclass
class Server:
    label: str
    path: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def log_tail(self) -> str:
        self.log.flush()
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-40:]) or "(empty)"


def start_server(label: str, app: str, path: str, env: dict[str, str], workdir: Path) -> Server:
    port = free_port()
    log_path = workdir / f"{label.split()[0].lower()}-{port}.log"
    log = log_path.open("wb")
    command = [
        sys.executable, "-m", "uvicorn", "--factory", app,
        "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(label, path, port, process, log_path, log)


def wait_listening(server: Server, timeout: float = 30.0) -> None:
    # uvicorn binds its socket only after the lifespan startup has finished.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.label} exited early:\n{server.log_tail()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", server.port), 1):
            return
        time.sleep(0.1)
    raise BenchError(f"{server.label} did not listen within {timeout:.0f} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    server.log.close()


def request_body() -> bytes:
    return json.dumps({"query": QUERY}).encode()


def check_answer(server: Server, fixture: Fixture) -> None:
    """One request, outside wrk: the status must be 200 and the body the expected JSON."""
    request = urllib.request.Request(  # noqa: S310 - a loopback http:// URL built above
        server.url,
        data=request_body(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {fixture.token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except OSError as exc:
        raise BenchError(f"{server.label}: request failed: {exc!r}") from exc
    try:
        body = json.loads(raw)
    except ValueError:
        body = raw.decode(errors="replace")
    if status != 200 or body != fixture.expected:
        raise BenchError(
            f"{server.label} answered {status} {body!r}, expected 200 {fixture.expected!r}\n"
            f"server log:\n{server.log_tail()}"
        )


# --- CPU accounting (Linux /proc; "n/a" elsewhere) -------------------------------------


TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def host_busy() -> float:
    """CPU seconds all cores spent not idle since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    # user, nice, system, idle, iowait, irq, softirq; not steal (the hypervisor's), nor guest
    # (already counted in user).
    return (sum(values[:7]) - idle) / TICK


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of each running PostgreSQL process, by pid."""
    found: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(entry.path, "stat").read_text()
                if stat.split("(", 1)[1].startswith("postgres)"):
                    found[int(entry.name)] = process_cpu(stat)
    return found


@dataclass(frozen=True)
class CpuSnapshot:
    wall: float
    host: float
    server: float
    postgres: dict[int, float]
    children: float  # reaped children: wrk

    @classmethod
    def take(cls, server_pid: int) -> CpuSnapshot | None:
        try:
            server = process_cpu(Path(f"/proc/{server_pid}/stat").read_text())
            host, postgres = host_busy(), postgres_cpu()
        except (OSError, IndexError, ValueError):
            return None
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(time.monotonic(), host, server, postgres, children.ru_utime + children.ru_stime)


@dataclass(frozen=True)
class CpuUse:
    """Shares of one core during a round; the machine has os.cpu_count() of them."""

    server: float
    postgres: float
    wrk: float
    # Everything else that was busy: other processes, Redis, kernel work not charged to a
    # process (interrupts, softirqs of the loopback network).
    other: float
    server_ms_per_request: float

    @classmethod
    def between(cls, before: CpuSnapshot, after: CpuSnapshot, requests: int) -> CpuUse:
        wall = after.wall - before.wall
        server = after.server - before.server
        # Per process: a backend that exits during the round takes its total with it (its
        # time then counts as "other"); one that starts during the round counts in full.
        postgres = sum(cpu - before.postgres.get(pid, 0.0) for pid, cpu in after.postgres.items())
        wrk = after.children - before.children
        other = max(after.host - before.host - server - postgres - wrk, 0.0)
        return cls(
            server / wall,
            postgres / wall,
            wrk / wall,
            other / wall,
            server * 1000 / max(requests, 1),
        )


def background_load(seconds: float = 2.0) -> float | None:
    """Share of one core the machine is busy with before the benchmark starts."""
    try:
        before = host_busy()
        time.sleep(seconds)
        return (host_busy() - before) / seconds
    except (OSError, IndexError, ValueError):
        return None


# --- wrk ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    cpu: CpuUse | None
    output: str


def run_wrk(args: argparse.Namespace, lua: Path, server: Server, duration: str) -> WrkResult:
    command = [
        args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}", "--latency",
        "-s", str(lua), server.url,
    ]  # fmt: skip
    before = CpuSnapshot.take(server.process.pid)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    after = CpuSnapshot.take(server.process.pid)
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
        # wrk prints the line only when the count is not zero; its done() hook always has it.
        non_2xx=max(int(non_2xx.group(1)) if non_2xx else 0, int(summary["status"])),
        socket_errors=sum(int(summary[k]) for k in ("connect", "read", "write", "timeout")),
        cpu=CpuUse.between(before, after, requests) if before and after else None,
        output=output,
    )


# --- report -------------------------------------------------------------------------------


def fmt_rps(value: float) -> str:
    return f"{value:,.0f}"


def fmt_ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def fmt_cpu(runs: Sequence[WrkResult]) -> str:
    """Median server CPU per request, and median shares of one core (server/postgres/wrk/other)."""
    uses = [r.cpu for r in runs if r.cpu is not None]
    if not uses:
        return "n/a"

    def share(name: str) -> str:
        return f"{statistics.median(getattr(u, name) for u in uses):.0%}"

    per_request = statistics.median(u.server_ms_per_request for u in uses)
    shares = " / ".join(share(n) for n in ("server", "postgres", "wrk", "other"))
    return f"{per_request:.2f} ms; {shares}"


def report(servers: Sequence[Server], results: dict[str, list[WrkResult]], wrk_flags: str) -> float:
    """Prints the Markdown tables; returns the ratio of median requests/s, plain / GraphQL."""
    print(f"\nResults ({wrk_flags}, {len(results[servers[0].label])} rounds):\n")
    print(
        "| endpoint | req/s (median) | req/s per round | p50 (median) | p99 (median) "
        "| server CPU per request; CPU server / postgres / wrk / other | non-2xx |"
    )
    print("|---|---|---|---|---|---|---|")
    medians: dict[str, float] = {}
    for server in servers:
        runs = results[server.label]
        medians[server.label] = statistics.median(r.rps for r in runs)
        rounds = " / ".join(fmt_rps(r.rps) for r in runs)
        p50 = statistics.median(r.p50_ms for r in runs)
        p99 = statistics.median(r.p99_ms for r in runs)
        non_2xx = sum(r.non_2xx for r in runs)
        print(
            f"| {server.label} | **{fmt_rps(medians[server.label])}** | {rounds} "
            f"| {fmt_ms(p50)} | {fmt_ms(p99)} | {fmt_cpu(runs)} | {non_2xx} |"
        )
    print(
        f"\nCPU shares are of one core (the machine has {os.cpu_count()}); 'other' is "
        "everything busy besides the server, PostgreSQL and wrk."
    )
    plain, graphql = servers[1].label, servers[0].label
    ratio = medians[plain] / medians[graphql]
    per_round = [p.rps / g.rps for p, g in zip(results[plain], results[graphql], strict=True)]
    print(
        f"\nRatio plain/GraphQL (median req/s): **{ratio:.2f}×** "
        f"(per round: {' / '.join(f'{r:.2f}' for r in per_round)})"
    )
    cpu = {
        label: [r.cpu for r in results[label] if r.cpu is not None] for label in (plain, graphql)
    }
    if cpu[plain] and cpu[graphql]:
        graphql_ms = statistics.median(u.server_ms_per_request for u in cpu[graphql])
        plain_ms = statistics.median(u.server_ms_per_request for u in cpu[plain])
        print(
            f"Server CPU per request GraphQL/plain: {graphql_ms / plain_ms:.2f}× "
            f"({graphql_ms:.2f} ms vs {plain_ms:.2f} ms; GraphQL adds "
            f"{graphql_ms - plain_ms:.2f} ms)"
        )
        other = statistics.median(u.other for label in cpu for u in cpu[label])
        if other > BUSY_WARNING * 2:
            print(
                f"warning: other load took a median {other:.0%} of one core during the rounds; "
                "requests/s are disturbed (CPU per request less so)",
                file=sys.stderr,
            )
    return ratio


def describe_machine() -> str:
    packages = ("strawberry-graphql", "graphql-core", "starlette", "uvicorn", "sqlalchemy")
    versions = [f"{package} {metadata.version(package)}" for package in packages]
    return (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}), load generator on the same machine; "
        f"Python {platform.python_version()}, {', '.join(versions)}"
    )


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "-d", "--duration", default=os.environ.get("TGHUB_BENCH_DURATION", "10s"),
        help="wrk duration of each measured round (default 10s, env TGHUB_BENCH_DURATION)",
    )  # fmt: skip
    parser.add_argument(
        "-r", "--rounds", type=int, default=int(os.environ.get("TGHUB_BENCH_ROUNDS", "3")),
        help="measured rounds per endpoint, alternating the two (default 3)",
    )  # fmt: skip
    parser.add_argument("-w", "--warmup", default="3s", help="wrk warm-up per endpoint")
    parser.add_argument("-c", "--connections", type=int, default=32)
    parser.add_argument("-t", "--threads", type=int, default=1)
    parser.add_argument(
        "--wait-idle", type=float, default=0, metavar="SECONDS",
        help="before starting, wait up to this long for other load to stop (shared machines)",
    )  # fmt: skip
    parser.add_argument("--wrk", default=shutil.which("wrk"), help="path of the wrk binary")
    parser.add_argument("-v", "--verbose", action="store_true", help="print wrk's own output")
    return parser.parse_args(argv)


@contextlib.contextmanager
def bench_database(name: str, secret_key: str) -> Iterator[Fixture]:
    try:
        yield asyncio.run(prepare(name, secret_key))
    finally:
        try:
            asyncio.run(admin_execute(ADMIN_URL, drop_statement(name)))
        except Exception as exc:  # report, but do not hide the original error
            print(f"warning: could not drop database {name}: {exc!r}", file=sys.stderr)


def measure(args: argparse.Namespace, servers: Sequence[Server], lua: Path) -> bool:
    """Warm-up and rounds; prints the report; False when wrk saw errors."""
    for server in servers:
        warm = run_wrk(args, lua, server, args.warmup)
        print(f"warm-up {server.label}: {fmt_rps(warm.rps)} req/s")
    wrk_flags = f"wrk -t{args.threads} -c{args.connections} -d{args.duration} --latency"
    results: dict[str, list[WrkResult]] = {server.label: [] for server in servers}
    for index in range(args.rounds):
        # Alternate which endpoint goes first, so slow drift does not favour one of them.
        for server in servers if index % 2 == 0 else reversed(servers):
            result = run_wrk(args, lua, server, args.duration)
            results[server.label].append(result)
            print(
                f"round {index + 1} {server.label}: {fmt_rps(result.rps)} req/s, "
                f"p50 {fmt_ms(result.p50_ms)}, p99 {fmt_ms(result.p99_ms)}, "
                f"server CPU {fmt_cpu([result])}, "
                f"non-2xx {result.non_2xx}, socket errors {result.socket_errors}"
            )
            if args.verbose:
                print(result.output)
    report(servers, results, wrk_flags)
    bad = [(s.label, r) for s in servers for r in results[s.label] if r.non_2xx or r.socket_errors]
    for label, result in bad:
        print(
            f"error: {label}: {result.non_2xx} non-2xx responses, "
            f"{result.socket_errors} socket errors\n{result.output}",
            file=sys.stderr,
        )
    return not bad


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.wrk or not Path(args.wrk).exists():
        print(
            "error: wrk is not installed (it generates the load). "
            "Install it with `apt-get install -y wrk`, or pass --wrk PATH.",
            file=sys.stderr,
        )
        return 2
    name = f"tghub_bench_{os.getpid()}"
    secret_key = secrets.token_urlsafe(48)
    print(f"{describe_machine()}\ndatabase {name}, redis {REDIS_URL}")
    load = background_load()
    deadline = time.monotonic() + args.wait_idle
    while load is not None and load > BUSY_WARNING and time.monotonic() < deadline:
        print(f"background load {load:.0%} of one core; waiting for the machine to go idle")
        time.sleep(5)
        load = background_load(5)
    if load is not None:
        print(f"background load before start: {load:.0%} of one core")
        if load > BUSY_WARNING:
            print(
                "warning: the machine is busy; other processes share the cores with the "
                "servers and wrk, so the figures will be low and noisy",
                file=sys.stderr,
            )
    try:
        with (
            bench_database(name, secret_key) as fixture,
            tempfile.TemporaryDirectory(prefix="tghub-bench-") as tmp,
        ):
            return run(args, fixture, name, secret_key, Path(tmp))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def server_env(name: str, secret_key: str, workdir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "TGHUB_DATABASE_URL": sibling_url(ADMIN_URL, name),
        "TGHUB_REDIS_URL": REDIS_URL,
        "TGHUB_SECRET_KEY": secret_key,
        "TGHUB_CHANNEL_PREFIX": "tghub-bench",
        "TGHUB_DATA_DIR": str(workdir / "data"),
    }
    for key in ("TGHUB_ADMIN_USERNAME", "TGHUB_ADMIN_PASSWORD"):
        env.pop(key, None)
    return env


def run(
    args: argparse.Namespace, fixture: Fixture, name: str, secret_key: str, workdir: Path
) -> int:
    env = server_env(name, secret_key, workdir)
    servers: list[Server] = []
    try:
        servers.append(
            start_server(
                "Strawberry POST /graphql", "resolvers.app:create_app", "/graphql", env, workdir
            )
        )
        servers.append(
            start_server(
                "plain Starlette POST /viewer",
                "tests.bench.plain_viewer:create_app",
                "/viewer",
                env,
                workdir,
            )
        )
        for server in servers:
            wait_listening(server)
            check_answer(server, fixture)
        lua = workdir / "post.lua"
        lua.write_text(LUA_TEMPLATE.format(body=request_body().decode(), token=fixture.token))
        clean = measure(args, servers, lua)
        # The token must still work at the end: a 200 carrying a GraphQL error would
        # otherwise pass wrk's status check unnoticed.
        for server in servers:
            if server.process.poll() is not None:
                raise BenchError(f"{server.label} died during the run:\n{server.log_tail()}")
            check_answer(server, fixture)
        return 0 if clean else 1
    finally:
        for server in servers:
            stop_server(server)


if __name__ == "__main__":
    sys.exit(main())
