"""A tracker's poll cycle against the simulated Telegram: statuses asked through its signed-in
Telegram account, changes logged once, what Telegram hides or does not know kept as a
reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from domain.access import Guest, System
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.errors import PermissionDenied
from domain.tracking import service as tracking
from domain.tracking.errors import NoTelegramAccount
from domain.tracking.model import OnlineStatus, TrackedUser
from domain.types import TelegramID
from tests.world import ACCOUNT_PHONE, API_HASH, WORLD, load_world, signed_in_account

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

SYSTEM = System("tests")
NAMES = ("ivan_test", "maria_test", "oleg_test", "nobody_here")


async def tracked_scene(runtime: Runtime, *, phone: str | None = ACCOUNT_PHONE) -> int:
    """A tracker on the world's signed-in account tracking ``NAMES`` for one client."""
    async with runtime.uow() as uow:
        tracker = await tracking.create_tracker(
            uow,
            runtime.secrets,
            actor=SYSTEM,
            telegram_id=777,
            api_id=12345,
            api_hash=API_HASH,
            is_active=True,
            is_auth=True,
        )
    if phone is not None:
        async with runtime.uow() as uow:
            await tracking.create_setting(
                uow,
                runtime.secrets,
                actor=SYSTEM,
                tracker_id=tracker.id,
                phone_number=phone,
                max_users=10,
            )
    async with runtime.uow() as uow:
        owner = await tracking.create_telegram_user(uow, actor=SYSTEM, telegram_id=42, max_users=10)
    for name in NAMES if phone is not None else ():
        async with runtime.uow() as uow:
            await tracking.track_user(uow, actor=SYSTEM, telegram_user_id=owner.id, username=name)
    return tracker.id


async def poll(runtime: Runtime, tracker_id: int, actor: object = SYSTEM) -> tracking.Poll:
    assert runtime.world is not None
    async with runtime.uow() as uow:
        return await tracking.poll_tracker(
            uow,
            SimulatedGateway(runtime.world),
            runtime.secrets,
            runtime.auth.clock,
            actor=actor,  # type: ignore[arg-type]
            tracker_id=tracker_id,
        )


async def log(runtime: Runtime) -> list[tuple[str, bool]]:
    async with runtime.uow() as uow:
        rows = await uow.session.execute(
            select(TrackedUser.username, OnlineStatus.is_online)
            .join(TrackedUser, TrackedUser.id == OnlineStatus.tracked_user_id)
            .order_by(OnlineStatus.id)
        )
        return [(name, online) for name, online in rows]


async def hidden(runtime: Runtime) -> dict[str, str | None]:
    async with runtime.uow() as uow:
        rows = await uow.session.execute(
            select(TrackedUser.username, TrackedUser.hidden_reason).where(
                TrackedUser.visible_online.is_(False)
            )
        )
        return {name: reason for name, reason in rows}  # noqa: C416 - rows, not pairs


async def set_online(runtime: Runtime, telegram_id: int, online: bool) -> None:
    assert runtime.sandbox is not None
    await runtime.sandbox.set_user_status(TelegramID(telegram_id), online=online)


@pytest.fixture
async def tracker_id(runtime: Runtime) -> int:
    await load_world(runtime)
    await signed_in_account(runtime)
    return await tracked_scene(runtime)


class TestPollTracker:
    async def test_logs_what_it_sees_and_keeps_why_it_sees_nothing(
        self, runtime: Runtime, tracker_id: int
    ) -> None:
        await set_online(runtime, 1001, True)

        written = (await poll(runtime, tracker_id)).written

        assert written == 1
        assert await log(runtime) == [("ivan_test", True)]
        # maria and oleg hide their status from non-contacts; nobody_here is no Telegram user.
        assert await hidden(runtime) == {
            "maria_test": "hidden",
            "oleg_test": "hidden",
            "nobody_here": "not found",
        }

    async def test_an_unchanged_status_writes_nothing_and_a_change_one_row(
        self, runtime: Runtime, tracker_id: int
    ) -> None:
        await set_online(runtime, 1001, True)
        await poll(runtime, tracker_id)

        unchanged = (await poll(runtime, tracker_id)).written
        await set_online(runtime, 1001, False)
        changed = (await poll(runtime, tracker_id)).written

        assert (unchanged, changed) == (0, 1)
        assert await log(runtime) == [("ivan_test", True), ("ivan_test", False)]

    async def test_a_user_on_a_schedule_is_logged_coming_and_going(
        self, runtime: Runtime, tracker_id: int
    ) -> None:
        assert runtime.sandbox is not None
        ivan = next(u for u in WORLD["users"] if u["username"] == "ivan_test")
        schedule = {"online_every": 600, "online_for": 300}  # half of every ten minutes
        await runtime.sandbox.load_world({"users": [{**ivan, "schedule": schedule}]}, merge=True)

        await poll(runtime, tracker_id)
        [(_, first)] = await log(runtime)
        for _ in range(2):
            await runtime.sandbox.advance_clock(300)  # half a cycle: the other status
            assert (await poll(runtime, tracker_id)).written == 1

        assert await log(runtime) == [(NAMES[0], first), (NAMES[0], not first), (NAMES[0], first)]

    async def test_only_tghub_itself_or_an_admin_polls(
        self, runtime: Runtime, tracker_id: int
    ) -> None:
        with pytest.raises(PermissionDenied):
            await poll(runtime, tracker_id, actor=Guest("seeonline"))
        assert await log(runtime) == []


class TestATrackerWithoutAccount:
    async def test_is_refused(self, runtime: Runtime) -> None:
        await load_world(runtime)
        tracker = await tracked_scene(runtime, phone=None)

        with pytest.raises(NoTelegramAccount):
            await poll(runtime, tracker)
