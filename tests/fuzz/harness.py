"""What the fuzz runs share (``tests/fuzz/graphql.py``, ``tests/fuzz/rest.py``): a throwaway
database and Redis database, one API process as production runs it, schemathesis in a
subprocess with its requests counted, and the summary.

Environment: ``TGHUB_FUZZ_ADMIN_DATABASE_URL`` (a role that may create databases; default
``postgresql://app:app@127.0.0.1:5432/postgres``), ``TGHUB_FUZZ_REDIS_URL`` (default
``redis://127.0.0.1:6379/15``; the runs of ``make fuzz`` take it one after the other).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from pydantic import SecretStr
from redis import Redis

from domain.settings import Settings
from tests.pg import admin_execute, drop_statement, sibling_url
from tests.processes import ROOT, start_api, stop
from tests.world import WORLD
from tghub.embedded import free_port
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

ADMIN_URL = os.environ.get(
    "TGHUB_FUZZ_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
# The tests take databases 1 and up (TGHUB_TEST_REDIS_DB plus the xdist worker), benchmarks 14.
REDIS_URL = os.environ.get("TGHUB_FUZZ_REDIS_URL", "redis://127.0.0.1:6379/15")
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
ADMIN = "fuzzadmin"


class FuzzError(Exception):
    """The fuzz run could not be set up or did not do what it should."""


@dataclass(frozen=True)
class Outcome:
    label: str
    requests: int
    seconds: float
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


# --- infrastructure ---------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    name = f"tghub_fuzz_{os.getpid()}"
    asyncio.run(admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"'))
    try:
        url = sibling_url(ADMIN_URL, name)
        upgrade_head(url)
        yield url
    finally:
        asyncio.run(admin_execute(ADMIN_URL, drop_statement(name)))


@contextlib.contextmanager
def throwaway_redis() -> Iterator[str]:
    client = Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


@contextlib.contextmanager
def fuzz_settings(workdir: Path) -> Iterator[Settings]:
    """Settings on a throwaway database and Redis database, dropped and flushed after."""
    with throwaway_database() as database_url, throwaway_redis() as redis_url:
        yield Settings(
            database_url=database_url,
            redis_url=redis_url,
            data_dir=workdir,
            channel_prefix=f"fuzz-{secrets.token_hex(6)}",
            secret_key=SecretStr(secrets.token_urlsafe(48)),
            port=free_port(),
        )


@contextlib.contextmanager
def api_process(
    settings: Settings, log: Path, admin_password: str, **variables: str
) -> Iterator[subprocess.Popen[bytes]]:
    """The API, its admin ``ADMIN`` created from the settings at start, on the simulated
    world, with cheap argon2 parameters (the fuzzers log in often; the cost is not under
    test); ``variables`` are more ``TGHUB_<NAME>`` settings."""
    port = int(settings.port)
    world = log.with_name("world.json")
    world.write_text(json.dumps(WORLD))
    process = start_api(
        settings,
        port,
        log,
        telegram_world=str(world),
        admin_username=ADMIN,
        admin_password=admin_password,
        password_hash_time_cost="1",
        password_hash_memory_kib="1024",
        log_level="WARNING",
        access_log=False,
        workers=1,
        **variables,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", process, log)
        yield process
    finally:
        stop(process)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise FuzzError(f"the API process exited with {process.returncode}:\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/readyz").status_code == 200:
                    return
            time.sleep(0.1)
    raise FuzzError(f"{url}/readyz did not answer 200 within {seconds:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --- schemathesis -------------------------------------------------------------------------------


def common_options(args: argparse.Namespace, report: Path) -> list[str]:
    """The ``schemathesis run`` options every run takes, after the location."""
    return [
        f"--max-examples={args.max_examples}",
        f"--seed={args.seed}",
        f"--workers={args.workers}",
        "--generation-database=none",  # no replay of earlier runs' failures: one seed, one run
        "--request-timeout=30",
        "--report=ndjson",
        f"--report-ndjson-path={report}",
        "--no-color",
    ]


def count_requests(report: Path) -> int:
    """Requests schemathesis sent, counted from its NDJSON events."""
    total = 0
    for line in report.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if finished is not None:
            # A skipped scenario (no examples in the document, say) records none.
            total += len(finished["recorder"].get("interactions", {}))
    return total


@dataclass(frozen=True)
class Run:
    """One schemathesis run's result: its exit status and the requests it sent."""

    returncode: int
    requests: int
    seconds: float


def run_schemathesis(
    label: str,
    command: Sequence[str],
    hooks: str,
    workdir: Path,
    report: Path,
    variables: Mapping[str, str] | None = None,
) -> Run:
    """``variables``: more environment for the run (its hooks read them)."""
    print(f"\n=== schemathesis, {label} ===", flush=True)
    started = time.monotonic()
    # In the work folder: schemathesis keeps its crash cache (``st replay``) under the cwd.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, **(variables or {}), "SCHEMATHESIS_HOOKS": hooks, "PYTHONPATH": path}
    completed = subprocess.run(command, cwd=workdir, env=env, check=False)
    seconds = time.monotonic() - started
    requests = count_requests(report) if report.exists() else 0
    return Run(completed.returncode, requests, seconds)


# --- entry point --------------------------------------------------------------------------------


def argument_parser(description: str | None, max_examples: int | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "-n",
        "--max-examples",
        type=int,
        default=max_examples,
        help="generated cases per operation",
    )
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("-w", "--workers", type=int, default=2)
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="write the reports and the API log here and keep them",
    )
    return parser


def summary(outcomes: Sequence[Outcome]) -> str:
    lines = ["", "run        requests   seconds  result"]
    for o in outcomes:
        result = "ok" if o.ok else "FAILED: " + "; ".join(o.problems)
        lines.append(f"{o.label:<10} {o.requests:>8} {o.seconds:>9.0f}  {result}")
    return "\n".join(lines)


def report(outcomes: Sequence[Outcome], log: Path, why: str) -> int:
    """Prints the API log's end when a run failed (``why`` it helps), the summary and the
    last line, ``fuzz: N passed, M failed``; the exit status."""
    failed = [o for o in outcomes if not o.ok]
    if failed:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        print(f"\nAPI log ({why}):\n" + "\n".join(lines[-400:]))
    print(summary(outcomes))
    print(f"fuzz: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def main(run: Callable[[argparse.Namespace, Path], int], args: argparse.Namespace) -> int:
    """``run(args, workdir)`` in a work folder, removed after unless ``--keep`` names it."""
    # A terminated run still stops its API process and drops its database (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="tghub-fuzz-"))
    try:
        return run(args, workdir.resolve())
    except FuzzError as exc:
        print(f"fuzz run failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
