"""tghub's processes (`tghub worker`, `tghub listen`, the API) as processes of their own, for
the tests and the benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from domain.metrics import MULTIPROC_DIR
from tests.conftest import DEADLINE, until
from tests.logcheck import collect_file
from tghub.servers import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from domain.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
STOP_DEADLINE = 60.0  # a process still running then is killed


def _environment(
    settings: Settings, metrics_dir: Path | str | None = None, **variables: str
) -> dict[str, str]:
    """The process environment that gives a child the same database, Redis, keys, world and
    channels as ``settings``; its metrics go to ``metrics_dir``, by default to the data
    folder's (not to this test process's folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGHUB_") and k != MULTIPROC_DIR}
    if metrics_dir is not None:
        env[MULTIPROC_DIR] = str(metrics_dir)
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    env.update(
        TGHUB_DATABASE_URL=str(settings.database_url),
        TGHUB_REDIS_URL=str(settings.redis_url),
        TGHUB_SECRET_KEY=secret,
        TGHUB_DATA_DIR=str(settings.data_dir),  # the same generated encryption key
        TGHUB_CHANNEL_PREFIX=settings.channel_prefix,  # the same simulated world
        **{f"TGHUB_{name.upper()}": value for name, value in variables.items()},
    )
    return env


def stop(process: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> None:
    """Signal the process and reap it; one that does not end in time is killed, never left
    running to take the jobs of later tests."""
    process.send_signal(sig)
    try:
        process.wait(timeout=STOP_DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def killed_if(
    process: subprocess.Popen[bytes], condition: Callable[[], Awaitable[bool]]
) -> bool:
    """SIGKILL the process if ``condition()`` holds of the state it left, read while it is
    frozen (SIGSTOP): what it holds (claims, say) is then what it dies holding, with no
    moment between the look and the kill for it to let go. Otherwise it runs on; False."""
    process.send_signal(signal.SIGSTOP)
    try:
        holds = await condition()
    except BaseException:
        process.send_signal(signal.SIGCONT)
        raise
    if holds:
        stop(process, signal.SIGKILL)
    else:
        process.send_signal(signal.SIGCONT)
    return holds


def start_worker(
    settings: Settings, log: Path, *, metrics_dir: Path | str | None = None, **variables: str
) -> subprocess.Popen[bytes]:
    """A worker on the same database, Redis, keys, world and channels as ``settings``."""
    command = [sys.executable, "-m", "tghub", "worker"]
    return _spawn(command, settings, log, metrics_dir=metrics_dir, **variables)


def start_listener(
    settings: Settings, log: Path, *, metrics_dir: Path | str | None = None, **variables: str
) -> subprocess.Popen[bytes]:
    """A status listener (``tghub listen``) on the same stores as ``settings``."""
    command = [sys.executable, "-m", "tghub", "listen"]
    return _spawn(command, settings, log, metrics_dir=metrics_dir, **variables)


def start_api(
    settings: Settings,
    port: int,
    log: Path,
    *,
    access_log: bool = False,
    workers: int = 1,
    metrics_dir: Path | str | None = None,
    **variables: str,
) -> subprocess.Popen[bytes]:
    """An API process (uvicorn, as production runs it, with ``workers`` worker processes)
    sharing ``settings``' stores; each of ``variables`` becomes a ``TGHUB_<NAME>`` setting
    of its own (``log_level`` is uvicorn's too). With ``access_log``, its log has a line for
    every request it answered (uvicorn's access log shows at INFO)."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "resolvers.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "info" if access_log else variables.get("log_level", "warning").lower(),
        "--workers",
        str(workers),
    ]
    return _spawn(command, settings, log, metrics_dir=metrics_dir, **variables)


async def wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    """Until the API process at ``url`` is ready (``/readyz``); its exit is a failure."""
    async with httpx.AsyncClient(base_url=url, timeout=DEADLINE) as client:

        async def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"API process exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                return (await client.get("/readyz")).status_code == 200
            return False

        await until(ready)


@contextlib.asynccontextmanager
async def running_api(settings: Settings, log: Path, **variables: str) -> AsyncIterator[str]:
    """``start_api`` on a free port, ready; its base URL. Stopped after the block."""
    port = free_port()
    process = start_api(settings, port, log, access_log=False, workers=1, **variables)
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_until_serving(url, process)
        yield url
    finally:
        stop(process)


def _spawn(
    command: list[str],
    settings: Settings,
    log: Path,
    *,
    metrics_dir: Path | str | None = None,
    **variables: str,
) -> subprocess.Popen[bytes]:
    env = _environment(settings, metrics_dir, **variables)
    with log.open("ab") as out:
        collect_file(log)
        return subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def while_progressing(
    done: Callable[[], Awaitable[bool]],
    progress: Callable[[], Awaitable[int]],
    log: Path,
    *,
    stalled: float,
    what: str,
    poll: float = 0.1,
) -> None:
    """Wait until ``done()`` while worker processes work; fail, with their log, when
    ``progress()`` (a count that grows as they work) stood still for ``stalled`` seconds: a
    loaded machine works slowly, a stuck one not at all."""
    seen, since = -1, time.monotonic()
    while not await done():
        now = await progress()
        if now != seen:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since > stalled:
            output = await asyncio.to_thread(log.read_text, errors="replace")
            pytest.fail(
                f"no {what} for {stalled:.0f} s (stuck at {seen}); workers' log:\n{output[-5000:]}"
            )
        await asyncio.sleep(poll)
