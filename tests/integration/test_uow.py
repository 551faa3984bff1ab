"""The unit of work commits, then publishes; a rollback drops what was recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from domain.accounts.events import SessionRevoked
from domain.accounts.model import User
from domain.events import decode
from domain.messenger.cards import MessageCard
from domain.messenger.events import MessageEvent
from domain.uow import UnitOfWorkFactory
from tests.conftest import DEADLINE, started_runtime
from tests.redis_server import RedisServer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence
    from pathlib import Path

    from domain.bootstrap import Runtime
    from domain.settings import Settings


def revoked_event(user_id: uuid.UUID) -> SessionRevoked:
    return SessionRevoked(user_id=user_id, session_id=uuid.uuid4(), reason="test")


def new_user() -> User:
    # The id is set here, not at flush, so events can name the row before it is written.
    return User(id=uuid.uuid4(), username=f"u{uuid.uuid4().hex[:10]}", password_hash="x")


async def count_users(runtime: Runtime) -> int:
    async with runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(User)) or 0)


# Long enough for a published message to arrive; the tests that expect none wait this long.
QUIET = 1.0


async def next_message(
    runtime: Runtime, channel: str, action: object, *, within: float = QUIET
) -> str | None:
    """Subscribe, run ``action``, and return the first message ``within`` seconds (or None)."""
    async with runtime.bus.subscribe(channel) as messages:
        await action()  # type: ignore[operator]
        try:
            return await asyncio.wait_for(anext(aiter(messages)), within)
        except TimeoutError:
            return None


class TestCommit:
    async def test_commit_persists_then_publishes(self, runtime: Runtime) -> None:
        user = new_user()
        event = revoked_event(user.id)

        async def act() -> None:
            async with runtime.uow() as uow:
                uow.session.add(user)
                uow.emit(event)
                await uow.commit()

        message = await next_message(runtime, f"user:{user.id}", act, within=DEADLINE)
        assert message is not None
        assert decode(message) == event
        assert await count_users(runtime) == 1

    async def test_nothing_is_published_before_commit(self, runtime: Runtime) -> None:
        user = new_user()
        async with runtime.bus.subscribe(f"user:{user.id}") as messages:
            reader = asyncio.ensure_future(anext(aiter(messages)))
            async with runtime.uow() as uow:
                uow.session.add(user)
                uow.emit(revoked_event(user.id))
                await uow.flush()
                await asyncio.wait({reader}, timeout=0.3)
                assert not reader.done()
                await uow.commit()
            assert await asyncio.wait_for(reader, DEADLINE)

    async def test_entities_stay_readable_after_the_block(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            user = new_user()
            uow.session.add(user)
            await uow.commit()
        assert user.username.startswith("u")


class TestRollback:
    async def test_leaving_without_commit_drops_rows_and_events(self, runtime: Runtime) -> None:
        user = new_user()

        async def act() -> None:
            async with runtime.uow() as uow:
                uow.session.add(user)
                uow.emit(revoked_event(user.id))
                await uow.flush()

        assert await next_message(runtime, f"user:{user.id}", act) is None
        assert await count_users(runtime) == 0

    async def test_explicit_rollback_drops_events_recorded_before_it(
        self, runtime: Runtime
    ) -> None:
        user = new_user()

        async def act() -> None:
            async with runtime.uow() as uow:
                uow.emit(revoked_event(user.id))
                await uow.rollback()
                await uow.commit()

        assert await next_message(runtime, f"user:{user.id}", act) is None

    async def test_an_exception_in_the_block_drops_rows_and_events(self, runtime: Runtime) -> None:
        user = new_user()

        async def failing_use_case() -> None:
            async with runtime.uow() as uow:
                uow.session.add(user)
                uow.emit(revoked_event(user.id))
                await uow.flush()
                raise RuntimeError("use case failed")

        async def act() -> None:
            with pytest.raises(RuntimeError):
                await failing_use_case()

        assert await next_message(runtime, f"user:{user.id}", act) is None
        assert await count_users(runtime) == 0


class BuggyPublisher:
    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        raise RuntimeError("a bug, not an outage")


def two_member_event() -> MessageEvent:
    """An event published on two channels: one event, however many channels carry it."""
    members = (uuid.uuid4(), uuid.uuid4())
    now = datetime.now(UTC)
    message = MessageCard(
        id=uuid.uuid4(),
        chat_id=uuid.uuid4(),
        text="hi",
        voice=None,
        files=(),
        sender=None,
        was_read_by=(),
        created_at=now,
        updated_at=now,
    )
    return MessageEvent(kind="create", chat_id=message.chat_id, message=message, recipients=members)


@contextlib.asynccontextmanager
async def runtime_on(settings: Settings, redis: RedisServer) -> AsyncIterator[Runtime]:
    async with started_runtime(settings.model_copy(update={"redis_url": redis.url})) as runtime:
        yield runtime


async def commit_a_user_and_an_event(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        uow.session.add(new_user())
        uow.emit(two_member_event())
        await uow.commit()


def outage_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "domain.uow"]


class TestPublishFailure:
    async def test_an_outage_is_logged_once_and_its_end_with_the_events_lost(
        self, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        redis = RedisServer(tmp_path)
        await redis.start()
        caplog.set_level(logging.INFO, logger="domain.uow")
        try:
            async with runtime_on(settings, redis) as runtime:
                await commit_a_user_and_an_event(runtime)
                await redis.stop()
                for _ in range(3):
                    await commit_a_user_and_an_event(runtime)
                [started] = outage_records(caplog)
                await redis.start()
                await commit_a_user_and_an_event(runtime)
                assert await count_users(runtime) == 5  # every transaction is kept
        finally:
            await redis.stop()
        [_, ended] = outage_records(caplog)
        assert started.levelno == logging.WARNING
        assert "publishing events failed" in started.getMessage()
        assert "ConnectionError" in started.getMessage()
        assert started.exc_info is None  # an outage is not a bug: no traceback
        assert "publishing events works again" in ended.getMessage()
        assert "3 events lost" in ended.getMessage()

    async def test_an_unexpected_error_keeps_its_traceback_and_the_row(
        self, runtime: Runtime, caplog: pytest.LogCaptureFixture
    ) -> None:
        factory = UnitOfWorkFactory(runtime.uow.session_factory, BuggyPublisher())
        user = new_user()
        with caplog.at_level(logging.ERROR, logger="domain.uow"):
            async with factory() as uow:
                uow.session.add(user)
                uow.emit(revoked_event(user.id))
                await uow.commit()
        assert await count_users(runtime) == 1
        [record] = outage_records(caplog)
        assert "publishing session_revoked" in record.getMessage()
        assert record.exc_info is not None


class TestStatementErrors:
    async def test_a_failed_statement_does_not_carry_its_parameters(self, runtime: Runtime) -> None:
        secret_hash = "$argon2id$v=19$m=65536,t=3,p=4$not-for-logs"
        async with runtime.uow() as uow:
            uow.session.add(User(username="twin", password_hash=secret_hash))
            uow.session.add(User(username="twin", password_hash=secret_hash))
            with pytest.raises(IntegrityError) as failure:
                await uow.flush()
        assert "not-for-logs" not in str(failure.value)
