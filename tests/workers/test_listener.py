"""The status listener in-process: trackers owned through leases, exactly one owner each,
taken over when a lease lapses, polled while owned, let go when no longer listenable."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import signal
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import func, select

from domain.access import System
from domain.adapters.clock import SystemClock
from domain.adapters.lease import Lease
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.tracking import service as tracking
from domain.tracking.errors import NoTelegramAccount
from domain.tracking.model import OnlineStatus
from domain.types import TelegramID
from tests.conftest import DEADLINE, until
from tests.metrics import Exposition, this_host
from tests.processes import start_listener, stop
from tests.world import API_HASH, WORLD, load_world, sign_in, signed_in_account
from tghub.embedded import free_port
from workers.listener import Listener, lease_key

if TYPE_CHECKING:
    from pathlib import Path

    from domain.bootstrap import Runtime

SYSTEM = System("tests")
PHONES = ("+79990000100", "+79990000101")
TRACKERS = "tghub_listener_trackers"


def two_account_world() -> dict[str, object]:
    document = copy.deepcopy(WORLD)
    accounts = document["accounts"]
    accounts.append({**accounts[0], "id": 9002, "phone": PHONES[1]})
    return document


async def trackers(runtime: Runtime) -> list[int]:
    """Two trackers on two signed-in accounts, each tracking ivan_test."""
    await load_world(runtime, two_account_world())
    async with runtime.uow() as uow:
        owner = await tracking.create_telegram_user(uow, actor=SYSTEM, telegram_id=42)
    ids = []
    for n, phone in enumerate(PHONES, start=1):
        await signed_in_account(runtime, phone)
        async with runtime.uow() as uow:
            tracker = await tracking.create_tracker(
                uow,
                runtime.secrets,
                actor=SYSTEM,
                telegram_id=700 + n,
                api_id=12344 + n,  # unique per tracker, as the legacy model wants
                api_hash=API_HASH if n == 1 else f"{n:032x}",
                is_active=True,
                is_auth=True,
            )
        async with runtime.uow() as uow:
            await tracking.create_setting(
                uow, runtime.secrets, actor=SYSTEM, tracker_id=tracker.id, phone_number=phone,
                max_users=5,
            )  # fmt: skip
        async with runtime.uow() as uow:
            await tracking.track_user(
                uow, actor=SYSTEM, telegram_user_id=owner.id, username="ivan_test",
                tracker_account_id=tracker.id,
            )  # fmt: skip
        ids.append(tracker.id)
    return ids


def listener(runtime: Runtime, owner: str) -> Listener:
    assert runtime.world is not None
    return Listener(runtime, SimulatedGateway(runtime.world), SystemClock(), owner=owner)


async def status_rows(runtime: Runtime) -> int:
    async with runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(OnlineStatus)) or 0)


@pytest.fixture
async def ids(runtime: Runtime) -> list[int]:
    return await trackers(runtime)


class TestOwnership:
    async def test_two_listeners_never_own_one_tracker(
        self, runtime: Runtime, ids: list[int]
    ) -> None:
        first, second = listener(runtime, "first"), listener(runtime, "second")
        try:
            await asyncio.gather(first.scan(), second.scan())

            assert first.owned.isdisjoint(second.owned)
            assert first.owned | second.owned == set(ids)
        finally:
            await first.close()
            await second.close()

    async def test_a_lapsed_lease_is_taken_over(self, runtime: Runtime, ids: list[int]) -> None:
        # What a killed listener leaves behind: its lease, held until it lapses.
        key = lease_key(runtime.settings.channel_prefix, ids[0])
        dead = Lease(runtime.redis, key, ttl=1.0, owner="dead")
        assert await dead.acquire()
        survivor = listener(runtime, "survivor")
        try:
            await survivor.scan()
            assert ids[0] not in survivor.owned

            async def taken_over() -> bool:
                await survivor.scan()
                return ids[0] in survivor.owned

            await until(taken_over)
            assert await dead.holder() == "survivor"
        finally:
            await survivor.close()

    async def test_a_tracker_no_longer_listenable_is_let_go(
        self, runtime: Runtime, ids: list[int]
    ) -> None:
        one = listener(runtime, "one")
        try:
            await one.scan()
            async with runtime.uow() as uow:
                await tracking.update_tracker(
                    uow, runtime.secrets, actor=SYSTEM, tracker_id=ids[0], is_active=False
                )
            await one.scan()

            assert one.owned == {ids[1]}
            key = lease_key(runtime.settings.channel_prefix, ids[0])
            assert await Lease(runtime.redis, key).holder() is None
        finally:
            await one.close()


class TestTrackerGauge:
    async def test_it_counts_the_trackers_held_until_they_are_let_go(
        self, runtime: Runtime, ids: list[int]
    ) -> None:
        before = this_host().value(TRACKERS)
        one = listener(runtime, "one")
        try:
            await one.scan()
            assert this_host().value(TRACKERS) == before + len(ids)
            async with runtime.uow() as uow:
                await tracking.update_tracker(
                    uow, runtime.secrets, actor=SYSTEM, tracker_id=ids[0], is_active=False
                )
            await one.scan()
            assert this_host().value(TRACKERS) == before + len(ids) - 1
        finally:
            await one.close()
        assert this_host().value(TRACKERS) == before


class TestPolling:
    async def test_an_owned_tracker_is_polled(self, runtime: Runtime, ids: list[int]) -> None:
        assert runtime.sandbox is not None
        await runtime.sandbox.set_user_status(TelegramID(1001), online=True)
        one = listener(runtime, "one")
        try:
            await one.scan()

            # Each tracker logs ivan's first known status once.
            async def both_logged() -> bool:
                return await status_rows(runtime) == len(ids)

            await until(both_logged)
        finally:
            await one.close()

    async def test_update_events_are_recorded_between_polls(
        self, runtime: Runtime, ids: list[int]
    ) -> None:
        assert runtime.sandbox is not None
        sandbox = runtime.sandbox
        one = listener(runtime, "one")
        poll = await one.poll(ids[0])
        assert poll is not None
        assert list(poll.by_telegram_id) == [1001]  # ivan_test, resolved by the poll
        polled = await status_rows(runtime)  # ivan's first status
        following = asyncio.create_task(one.follow_updates(ids[0], lambda: poll.by_telegram_id))
        online = False

        async def a_change_is_logged() -> bool:
            # Flipped until the stream has seen a flip: a change made before the stream took
            # its first look is not an update (nor would it be on Telegram).
            nonlocal online
            assert not following.done(), following
            if await status_rows(runtime) > polled:
                return True
            online = not online
            await sandbox.set_user_status(TelegramID(1001), online=online)
            return False

        try:
            await until(a_change_is_logged)
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following


class TestSessions:
    async def test_a_scan_signs_out_a_claim_without_a_session(
        self, runtime: Runtime, ids: list[int]
    ) -> None:
        async with runtime.uow() as uow:
            claim = await tracking.create_tracker(
                uow, runtime.secrets, actor=SYSTEM, telegram_id=799, api_id=12399,
                api_hash=f"{99:032x}", is_active=True, is_auth=True,
            )  # fmt: skip
        one = listener(runtime, "one")
        try:
            await one.scan()

            assert one.owned == set(ids)
            async with runtime.uow() as uow:
                found = await tracking.get_tracker(uow, actor=SYSTEM, tracker_id=claim.id)
                assert (found.is_auth, found.auth_error) == (
                    False,
                    NoTelegramAccount.default_message,
                )
        finally:
            await one.close()

    async def test_a_newly_signed_in_tracker_is_taken_up(
        self, runtime: Runtime, ids: list[int]
    ) -> None:
        async with runtime.uow() as uow:
            await tracking.update_tracker(
                uow, runtime.secrets, actor=SYSTEM, tracker_id=ids[1], is_auth=False
            )
        one = listener(runtime, "one")
        try:
            await one.scan()
            assert one.owned == {ids[0]}
            async with runtime.uow() as uow:
                account = await tracking.get_tracker(uow, actor=SYSTEM, tracker_id=ids[1])
            assert account.telegram_account_id is not None
            await sign_in(runtime, account.telegram_account_id)

            await one.scan()

            assert one.owned == set(ids)
        finally:
            await one.close()


# --- as processes ----------------------------------------------------------------------------

FAST = {"listener_lease_ttl": "2", "listener_scan_interval": "0.2", "listener_poll_interval": "1"}


async def holders(runtime: Runtime, ids: list[int]) -> dict[int, str | None]:
    prefix = runtime.settings.channel_prefix
    return {i: await Lease(runtime.redis, lease_key(prefix, i)).holder() for i in ids}


def pid_of(holder: str | None) -> int | None:
    """The process id in a lease owner (``host:pid:random``)."""
    return None if holder is None else int(holder.split(":")[1])


class TestListenerProcesses:
    async def test_a_killed_listeners_trackers_are_taken_over(
        self, runtime: Runtime, ids: list[int], tmp_path: Path
    ) -> None:
        first = start_listener(runtime.settings, tmp_path / "first.log", **FAST)
        second = start_listener(runtime.settings, tmp_path / "second.log", **FAST)
        try:

            async def all_held() -> bool:
                return None not in (await holders(runtime, ids)).values()

            await until(all_held)
            owners = {pid_of(h) for h in (await holders(runtime, ids)).values()}
            assert owners <= {first.pid, second.pid}
            victim = pid_of((await holders(runtime, ids))[ids[0]])
            killed, survivor = (first, second) if victim == first.pid else (second, first)
            stop(killed, signal.SIGKILL)

            async def all_held_by_survivor() -> bool:
                found = await holders(runtime, ids)
                return {pid_of(h) for h in found.values()} == {survivor.pid}

            await until(all_held_by_survivor)
        finally:
            stop(first)
            stop(second)

    async def test_a_listener_serves_its_metrics_on_its_own_port(
        self, runtime: Runtime, ids: list[int], tmp_path: Path
    ) -> None:
        port = free_port()
        process = start_listener(
            runtime.settings,
            tmp_path / "listener.log",
            metrics_dir=tmp_path / "metrics",
            metrics_port=str(port),
            **FAST,
        )
        try:
            async with httpx.AsyncClient(timeout=DEADLINE) as client:

                async def holds_both() -> bool:
                    assert process.poll() is None, (tmp_path / "listener.log").read_text()
                    try:
                        response = await client.get(f"http://127.0.0.1:{port}/metrics")
                    except httpx.TransportError:
                        return False  # not listening yet
                    return Exposition(response.text).value(TRACKERS) == len(ids)

                await until(holds_both)
        finally:
            stop(process)
