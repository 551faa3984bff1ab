"""Builds the Runtime (database, event bus, auth ports) from Settings.

Called only by the composition roots; nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from redis.asyncio import Redis

# Every aggregate's mapper, whatever the process's own code imports: a foreign key to a model
# nobody imported does not resolve (``tghub run-job`` alone failed so).
import domain.models  # noqa: F401
from domain.accounts.session_cache import SessionCache, keep_fresh
from domain.adapters import db
from domain.adapters.bus import EventBus, create_bus
from domain.adapters.clock import SystemClock
from domain.adapters.heartbeat import worker_alive
from domain.adapters.passwords import Argon2Hasher
from domain.adapters.queue import ArqJobQueue, create_arq_redis
from domain.adapters.ratelimit import RedisRateLimiter
from domain.adapters.secrets import FernetBox
from domain.adapters.simulated.sandbox import SimulatedSandbox
from domain.adapters.simulated.store import WorldStore
from domain.adapters.simulated.worldfile import read_world_file
from domain.adapters.storage import LocalFileStore
from domain.adapters.tokens import JwtCodec
from domain.ports import AuthPorts, MessengerPorts
from domain.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncEngine

    from domain.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    bus: EventBus
    redis: Redis
    uow: UnitOfWorkFactory
    auth: AuthPorts
    queue: ArqJobQueue
    secrets: FernetBox
    messenger: MessengerPorts
    # Units of work in autocommit, for hot writes of one statement (the invite webhook).
    ingest_engine: AsyncEngine
    ingest_uow: UnitOfWorkFactory
    # The simulated world's store and controls; None with real Telegram.
    world: WorldStore | None = None
    sandbox: SimulatedSandbox | None = None

    _session_cache_listener: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    async def start(self) -> None:
        await self.bus.connect()
        if self.auth.sessions is not None:
            self._session_cache_listener = asyncio.create_task(
                keep_fresh(self.auth.sessions, self.bus), name="session cache listener"
            )
        await seed_world(self)

    async def stop(self) -> None:
        if self._session_cache_listener is not None:
            self._session_cache_listener.cancel()
            await asyncio.wait([self._session_cache_listener])
        await self.bus.disconnect()
        await self.queue.close()
        await self.redis.aclose()
        if self.world is not None:
            await self.world.redis.aclose()
        await self.engine.dispose()
        await self.ingest_engine.dispose()

    async def check_database(self) -> None:
        await db.ping(self.engine)

    async def check_redis(self) -> None:
        await self.redis.ping()

    async def check_worker(self) -> None:
        if not await worker_alive(self.redis, self.settings.channel_prefix):
            raise WorkerMissing("no worker heartbeat")


class WorkerMissing(RuntimeError):
    """No worker refreshed its heartbeat lately (none runs, or none reaches Redis)."""


def world_key(settings: Settings) -> str:
    return f"{settings.channel_prefix}:simulated-world"


def queue_name(settings: Settings) -> str:
    """The deployment's job queue: deployments sharing one Redis never run each other's jobs
    (a worker of another deployment would find neither the job's row nor its world)."""
    return f"{settings.channel_prefix}:arq:queue"


async def seed_world(runtime: Runtime) -> None:
    """The world file seeds a world Redis does not hold yet (a restart keeps the world)."""
    path = runtime.settings.telegram_world
    if runtime.sandbox is None or runtime.world is None or path is None:
        return
    if not await runtime.redis.exists(runtime.world.key):
        await runtime.sandbox.replace_world(read_world_file(path))


def signing_key(settings: Settings) -> str:
    """The configured key, or one generated once into the data folder (embedded default)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    return _data_folder_secret(settings, "secret_key")


def encryption_keys(settings: Settings) -> list[str]:
    if settings.encryption_keys:
        return [key.get_secret_value() for key in settings.encryption_keys]
    return [_data_folder_secret(settings, "encryption_key")]


def _data_folder_secret(settings: Settings, name: str) -> str:
    path = Path(settings.data_dir) / name
    # An empty file is what a crash between creating and writing it leaves: write it again.
    if not path.exists() or not path.read_text().strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def media_dir(settings: Settings) -> Path:
    """Uploaded files: TGHUB_MEDIA_DIR, or ``media/`` in the data folder."""
    return settings.media_dir or Path(settings.data_dir) / "media"


def build_hasher(settings: Settings) -> Argon2Hasher:
    return Argon2Hasher(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )


class NoEventBus:
    """The publisher of database-only tools (``tghub createadmin``), whose use cases emit none."""

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        channel = messages[0][0] if messages else None
        raise RuntimeError(f"no event bus in this process (event on {channel!r})")


def build_database(settings: Settings) -> tuple[AsyncEngine, UnitOfWorkFactory]:
    """Just the database: for tools that must not start or touch Redis."""
    if settings.database_url is None:
        raise RuntimeError("database_url must be resolved before build_database")
    engine = db.create_engine(settings.database_url, pool_size=1)
    return engine, UnitOfWorkFactory(db.create_session_factory(engine), NoEventBus())


def build_runtime(settings: Settings) -> Runtime:
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError("database_url and redis_url must be resolved before build_runtime")
    engine = db.create_engine(settings.database_url, pool_size=settings.database_pool_size)
    # A reply late by a second is an outage (fail fast); a connection a loaded machine is
    # slow to open is not (a refused one fails at once whatever the limit).
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=1)
    bus = create_bus(settings.redis_url, settings.channel_prefix)
    auth = AuthPorts(
        hasher=build_hasher(settings),
        tokens=JwtCodec(signing_key(settings)),
        clock=SystemClock(),
        limiter=RedisRateLimiter(redis, settings.channel_prefix),
        access_ttl=settings.access_token_ttl,
        refresh_ttl=settings.refresh_token_ttl,
        login_attempts_per_minute=settings.login_attempts_per_minute,
        refresh_grace=settings.refresh_grace_seconds,
        sessions=SessionCache(settings.auth_cache_seconds) if settings.auth_cache_seconds else None,
    )
    queue = ArqJobQueue(create_arq_redis(settings.redis_url), queue_name(settings))
    forget = auth.sessions.forget if auth.sessions is not None else None
    uow = UnitOfWorkFactory(db.create_session_factory(engine), bus, queue, forget)
    ingest_engine = db.create_ingest_engine(
        settings.database_url, pool_size=settings.database_pool_size
    )
    runtime = Runtime(
        settings=settings,
        engine=engine,
        bus=bus,
        redis=redis,
        uow=uow,
        auth=auth,
        queue=queue,
        secrets=FernetBox(encryption_keys(settings)),
        messenger=MessengerPorts(files=LocalFileStore(media_dir(settings)), clock=auth.clock),
        ingest_engine=ingest_engine,
        ingest_uow=UnitOfWorkFactory(db.create_session_factory(ingest_engine), bus, queue, forget),
    )
    if settings.telegram_mode == "simulated":
        # A client of its own, patient like a real Telegram: a step of the world waits for
        # Redis under load rather than failing as "Telegram unavailable" after a second.
        world_redis = Redis.from_url(
            settings.redis_url, socket_connect_timeout=5, socket_timeout=10
        )
        runtime.world = WorldStore(world_redis, world_key(settings))
        runtime.sandbox = SimulatedSandbox(runtime.world)
    return runtime
