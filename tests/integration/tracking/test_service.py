"""Tracking use cases on the real PostgreSQL: links, slots and counters, status log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from domain.access import Guest, System
from domain.errors import Invalid, NotFound, PermissionDenied
from domain.events import decode
from domain.telegram import service as telegram
from domain.telegram.model import TelegramAccount
from domain.tracking import rules
from domain.tracking import service as tracking
from domain.tracking.errors import NoFreeTracker, NotEnoughSlots, UserLimitReached
from domain.tracking.events import CHANNEL, OnlineStatusChanged, StatusUpdate
from domain.tracking.model import OnlineStatus, TelegramUser, TrackedUser, TrackerSetting
from domain.tracking.rules import TrackedState
from domain.tracking.service import StatusChange, TelegramUserChanges

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

SYSTEM = System("tests")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def api_hash(n: int) -> str:
    """A well-formed api hash (32 hexadecimal digits), different for each ``n``."""
    return f"{n:032x}"


async def tracker(
    runtime: Runtime, n: int, *, max_users: int = 3, usable: bool = True, phone: bool = True
) -> int:
    """Tracker ``n``: telegram id, api id and api hash derived from ``n``."""
    async with runtime.uow() as uow:
        created = await tracking.create_tracker(
            uow,
            runtime.secrets,
            actor=SYSTEM,
            telegram_id=1000 + n,
            api_id=n,
            api_hash=api_hash(n),
            is_active=usable,
            is_auth=usable,
        )
    if phone:
        async with runtime.uow() as uow:
            await tracking.create_setting(
                uow,
                runtime.secrets,
                actor=SYSTEM,
                tracker_id=created.id,
                phone_number=f"+7999000000{n}",
                max_users=max_users,
            )
    return created.id


async def client(runtime: Runtime, telegram_id: int, *, max_users: int = 5) -> int:
    async with runtime.uow() as uow:
        user = await tracking.create_telegram_user(
            uow, actor=SYSTEM, telegram_id=telegram_id, max_users=max_users
        )
    return user.id


async def track(
    runtime: Runtime, owner: int, username: str, tracker_id: int | None = None
) -> TrackedUser:
    async with runtime.uow() as uow:
        return await tracking.track_user(
            uow,
            actor=SYSTEM,
            telegram_user_id=owner,
            username=username,
            tracker_account_id=tracker_id,
        )


async def loads(runtime: Runtime) -> dict[int, int]:
    """Each tracker's counter, checked against its tracked users."""
    async with runtime.uow() as uow:
        counters = dict(
            (
                await uow.session.execute(
                    select(TrackerSetting.tracker_account_id, TrackerSetting.current_users)
                )
            ).all()
        )
        actual = dict(
            (
                await uow.session.execute(
                    select(TrackedUser.tracker_account_id, func.count()).group_by(
                        TrackedUser.tracker_account_id
                    )
                )
            ).all()
        )
    assert {t: n for t, n in counters.items() if n} == actual
    return counters


async def owner_count(runtime: Runtime, owner: int) -> int:
    async with runtime.uow() as uow:
        return int(
            await uow.session.scalar(
                select(TelegramUser.current_users).where(TelegramUser.id == owner)
            )
            or 0
        )


class TestTrackers:
    async def test_setting_links_the_tracker_to_its_phones_telegram_account(
        self, runtime: Runtime
    ) -> None:
        first = await tracker(runtime, 1)
        unlinked = await tracker(runtime, 2, phone=False)
        async with runtime.uow() as uow:
            trackers = {t.id: t for t in await tracking.list_trackers(uow, actor=SYSTEM)}
            account = await uow.session.scalar(
                select(TelegramAccount).where(TelegramAccount.phone == "+79990000001")
            )
        assert account is not None
        assert trackers[first].telegram_account_id == account.id
        assert account.api_id == 1
        assert runtime.secrets.decrypt(account.api_hash_enc) == api_hash(1)
        assert trackers[unlinked].telegram_account_id is None

    async def test_a_phone_already_stored_links_to_that_account(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            existing = await telegram.add_account(
                uow,
                runtime.secrets,
                actor=SYSTEM,
                phone="+79990000003",
                api_id=9,
                api_hash=api_hash(9),
            )
        created = await tracker(runtime, 3)
        async with runtime.uow() as uow:
            (found,) = await tracking.list_trackers(uow, actor=SYSTEM)
        assert found.id == created
        assert found.telegram_account_id == existing.id

    async def test_unique_fields_answer_with_drf_messages(self, runtime: Runtime) -> None:
        await tracker(runtime, 1)
        async with runtime.uow() as uow:
            with pytest.raises(Invalid) as caught:
                await tracking.create_tracker(
                    uow, runtime.secrets, actor=SYSTEM, telegram_id=1001, api_id=5, api_hash="h"
                )
        assert caught.value.field_errors == {
            "telegram_id": ["tracker account with this telegram id already exists."]
        }
        async with runtime.uow() as uow:
            with pytest.raises(Invalid) as caught:
                await tracking.create_tracker(
                    uow,
                    runtime.secrets,
                    actor=SYSTEM,
                    telegram_id=7,
                    api_id=5,
                    api_hash=api_hash(1),
                )
        assert caught.value.field_errors == {
            "api_hash": ["tracker account with this api hash already exists."]
        }

    async def test_only_admins_manage_tracking(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            with pytest.raises(PermissionDenied):
                await tracking.list_trackers(uow, actor=Guest("see_online"))
            with pytest.raises(PermissionDenied):
                await tracking.create_telegram_user(uow, actor=Guest("see_online"), telegram_id=1)

    async def test_a_guest_of_the_opened_seeonline_group_manages_tracking(
        self, runtime: Runtime
    ) -> None:
        guest = Guest("seeonline")
        async with runtime.uow() as uow:
            created = await tracking.create_telegram_user(uow, actor=guest, telegram_id=1)
        async with runtime.uow() as uow:
            listed = await tracking.list_telegram_users(uow, actor=guest)
            assert [user.id for user in listed] == [created.id]
            with pytest.raises(PermissionDenied):  # tghub's own work stays admins'
                await tracking.record_statuses(uow, actor=guest, changes=[])

    async def test_missing_tracker_is_the_legacy_404(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            with pytest.raises(NotFound) as caught:
                await tracking.delete_tracker(uow, actor=SYSTEM, tracker_id=123456)
        assert caught.value.message == "No TrackerAccount matches the given query."


class TestSlots:
    async def test_users_go_to_the_least_loaded_tracker_and_counters_follow(
        self, runtime: Runtime
    ) -> None:
        a, b = await tracker(runtime, 1), await tracker(runtime, 2)
        await tracker(runtime, 3, usable=False)
        owner = await client(runtime, 500)
        placed = [(await track(runtime, owner, f"user{i}")).tracker_account_id for i in range(4)]
        assert sorted(placed) == [a, a, b, b]
        assert await owner_count(runtime, owner) == 4
        assert (await loads(runtime))[a] == 2

        first = (await track(runtime, await client(runtime, 501), "other")).id
        async with runtime.uow() as uow:
            await tracking.untrack_user(uow, actor=SYSTEM, tracked_user_id=first)
        await loads(runtime)

    async def test_the_owners_own_limit_is_kept(self, runtime: Runtime) -> None:
        await tracker(runtime, 1, max_users=10)
        owner = await client(runtime, 500, max_users=1)
        await track(runtime, owner, "first")
        with pytest.raises(UserLimitReached):
            await track(runtime, owner, "second")
        assert await owner_count(runtime, owner) == 1

    async def test_an_asked_for_tracker_needs_a_free_slot(self, runtime: Runtime) -> None:
        full, free = await tracker(runtime, 1, max_users=1), await tracker(runtime, 2)
        owner = await client(runtime, 500)
        assert (await track(runtime, owner, "a", full)).tracker_account_id == full
        with pytest.raises(NoFreeTracker):
            await track(runtime, owner, "b", full)
        assert (await track(runtime, owner, "b", free)).tracker_account_id == free
        assert await owner_count(runtime, owner) == 2

    async def test_reassignment_moves_both_counters(self, runtime: Runtime) -> None:
        a, b = await tracker(runtime, 1), await tracker(runtime, 2, max_users=1)
        owner = await client(runtime, 500)
        moved = await track(runtime, owner, "moved", a)
        async with runtime.uow() as uow:
            updated = await tracking.update_tracked_user(
                uow, actor=SYSTEM, tracked_user_id=moved.id, tracker_account_id=b
            )
        assert updated.tracker_account_id == b
        assert (await loads(runtime))[b] == 1
        stays = await track(runtime, owner, "stays", a)
        async with runtime.uow() as uow:
            with pytest.raises(NoFreeTracker):
                await tracking.update_tracked_user(
                    uow, actor=SYSTEM, tracked_user_id=stays.id, tracker_account_id=b
                )
        await loads(runtime)

    async def test_deleting_a_tracker_moves_its_users_or_refuses(self, runtime: Runtime) -> None:
        leaving = await tracker(runtime, 1)
        owner = await client(runtime, 500)
        for i in range(3):
            await track(runtime, owner, f"user{i}", leaving)
        small = await tracker(runtime, 2, max_users=2)
        async with runtime.uow() as uow:
            with pytest.raises(NotEnoughSlots):
                await tracking.delete_tracker(uow, actor=SYSTEM, tracker_id=leaving)
        other = await tracker(runtime, 3, max_users=2)
        async with runtime.uow() as uow:
            await tracking.delete_tracker(uow, actor=SYSTEM, tracker_id=leaving)
        counters = await loads(runtime)
        assert counters[small] + counters[other] == 3
        assert leaving not in counters

    async def test_deleting_an_owner_frees_their_trackers_slots(self, runtime: Runtime) -> None:
        a = await tracker(runtime, 1)
        owner = await client(runtime, 500)
        await track(runtime, owner, "x")
        await track(runtime, owner, "y")
        async with runtime.uow() as uow:
            await tracking.delete_telegram_user(uow, actor=SYSTEM, user_id=owner)
        assert (await loads(runtime))[a] == 0

    async def test_concurrent_creates_never_exceed_capacity(self, runtime: Runtime) -> None:
        trackers = [await tracker(runtime, n, max_users=2) for n in (1, 2)]
        owners = [await client(runtime, 500 + i) for i in range(10)]

        async def attempt(owner: int) -> int | None:
            try:
                return (await track(runtime, owner, f"u{owner}")).tracker_account_id
            except NoFreeTracker:
                return None

        placed = await asyncio.gather(*(attempt(owner) for owner in owners))
        assert sorted(t for t in placed if t is not None) == sorted(trackers * 2)
        counters = await loads(runtime)
        assert all(counters[t] == 2 for t in trackers)


class TestStatuses:
    async def test_only_changes_are_logged_in_one_batch(self, runtime: Runtime) -> None:
        await tracker(runtime, 1)
        owner = await client(runtime, 500)
        one, two = (await track(runtime, owner, "one")).id, (await track(runtime, owner, "two")).id

        async def record(*changes: StatusChange) -> int:
            async with runtime.uow() as uow:
                return await tracking.record_statuses(uow, actor=SYSTEM, changes=changes)

        assert await record(StatusChange(one, True, T0), StatusChange(two, False, T0)) == 2
        later = T0 + timedelta(seconds=5)
        assert await record(StatusChange(one, True, later), StatusChange(two, True, later)) == 1
        assert await record(StatusChange(987654, True, later)) == 0
        async with runtime.uow() as uow:
            rows = await uow.session.execute(
                select(OnlineStatus.tracked_user_id, OnlineStatus.is_online).order_by(
                    OnlineStatus.created_at, OnlineStatus.tracked_user_id
                )
            )
            assert list(rows) == [(one, True), (two, False), (two, True)]

    async def test_a_writers_cache_holds_what_it_wrote_and_spares_the_lookup(
        self, runtime: Runtime
    ) -> None:
        await tracker(runtime, 1)
        owner = await client(runtime, 500)
        one, two = (await track(runtime, owner, "one")).id, (await track(runtime, owner, "two")).id
        known: tracking.StateCache = {}

        async def record(*changes: StatusChange) -> int:
            async with runtime.uow() as uow:
                return await tracking.record_statuses(
                    uow, actor=SYSTEM, changes=changes, known=known
                )

        assert await record(StatusChange(one, True, T0), StatusChange(two, None, T0)) == 1
        assert known == {one: TrackedState(True), two: TrackedState(None, rules.HIDDEN)}
        # What the cache says is what is compared with: a hand-written row (an admin's) is
        # not seen until the cache is emptied (the listener empties it every scan).
        async with runtime.uow() as uow:
            await tracking.add_status(uow, actor=SYSTEM, tracked_user_id=one, is_online=False)
        later = T0 + timedelta(seconds=5)
        assert await record(StatusChange(one, True, later)) == 0
        known.clear()
        assert await record(StatusChange(one, True, later)) == 1

    async def test_a_cached_user_deleted_meanwhile_costs_nobody_else_their_change(
        self, runtime: Runtime
    ) -> None:
        await tracker(runtime, 1)
        owner = await client(runtime, 500)
        one, two = (await track(runtime, owner, "one")).id, (await track(runtime, owner, "two")).id
        known: tracking.StateCache = {}
        async with runtime.uow() as uow:
            changes = [StatusChange(one, True, T0), StatusChange(two, True, T0)]
            await tracking.record_statuses(uow, actor=SYSTEM, changes=changes, known=known)
        async with runtime.uow() as uow:
            await tracking.untrack_user(uow, actor=SYSTEM, tracked_user_id=one)

        later = T0 + timedelta(seconds=5)
        async with runtime.uow() as uow:
            changes = [StatusChange(one, False, later), StatusChange(two, False, later)]
            written = await tracking.record_statuses(
                uow, actor=SYSTEM, changes=changes, known=known
            )

        assert written == 1
        assert known == {two: TrackedState(False)}

    async def test_a_batch_is_published_once_after_commit(self, runtime: Runtime) -> None:
        await tracker(runtime, 1)
        owner = await client(runtime, 500)
        one, two = (await track(runtime, owner, "one")).id, (await track(runtime, owner, "two")).id
        async with runtime.bus.subscribe(CHANNEL) as messages:
            async with runtime.uow() as uow:
                changes = [StatusChange(one, True, T0), StatusChange(two, None, T0, "recently")]
                await tracking.record_statuses(uow, actor=SYSTEM, changes=changes)
            event = decode(await asyncio.wait_for(anext(aiter(messages)), timeout=30))
        assert event == OnlineStatusChanged(
            updates=(StatusUpdate(one, True, T0), StatusUpdate(two, None, T0, "recently"))
        )

    async def test_unknowable_status_hides_the_user_until_seen_again(
        self, runtime: Runtime
    ) -> None:
        await tracker(runtime, 1)
        owner = await client(runtime, 500)
        hidden = (await track(runtime, owner, "hidden")).id

        async def state() -> tuple[bool, str | None]:
            async with runtime.uow() as uow:
                user = await uow.session.get(TrackedUser, hidden)
                assert user is not None
                return user.visible_online, user.hidden_reason

        async with runtime.uow() as uow:
            written = await tracking.record_statuses(
                uow, actor=SYSTEM, changes=[StatusChange(hidden, None, T0, "recently")]
            )
        assert written == 0
        assert await state() == (False, "recently")
        async with runtime.uow() as uow:
            await tracking.record_statuses(
                uow, actor=SYSTEM, changes=[StatusChange(hidden, False, T0)]
            )
        assert await state() == (True, None)


class TestUpdates:
    async def test_api_hash_is_stored_encrypted(self, runtime: Runtime) -> None:
        created = await tracker(runtime, 1, phone=False)
        async with runtime.uow() as uow:
            updated = await tracking.update_tracker(
                uow, runtime.secrets, actor=SYSTEM, tracker_id=created, api_hash=api_hash(7)
            )
        assert api_hash(7) not in updated.api_hash_enc
        assert runtime.secrets.decrypt(updated.api_hash_enc) == api_hash(7)

    async def test_a_new_phone_links_the_tracker_to_that_phones_account(
        self, runtime: Runtime
    ) -> None:
        created = await tracker(runtime, 1)
        async with runtime.uow() as uow:
            (setting,) = await tracking.list_settings(uow, actor=SYSTEM)
            await tracking.update_setting(
                uow,
                runtime.secrets,
                actor=SYSTEM,
                setting_id=setting.id,
                phone_number="+79995550000",
            )
        async with runtime.uow() as uow:
            (found,) = await tracking.list_trackers(uow, actor=SYSTEM)
            account = await uow.session.get(TelegramAccount, found.telegram_account_id)
        assert found.id == created
        assert account is not None
        assert account.phone == "+79995550000"

    async def test_a_phone_telegram_cannot_use_is_a_phone_number_error(
        self, runtime: Runtime
    ) -> None:
        created = await tracker(runtime, 1, phone=False)
        async with runtime.uow() as uow:
            with pytest.raises(Invalid) as caught:
                await tracking.create_setting(
                    uow, runtime.secrets, actor=SYSTEM, tracker_id=created, phone_number="call me"
                )
        assert list(caught.value.field_errors) == ["phone_number"]
        async with runtime.uow() as uow:
            assert await tracking.list_settings(uow, actor=SYSTEM) == []

    async def test_telegram_user_fields_change_and_are_validated(self, runtime: Runtime) -> None:
        owner = await client(runtime, 500)
        async with runtime.uow() as uow:
            changes = TelegramUserChanges(role="vip", theme="dark", timezone="Europe/Moscow")
            updated = await tracking.update_telegram_user(
                uow, actor=SYSTEM, user_id=owner, changes=changes
            )
        assert (updated.role, updated.theme, updated.timezone) == ("vip", "dark", "Europe/Moscow")
        async with runtime.uow() as uow:
            with pytest.raises(Invalid) as caught:
                await tracking.update_telegram_user(
                    uow, actor=SYSTEM, user_id=owner, changes=TelegramUserChanges(role="god")
                )
        assert caught.value.field_errors == {"role": ['"god" is not a valid choice.']}

    async def test_an_unknown_owner_is_a_field_error(self, runtime: Runtime) -> None:
        await tracker(runtime, 1)
        async with runtime.uow() as uow:
            with pytest.raises(Invalid) as caught:
                await tracking.track_user(
                    uow, actor=SYSTEM, telegram_user_id=424242, username="nobody"
                )
        assert caught.value.field_errors == {
            "telegram_user_id": ['Invalid pk "424242" - object does not exist.']
        }

    async def test_an_admins_hiding_outlives_status_changes(self, runtime: Runtime) -> None:
        await tracker(runtime, 1)
        tracked = await track(runtime, await client(runtime, 500), "quiet")
        async with runtime.uow() as uow:
            await tracking.update_tracked_user(
                uow, actor=SYSTEM, tracked_user_id=tracked.id, visible_online=False
            )
            await tracking.record_statuses(
                uow, actor=SYSTEM, changes=[StatusChange(tracked.id, True, T0)]
            )
        async with runtime.uow() as uow:
            (found,) = await tracking.list_tracked_users(uow, actor=SYSTEM)
        assert found.visible_online is False
