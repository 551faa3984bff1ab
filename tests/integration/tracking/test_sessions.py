"""Online sessions read from the real status log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from domain.access import System
from domain.accounts.service import Viewer
from domain.errors import Invalid, NotFound, PermissionDenied
from domain.tracking import service as tracking
from domain.tracking.rules import OnlineSession, StatusChange
from tests.api.rest.factories import create_user
from tests.integration.tracking.test_service import client, track, tracker

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

SYSTEM = System("tests")
T0 = datetime(2026, 1, 1, 23, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def logged_user(runtime: Runtime) -> int:
    """A tracked user online 22:50–23:10 and 23:40–00:20 (the log: four changes)."""
    await tracker(runtime, 1)
    tracked = await track(runtime, await client(runtime, 42), "ivan")
    for minutes, online in ((-10, True), (10, False), (40, True), (80, False)):
        async with runtime.uow() as uow:
            await tracking.record_statuses(
                uow, actor=SYSTEM, changes=[StatusChange(tracked.id, online, at(minutes))]
            )
    return tracked.id


class TestOnlineSessions:
    async def test_the_window_cuts_the_sessions_open_at_its_ends(self, runtime: Runtime) -> None:
        tracked = await logged_user(runtime)

        async with runtime.uow() as uow:
            sessions = await tracking.online_sessions(
                uow, actor=SYSTEM, tracked_user_id=tracked, start=at(0), end=at(60)
            )

        assert sessions == [OnlineSession(at(0), at(10)), OnlineSession(at(40), at(60))]

    async def test_daily_totals_split_at_midnight(self, runtime: Runtime) -> None:
        tracked = await logged_user(runtime)

        async with runtime.uow() as uow:
            totals = await tracking.daily_online_totals(
                uow, actor=SYSTEM, tracked_user_id=tracked, start=at(-60), end=at(120)
            )

        # 22:50–23:10 and 23:40–24:00 on the 1st, 00:00–00:20 on the 2nd.
        assert totals == {date(2026, 1, 1): 2400.0, date(2026, 1, 2): 1200.0}

    async def test_a_window_that_ends_before_it_starts_is_refused(self, runtime: Runtime) -> None:
        tracked = await logged_user(runtime)

        async with runtime.uow() as uow:
            with pytest.raises(Invalid):
                await tracking.online_sessions(
                    uow, actor=SYSTEM, tracked_user_id=tracked, start=at(60), end=at(0)
                )

    async def test_an_unknown_user_is_not_found(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            with pytest.raises(NotFound):
                await tracking.online_sessions(
                    uow, actor=SYSTEM, tracked_user_id=999, start=at(0), end=at(60)
                )

    async def test_a_signed_in_non_admin_is_refused(self, runtime: Runtime) -> None:
        tracked = await logged_user(runtime)
        viewer = Viewer(user=await create_user(runtime), session_id=None)

        async with runtime.uow() as uow:
            with pytest.raises(PermissionDenied):
                await tracking.online_sessions(
                    uow, actor=viewer, tracked_user_id=tracked, start=at(0), end=at(60)
                )
