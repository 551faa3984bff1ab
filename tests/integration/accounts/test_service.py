"""Accounts use cases against the real database, including races the API tests cannot stage."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from domain.access import System
from domain.accounts import service
from domain.accounts.errors import InvalidCredentials, InvalidToken, UsernameTaken
from domain.accounts.model import Role
from domain.accounts.rules import TokenType
from domain.errors import Invalid
from tests.fakes import FrozenClock

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from domain.ports import AuthPorts

SYSTEM = System("tests")

PASSWORD = "secret123"


async def register(runtime: Runtime, username: str) -> None:
    async with runtime.uow() as uow:
        await service.register_user(uow, runtime.auth, username=username, password=PASSWORD)


async def login(
    runtime: Runtime, username: str, auth: AuthPorts | None = None
) -> service.TokenPair:
    async with runtime.uow() as uow:
        return await service.login(uow, auth or runtime.auth, username=username, password=PASSWORD)


async def refresh(runtime: Runtime, token: str, auth: AuthPorts | None = None) -> service.TokenPair:
    async with runtime.uow() as uow:
        return await service.refresh_tokens(uow, auth or runtime.auth, refresh_token=token)


async def viewer_of(runtime: Runtime, token: str) -> service.Viewer:
    async with runtime.uow() as uow:
        return await service.authenticate_token(
            uow, runtime.auth, token=token, expected=TokenType.ACCESS
        )


class TestRegisterUser:
    async def test_concurrent_registrations_of_one_name_create_one_user(
        self, runtime: Runtime
    ) -> None:
        results = await asyncio.gather(
            *(register(runtime, "ivan") for _ in range(5)), return_exceptions=True
        )
        assert sum(result is None for result in results) == 1
        assert all(isinstance(r, UsernameTaken) for r in results if r is not None)

    async def test_invalid_input_writes_nothing(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            with pytest.raises(Invalid):
                await service.register_user(uow, runtime.auth, username="1x", password="1")
        with pytest.raises(InvalidCredentials):
            await login(runtime, "1x")

    async def test_password_is_stored_as_argon2_hash(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            user = await service.register_user(
                uow, runtime.auth, username="ivan", password=PASSWORD
            )
        assert user.password_hash.startswith("$argon2")
        assert PASSWORD not in user.password_hash


class TestRefreshTokens:
    async def test_concurrent_refreshes_with_one_token_all_get_the_current_pair(
        self, runtime: Runtime
    ) -> None:
        await register(runtime, "ivan")
        pair = await login(runtime, "ivan")

        results = await asyncio.gather(*(refresh(runtime, pair.refresh) for _ in range(3)))

        assert len({result.refresh for result in results}) == 1
        for result in results:
            assert (await viewer_of(runtime, result.access)).session_id == pair.session_id
        rotated_again = await refresh(runtime, results[0].refresh)
        assert (await viewer_of(runtime, rotated_again.access)).user.username == "ivan"

    async def test_without_grace_concurrent_use_rotates_once_and_revokes(
        self, runtime: Runtime
    ) -> None:
        strict = dataclasses.replace(runtime.auth, refresh_grace=0)
        await register(runtime, "ivan")
        pair = await login(runtime, "ivan")
        results = await asyncio.gather(
            refresh(runtime, pair.refresh, strict),
            refresh(runtime, pair.refresh, strict),
            return_exceptions=True,
        )
        winners = [r for r in results if isinstance(r, service.TokenPair)]
        assert len(winners) == 1
        # The loser presented a rotated token: the whole family is gone, winner included.
        with pytest.raises(InvalidToken):
            await viewer_of(runtime, winners[0].access)

    async def test_reuse_after_the_grace_window_revokes_the_family(self, runtime: Runtime) -> None:
        clock = FrozenClock(datetime.now(UTC))
        auth = dataclasses.replace(runtime.auth, clock=clock, refresh_grace=30)
        await register(runtime, "ivan")
        pair = await login(runtime, "ivan", auth)
        rotated = await refresh(runtime, pair.refresh, auth)
        clock.advance(29)
        assert (await refresh(runtime, pair.refresh, auth)).refresh == rotated.refresh
        clock.advance(1)

        with pytest.raises(InvalidToken):
            await refresh(runtime, pair.refresh, auth)
        with pytest.raises(InvalidToken):
            await refresh(runtime, rotated.refresh, auth)

    async def test_rotation_kills_the_previous_access_token(self, runtime: Runtime) -> None:
        await register(runtime, "ivan")
        pair = await login(runtime, "ivan")
        rotated = await refresh(runtime, pair.refresh)
        assert (await viewer_of(runtime, rotated.access)).user.username == "ivan"
        with pytest.raises(InvalidToken):
            await viewer_of(runtime, pair.access)

    async def test_an_access_token_cannot_refresh(self, runtime: Runtime) -> None:
        await register(runtime, "ivan")
        pair = await login(runtime, "ivan")
        with pytest.raises(InvalidToken):
            await refresh(runtime, pair.access)


class TestLogout:
    async def test_logout_revokes_only_that_family(self, runtime: Runtime) -> None:
        await register(runtime, "ivan")
        phone, laptop = await login(runtime, "ivan"), await login(runtime, "ivan")
        phone_viewer = await viewer_of(runtime, phone.access)
        async with runtime.uow() as uow:
            await service.logout(uow, runtime.auth, actor=phone_viewer)
        with pytest.raises(InvalidToken):
            await viewer_of(runtime, phone.access)
        with pytest.raises(InvalidToken):
            await refresh(runtime, phone.refresh)
        assert (await viewer_of(runtime, laptop.access)).session_id == laptop.session_id


class TestEnsureAdmin:
    async def test_creates_then_promotes_and_repasswords(self, runtime: Runtime) -> None:
        await register(runtime, "ivan")
        async with runtime.uow() as uow:
            user = await service.ensure_admin(
                uow, runtime.auth.hasher, actor=SYSTEM, username="ivan", password="new-password-1"
            )
        assert user.role is Role.ADMIN
        with pytest.raises(InvalidCredentials):
            await login(runtime, "ivan")
        async with runtime.uow() as uow:
            await service.login(uow, runtime.auth, username="ivan", password="new-password-1")

    async def test_refuses_a_weak_password(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            with pytest.raises(Invalid):
                await service.ensure_admin(
                    uow, runtime.auth.hasher, actor=SYSTEM, username="root", password="123"
                )
