"""Authentication from the process's session cache: what it saves, and how each change
reaches it (at once in the process that wrote, by event in the others, by the time bound when
an event is lost, by emptying it when the bus loses Redis).

Two runtimes on one database and one Redis are two processes as far as the cache goes: each
has its own cache, units of work and bus connection.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from domain.accounts import service
from domain.accounts.errors import InvalidToken
from domain.accounts.model import User
from domain.accounts.rules import FamilyState, TokenType
from domain.accounts.session_cache import SessionCache
from tests.conftest import DEADLINE, started_runtime

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

    from domain.bootstrap import Runtime
    from domain.settings import Settings
    from tests.redis_server import RedisServer

PASSWORD = "secret123"
POLL = 0.02
LONG_TTL = 3600.0  # long enough that only an event can clear an entry during a test


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cache_of(runtime: Runtime) -> SessionCache:
    assert runtime.auth.sessions is not None
    return runtime.auth.sessions


async def eventually(check: Callable[[], Awaitable[bool]]) -> bool:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(POLL)
    return False


async def armed(runtime: Runtime) -> Runtime:
    async def listening() -> bool:
        return cache_of(runtime).armed

    assert await eventually(listening), "the cache's listener never subscribed"
    return runtime


@pytest.fixture
def cached_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"auth_cache_seconds": LONG_TTL})


@pytest.fixture
async def here(cached_settings: Settings) -> AsyncIterator[Runtime]:
    """The process under test."""
    async with started_runtime(cached_settings) as runtime:
        yield await armed(runtime)


@pytest.fixture
async def elsewhere(cached_settings: Settings) -> AsyncIterator[Runtime]:
    """Another process on the same database and Redis."""
    async with started_runtime(cached_settings) as runtime:
        yield await armed(runtime)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine of this process runs from now on."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def signed_in(runtime: Runtime, username: str) -> service.TokenPair:
    async with runtime.uow() as uow:
        await service.register_user(uow, runtime.auth, username=username, password=PASSWORD)
    async with runtime.uow() as uow:
        return await service.login(uow, runtime.auth, username=username, password=PASSWORD)


async def viewer_of(runtime: Runtime, token: str) -> service.Viewer:
    async with runtime.uow() as uow:
        return await service.authenticate_token(
            uow, runtime.auth, token=token, expected=TokenType.ACCESS
        )


async def accepted(runtime: Runtime, token: str) -> bool:
    try:
        await viewer_of(runtime, token)
    except InvalidToken:
        return False
    return True


async def cached(runtime: Runtime, pair: service.TokenPair) -> service.Viewer:
    """Authenticated until the process keeps the session: the first request after a login
    writes the user's presence, which drops their entry again, and so does the echo of that
    write from the bus, which may arrive during the next request (a read that overlaps an
    invalidation is not kept) - one publish round trip is no time to hear it in."""
    deadline = time.monotonic() + DEADLINE
    viewer = await viewer_of(runtime, pair.access)
    while cache_of(runtime).get(pair.session_id) is None:
        assert time.monotonic() < deadline, "the process never kept the session"
        await asyncio.sleep(POLL)
        viewer = await viewer_of(runtime, pair.access)
    return viewer


async def log_out(runtime: Runtime, token: str) -> None:
    viewer = await viewer_of(runtime, token)
    async with runtime.uow() as uow:
        await service.logout(uow, runtime.auth, actor=viewer)


async def revoke_behind_its_back(runtime: Runtime, pair: service.TokenPair) -> None:
    """A revocation whose event is lost: the row changes, nobody is told."""
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE auth_sessions SET revoked_at = now() WHERE id = :id"),
            {"id": pair.session_id},
        )


class TestHits:
    async def test_a_known_session_is_authenticated_without_sql(
        self, here: Runtime, statements: list[str]
    ) -> None:
        pair = await signed_in(here, "ivan")
        first = await cached(here, pair)
        read_by_the_first = len(statements)

        again = await viewer_of(here, pair.access)

        assert statements[read_by_the_first:] == []
        assert (again.user.id, again.user.username) == (first.user.id, "ivan")
        assert again.session_id == pair.session_id

    async def test_each_request_gets_its_own_copy_of_the_user(self, here: Runtime) -> None:
        pair = await signed_in(here, "ivan")
        await cached(here, pair)
        one, other = await viewer_of(here, pair.access), await viewer_of(here, pair.access)

        one.user.first_name = "changed by one request"

        assert one.user is not other.user
        assert other.user.first_name == ""

    async def test_without_a_cache_every_request_reads_the_database(
        self, settings: Settings, statements: list[str]
    ) -> None:
        uncached = settings.model_copy(update={"auth_cache_seconds": 0})
        async with started_runtime(uncached) as runtime:
            assert runtime.auth.sessions is None
            pair = await signed_in(runtime, "ivan")
            await viewer_of(runtime, pair.access)
            read_by_the_first = len(statements)
            await viewer_of(runtime, pair.access)
            assert len(statements) > read_by_the_first


class TestTheProcessThatWrites:
    async def test_refuses_a_session_it_revoked_at_once(self, here: Runtime) -> None:
        pair = await signed_in(here, "ivan")
        await cached(here, pair)

        await log_out(here, pair.access)

        assert not await accepted(here, pair.access)

    async def test_refuses_the_previous_generation_after_its_own_refresh(
        self, here: Runtime
    ) -> None:
        pair = await signed_in(here, "ivan")
        await cached(here, pair)
        async with here.uow() as uow:
            fresh = await service.refresh_tokens(uow, here.auth, refresh_token=pair.refresh)

        assert not await accepted(here, pair.access)
        assert await accepted(here, fresh.access)

    async def test_shows_a_profile_change_at_once(self, here: Runtime) -> None:
        pair = await signed_in(here, "ivan")
        viewer = await cached(here, pair)
        async with here.uow() as uow:
            await service.update_profile(
                uow,
                here.messenger.files,
                actor=viewer,
                user_id=viewer.user_id,
                changes=service.ProfileChanges(first_name="Ivan"),
            )

        assert (await viewer_of(here, pair.access)).user.first_name == "Ivan"


class TestOtherProcesses:
    async def test_refuse_a_revoked_session_once_the_event_arrives(
        self, here: Runtime, elsewhere: Runtime
    ) -> None:
        pair = await signed_in(here, "ivan")
        await cached(here, pair)  # for an hour

        await log_out(elsewhere, pair.access)

        async def refused() -> bool:
            return not await accepted(here, pair.access)

        assert await eventually(refused), "the revocation event never cleared the entry"

    async def test_show_a_profile_change_once_the_event_arrives(
        self, here: Runtime, elsewhere: Runtime
    ) -> None:
        pair = await signed_in(here, "ivan")
        viewer = await cached(here, pair)
        async with elsewhere.uow() as uow:
            await service.update_profile(
                uow,
                elsewhere.messenger.files,
                actor=viewer,
                user_id=viewer.user_id,
                changes=service.ProfileChanges(last_name="Petrov"),
            )

        async def renamed() -> bool:
            return (await viewer_of(here, pair.access)).user.last_name == "Petrov"

        assert await eventually(renamed)


class TestLostEvents:
    async def test_a_revocation_nobody_announced_counts_after_the_time_bound(
        self, here: Runtime
    ) -> None:
        cache = cache_of(here)
        clock = ManualClock()
        cache.clock = clock
        pair = await signed_in(here, "ivan")
        await cached(here, pair)

        await revoke_behind_its_back(here, pair)
        clock.now += cache.ttl - 0.001
        still = await accepted(here, pair.access)
        clock.now += 0.001

        assert still, "served from memory within the bound"
        assert not await accepted(here, pair.access), "refused once the bound has passed"

    async def test_the_cache_empties_when_the_bus_loses_redis(
        self, cached_settings: Settings, redis_server: RedisServer
    ) -> None:
        private = cached_settings.model_copy(update={"redis_url": redis_server.url})
        async with started_runtime(private) as runtime:
            await armed(runtime)
            pair = await signed_in(runtime, "ivan")
            await cached(runtime, pair)
            await revoke_behind_its_back(runtime, pair)
            assert await accepted(runtime, pair.access)  # the entry holds, for an hour

            await redis_server.stop()

            async def disarmed() -> bool:
                return not cache_of(runtime).armed

            assert await eventually(disarmed)
            assert not await accepted(runtime, pair.access)

            await redis_server.start()
            await armed(runtime)  # listening again once Redis is back


class TestRaces:
    def test_a_read_that_began_before_an_invalidation_is_not_kept(self) -> None:
        cache = SessionCache(LONG_TTL)
        cache.arm()
        user = User(id=uuid.uuid4(), username="ivan", password_hash="!")
        session_id = uuid.uuid4()
        family = FamilyState(
            generation=0, current_jti="j", expires_at=datetime.now(UTC), revoked=False
        )

        read = cache.begin_read()
        cache.forget_user(user.id)  # the write lands while the read is out
        cache.put(session_id, family, user, read)

        assert cache.get(session_id) is None
