"""A tracker's ``is_auth`` follows its Telegram session: set by signing the account in,
cleared with the reason when Telegram revokes the session or none is usable; the users of a
signed-out tracker move to trackers with free slots, the rest keep their tracker until one
frees."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from domain.access import System
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.telegram import service as telegram
from domain.telegram.model import AccountStatus, TelegramAccount
from domain.tracking import service as tracking
from domain.tracking.errors import NoTelegramAccount
from domain.tracking.model import TrackedUser, TrackerAccount, TrackerSetting
from domain.tracking.rules import SettingFilter
from tests.world import WORLD, load_world, sign_in, signed_in_account

if TYPE_CHECKING:
    import uuid

    from domain.bootstrap import Runtime

SYSTEM = System("tests")
PHONES = ("+79990000100", "+79990000101")
NAMES = ("ivan_test", "maria_test", "oleg_test", "nobody_here")


def two_account_world() -> dict[str, Any]:
    document = copy.deepcopy(WORLD)
    accounts = document["accounts"]
    accounts.append({**accounts[0], "id": 9002, "phone": PHONES[1]})
    return document


async def new_tracker(
    runtime: Runtime, n: int, *, phone: str | None, max_users: int = 10, is_auth: bool = False
) -> int:
    async with runtime.uow() as uow:
        tracker = await tracking.create_tracker(
            uow,
            runtime.secrets,
            actor=SYSTEM,
            telegram_id=700 + n,
            api_id=12340 + n,
            api_hash=f"{n:032x}",
            is_active=True,
            is_auth=is_auth,
        )
    if phone is not None:
        async with runtime.uow() as uow:
            await tracking.create_setting(
                uow, runtime.secrets, actor=SYSTEM, tracker_id=tracker.id, phone_number=phone,
                max_users=max_users,
            )  # fmt: skip
    return tracker.id


async def account_of(runtime: Runtime, tracker_id: int) -> uuid.UUID:
    async with runtime.uow() as uow:
        tracker = await uow.session.get(TrackerAccount, tracker_id)
        assert tracker is not None
        assert tracker.telegram_account_id is not None
        return tracker.telegram_account_id


async def signed_in_tracker(runtime: Runtime, n: int, *, max_users: int = 10) -> int:
    """A tracker whose setting names a world account, signed in through the real jobs."""
    tracker_id = await new_tracker(runtime, n, phone=PHONES[n - 1], max_users=max_users)
    await sign_in(runtime, await account_of(runtime, tracker_id))
    return tracker_id


async def auth(runtime: Runtime, tracker_id: int) -> tuple[bool, str | None]:
    async with runtime.uow() as uow:
        tracker = await uow.session.get(TrackerAccount, tracker_id)
        assert tracker is not None
        return tracker.is_auth, tracker.auth_error


async def placement(runtime: Runtime) -> dict[str, int]:
    async with runtime.uow() as uow:
        rows = await uow.session.execute(
            select(TrackedUser.username, TrackedUser.tracker_account_id)
        )
        return {name: tracker for name, tracker in rows}  # noqa: C416 - rows, not pairs


async def counters(runtime: Runtime) -> dict[int, int]:
    async with runtime.uow() as uow:
        rows = await uow.session.execute(
            select(TrackerSetting.tracker_account_id, TrackerSetting.current_users)
        )
        return {tracker: count for tracker, count in rows}  # noqa: C416 - rows, not pairs


async def track_all(runtime: Runtime, tracker_id: int) -> None:
    async with runtime.uow() as uow:
        owner = await tracking.create_telegram_user(uow, actor=SYSTEM, telegram_id=42, max_users=10)
    for name in NAMES:
        async with runtime.uow() as uow:
            await tracking.track_user(
                uow, actor=SYSTEM, telegram_user_id=owner.id, username=name,
                tracker_account_id=tracker_id,
            )  # fmt: skip


async def revoke_sessions(runtime: Runtime, phone: str) -> None:
    """Telegram forgets the account's sessions (a logout from another device)."""
    assert runtime.sandbox is not None
    account = next(a for a in two_account_world()["accounts"] if a["phone"] == phone)
    await runtime.sandbox.load_world({"accounts": [{**account, "sessions": []}]}, merge=True)


async def poll(runtime: Runtime, tracker_id: int) -> tracking.Poll:
    assert runtime.world is not None
    async with runtime.uow() as uow:
        return await tracking.poll_tracker(
            uow, SimulatedGateway(runtime.world), runtime.secrets, runtime.auth.clock,
            actor=SYSTEM, tracker_id=tracker_id,
        )  # fmt: skip


async def check_sessions(runtime: Runtime) -> dict[int, str]:
    async with runtime.uow() as uow:
        return await tracking.check_sessions(uow, actor=SYSTEM)


@pytest.fixture(autouse=True)
async def world(runtime: Runtime) -> None:
    await load_world(runtime, two_account_world())


class TestSigningIn:
    async def test_signing_the_account_in_authorises_the_tracker(self, runtime: Runtime) -> None:
        tracker_id = await new_tracker(runtime, 1, phone=PHONES[0])
        assert await auth(runtime, tracker_id) == (False, None)

        await sign_in(runtime, await account_of(runtime, tracker_id))

        assert await auth(runtime, tracker_id) == (True, None)

    async def test_a_setting_naming_a_signed_in_account_signs_the_tracker_in(
        self, runtime: Runtime
    ) -> None:
        await signed_in_account(runtime, PHONES[0])

        tracker_id = await new_tracker(runtime, 1, phone=PHONES[0])

        assert await auth(runtime, tracker_id) == (True, None)
        assert await auth(runtime, await new_tracker(runtime, 2, phone="+79990000555")) == (
            False,
            None,
        )

    async def test_signing_in_again_clears_the_reason(self, runtime: Runtime) -> None:
        tracker_id = await signed_in_tracker(runtime, 1)
        await track_all(runtime, tracker_id)
        await revoke_sessions(runtime, PHONES[0])
        with pytest.raises(telegram.AccountSessionRevoked):
            await poll(runtime, tracker_id)

        await sign_in(runtime, await account_of(runtime, tracker_id))

        assert await auth(runtime, tracker_id) == (True, None)
        assert (await poll(runtime, tracker_id)).written == 1  # ivan_test's first status


class TestRevokedSession:
    async def test_signs_the_tracker_out_and_its_users_move(self, runtime: Runtime) -> None:
        dying, other = await signed_in_tracker(runtime, 1), await signed_in_tracker(runtime, 2)
        await track_all(runtime, dying)
        await revoke_sessions(runtime, PHONES[0])

        with pytest.raises(telegram.AccountSessionRevoked) as caught:
            await poll(runtime, dying)

        assert await auth(runtime, dying) == (False, caught.value.message)
        assert set((await placement(runtime)).values()) == {other}
        assert await counters(runtime) == {dying: 0, other: len(NAMES)}
        async with runtime.uow() as uow:
            account = await uow.session.get(TelegramAccount, await account_of(runtime, dying))
            assert account is not None
            assert (account.status, account.session_enc) == (AccountStatus.REVOKED, None)

    async def test_users_without_a_free_slot_keep_their_tracker_until_one_frees(
        self, runtime: Runtime
    ) -> None:
        dying, other = await signed_in_tracker(runtime, 1), await signed_in_tracker(runtime, 2)
        async with runtime.uow() as uow:
            setting = await tracking.setting_id_of(
                uow, actor=SYSTEM, where=SettingFilter(tracker_telegram_id=700 + 2)
            )
            await tracking.update_setting(
                uow, runtime.secrets, actor=SYSTEM, setting_id=setting, max_users=2
            )
        await track_all(runtime, dying)
        await revoke_sessions(runtime, PHONES[0])
        with pytest.raises(telegram.AccountSessionRevoked):
            await poll(runtime, dying)

        assert sorted((await placement(runtime)).values()) == sorted([dying, dying, other, other])
        assert await counters(runtime) == {dying: 2, other: 2}

        async with runtime.uow() as uow:
            await tracking.update_setting(
                uow, runtime.secrets, actor=SYSTEM, setting_id=setting, max_users=10
            )
        assert await check_sessions(runtime) == {}  # nobody newly signed out; the rest move

        assert set((await placement(runtime)).values()) == {other}
        assert await counters(runtime) == {dying: 0, other: len(NAMES)}


class TestClaimsWithoutSession:
    async def test_are_cleared_with_the_reason(self, runtime: Runtime) -> None:
        signed_in = await signed_in_tracker(runtime, 1)
        no_account = await new_tracker(runtime, 3, phone=None, is_auth=True)
        never_signed_in = await new_tracker(runtime, 4, phone="+79990000555", is_auth=True)

        signed_out = await check_sessions(runtime)

        assert signed_out == {
            no_account: NoTelegramAccount.default_message,
            never_signed_in: telegram.NOT_SIGNED_IN,
        }
        assert await auth(runtime, no_account) == (False, NoTelegramAccount.default_message)
        assert await auth(runtime, never_signed_in) == (False, telegram.NOT_SIGNED_IN)
        assert await auth(runtime, signed_in) == (True, None)
        assert await check_sessions(runtime) == {}  # once

    async def test_an_admins_is_auth_false_moves_nobody(self, runtime: Runtime) -> None:
        parked, other = await signed_in_tracker(runtime, 1), await signed_in_tracker(runtime, 2)
        await track_all(runtime, parked)
        async with runtime.uow() as uow:
            await tracking.update_tracker(
                uow, runtime.secrets, actor=SYSTEM, tracker_id=parked, is_auth=False
            )

        assert await check_sessions(runtime) == {}

        assert set((await placement(runtime)).values()) == {parked}
        assert other not in (await placement(runtime)).values()
