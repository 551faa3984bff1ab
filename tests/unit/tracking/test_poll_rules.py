"""The poll cycle's pure parts: one Telegram call per 100 users, observations to changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.tracking.rules import (
    HIDDEN_REASON,
    NOT_FOUND_REASON,
    POLL_BATCH,
    Observed,
    StatusChange,
    poll_batches,
    status_changes,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class TestPollBatches:
    def test_one_call_per_hundred_users(self) -> None:
        names = [f"user{n}" for n in range(2 * POLL_BATCH + 1)]

        batches = poll_batches(names)

        assert [len(b) for b in batches] == [POLL_BATCH, POLL_BATCH, 1]
        assert [name for batch in batches for name in batch] == names

    def test_no_users_no_call(self) -> None:
        assert poll_batches([]) == []


class TestStatusChanges:
    def test_each_tracked_user_gets_what_telegram_said_of_its_name(self) -> None:
        later = T0 + timedelta(seconds=5)
        observed = [
            Observed("Ivan_Test", True, T0),  # Telegram's usernames ignore case
            Observed("maria", None, T0),
            Observed(None, False, T0),  # a user without a username matches nobody
        ]

        changes = status_changes({1: "ivan_test", 2: "maria", 3: "ghost"}, observed, later)

        assert changes == [
            StatusChange(1, True, T0),
            StatusChange(2, None, T0, HIDDEN_REASON),
            StatusChange(3, None, later, NOT_FOUND_REASON),
        ]
