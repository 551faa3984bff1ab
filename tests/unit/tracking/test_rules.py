"""Pure rules of online tracking: legacy validation, slot choice, status change log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.tracking import rules
from domain.tracking.errors import NoFreeTracker, NotEnoughSlots, UserLimitReached
from domain.tracking.events import StatusUpdate
from domain.tracking.rules import Slots, StatusChange, TrackedState

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def slots(tracker_id: int, current: int, maximum: int = 3, *, usable: bool = True) -> Slots:
    return Slots(tracker_id, usable, usable, maximum, current)


class TestValidation:
    def test_valid_values_have_no_errors(self) -> None:
        assert rules.tracker_errors(telegram_id=1, api_id=2, api_hash="h") == {}
        assert rules.setting_errors(phone_number="+79990000001", max_users=0) == {}
        assert rules.telegram_user_errors(telegram_id=1, role="vip", theme="dark") == {}
        assert rules.tracked_user_errors(username="durov") == {}

    def test_fields_not_given_are_not_checked(self) -> None:
        assert rules.tracker_errors() == {}
        assert rules.telegram_user_errors() == {}

    def test_each_bad_field_gets_the_drf_message(self) -> None:
        assert rules.setting_errors(phone_number="+" + "1" * 15, max_users=-1) == {
            "phone_number": ["Ensure this field has no more than 15 characters."],
            "max_users": ["Ensure this value is greater than or equal to 0."],
        }
        assert rules.telegram_user_errors(role="owner", theme="blue", timezone=" ") == {
            "role": ['"owner" is not a valid choice.'],
            "timezone": ["This field may not be blank."],
            "theme": ['"blue" is not a valid choice.'],
        }
        assert rules.tracked_user_errors(username="u" * 33) == {
            "username": ["Ensure this field has no more than 32 characters."]
        }
        assert rules.tracker_errors(api_id=2**31) == {
            "api_id": ["Ensure this value is less than or equal to 2147483647."]
        }

    def test_unique_and_missing_messages(self) -> None:
        assert (
            rules.unique_message("tracker account", "api_id")
            == "tracker account with this api id already exists."
        )
        assert rules.missing_object_message(7) == 'Invalid pk "7" - object does not exist.'


class TestSlots:
    def test_least_loaded_usable_tracker_is_chosen(self) -> None:
        trackers = [slots(1, 2), slots(2, 0, usable=False), slots(3, 1), slots(4, 1, 5)]
        # 3 and 4 carry one user each; 4 has more room left.
        assert rules.choose_tracker(trackers) == 4

    def test_full_or_unusable_trackers_are_never_chosen(self) -> None:
        with pytest.raises(NoFreeTracker) as caught:
            rules.choose_tracker([slots(1, 3), slots(2, 0, usable=False)])
        assert caught.value.message == "Не удалось найти свободный аккаунт для привязки."

    def test_asked_for_tracker_is_honoured_only_with_a_free_slot(self) -> None:
        trackers = [slots(1, 0), slots(2, 3)]
        assert rules.choose_tracker(trackers, wanted=1) == 1
        with pytest.raises(NoFreeTracker):
            rules.choose_tracker(trackers, wanted=2)
        with pytest.raises(NoFreeTracker):
            rules.choose_tracker(trackers, wanted=9)

    def test_users_own_limit(self) -> None:
        rules.check_user_limit(max_users=5, current_users=4)
        with pytest.raises(UserLimitReached) as caught:
            rules.check_user_limit(max_users=5, current_users=5)
        assert caught.value.message == (
            "Лимит отслеживаемых пользователей для данного TelegramUser исчерпан."
        )

    def test_evacuation_spreads_users_over_the_least_loaded(self) -> None:
        others = [slots(1, 3, 3), slots(2, 0), slots(3, 1), slots(4, 0, usable=False)]
        assert rules.plan_evacuation(1, 3, others) == [2, 2, 3]

    def test_evacuation_refuses_when_not_all_fit(self) -> None:
        with pytest.raises(NotEnoughSlots) as caught:
            rules.plan_evacuation(1, 3, [slots(1, 0), slots(2, 1, 3)])
        assert caught.value.message == (
            "Недостаточно свободных слотов, чтобы перевесить всех TrackedUser."
        )

    def test_evacuating_nobody_needs_no_slot(self) -> None:
        assert rules.plan_evacuation(1, 0, []) == []


class TestStatuses:
    def test_only_changes_are_logged(self) -> None:
        states = {
            1: TrackedState(latest=True),
            2: TrackedState(None),
        }
        changes = [
            StatusChange(1, True, T0),
            StatusChange(2, False, T0),
            StatusChange(1, False, T0 + timedelta(seconds=5)),
            StatusChange(2, False, T0 + timedelta(seconds=5)),
        ]
        plan = rules.plan_statuses(changes, states)
        assert plan.rows == [(2, False, T0), (1, False, T0 + timedelta(seconds=5))]
        assert plan.hide == {}
        assert plan.show == set()

    def test_unknowable_status_hides_with_its_reason_and_logs_nothing(self) -> None:
        states = {1: TrackedState(True), 2: TrackedState(False)}
        changes = [StatusChange(1, None, T0, "recently"), StatusChange(2, None, T0)]
        plan = rules.plan_statuses(changes, states)
        assert plan.rows == []
        assert plan.hide == {1: "recently", 2: rules.HIDDEN}

    def test_known_status_shows_again_a_user_tracking_hid(self) -> None:
        states = {1: TrackedState(False, hidden_reason="hidden")}
        plan = rules.plan_statuses([StatusChange(1, True, T0)], states)
        assert plan.rows == [(1, True, T0)]
        assert plan.show == {1}

    def test_changes_of_unknown_users_are_dropped(self) -> None:
        plan = rules.plan_statuses([StatusChange(9, True, T0)], {})
        assert plan.rows == []
        assert plan.show == set()

    def test_updates_name_each_row_and_each_user_newly_hidden_or_shown(self) -> None:
        states = {
            1: TrackedState(False),
            2: TrackedState(True),
            3: TrackedState(True, hidden_reason="hidden"),
            4: TrackedState(True, hidden_reason="hidden"),
        }
        later = T0 + timedelta(seconds=1)
        changes = [
            StatusChange(1, True, T0),
            StatusChange(2, True, T0),  # no change: nothing to tell
            StatusChange(2, None, later, "recently"),
            StatusChange(3, True, T0),  # shown again, same status: told, not logged
            StatusChange(4, None, T0, "hidden"),  # hidden already: nothing to tell
        ]
        plan = rules.plan_statuses(changes, states)
        assert plan.rows == [(1, True, T0)]
        assert plan.updates == [
            StatusUpdate(1, True, T0),
            StatusUpdate(3, True, T0),
            StatusUpdate(2, None, later, "recently"),
        ]
        assert plan.hide == {2: "recently"}  # 4 is hidden for that reason already
        assert plan.show == {3}

    def test_a_new_reason_is_written_a_repeated_one_is_not(self) -> None:
        states = {1: TrackedState(None, hidden_reason="hidden")}
        later = T0 + timedelta(seconds=1)

        same = rules.plan_statuses([StatusChange(1, None, T0, "hidden")], states)
        other = rules.plan_statuses([StatusChange(1, None, later, "not found")], states)

        assert (same.hide, same.updates) == ({}, [])
        assert (other.hide, other.updates) == ({1: "not found"}, [])

    def test_hidden_and_shown_again_within_a_batch_writes_no_hiding(self) -> None:
        states = {1: TrackedState(False)}
        changes = [StatusChange(1, None, T0, "hidden"), StatusChange(1, True, T0 + timedelta(1))]

        plan = rules.plan_statuses(changes, states)

        assert (plan.hide, plan.show) == ({}, set())
        assert plan.rows == [(1, True, T0 + timedelta(1))]
