"""Online sessions and daily totals computed from the status change log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.tracking.rules import OnlineSession, daily_totals, online_sessions

T0 = datetime(2026, 1, 1, 10, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class TestOnlineSessions:
    def test_from_each_change_to_online_to_the_next_change_to_offline(self) -> None:
        changes = [(at(0), True), (at(10), False), (at(20), True), (at(25), False)]

        sessions = online_sessions(changes, start=at(0), end=at(60), online_at_start=False)

        assert sessions == [OnlineSession(at(0), at(10)), OnlineSession(at(20), at(25))]
        assert [s.seconds for s in sessions] == [600.0, 300.0]

    def test_a_session_open_at_either_end_is_cut_to_the_window(self) -> None:
        changes = [(at(5), False), (at(50), True)]

        sessions = online_sessions(changes, start=at(0), end=at(60), online_at_start=True)

        assert sessions == [OnlineSession(at(0), at(5)), OnlineSession(at(50), at(60))]

    def test_changes_outside_the_window_and_repeats_are_ignored(self) -> None:
        changes = [(at(-5), True), (at(1), True), (at(2), True), (at(3), False), (at(70), False)]

        sessions = online_sessions(changes, start=at(0), end=at(60), online_at_start=False)

        assert sessions == [OnlineSession(at(1), at(3))]

    def test_no_change_and_offline_is_no_session(self) -> None:
        assert online_sessions([], start=at(0), end=at(60), online_at_start=False) == []


class TestDailyTotals:
    def test_a_session_across_midnight_counts_on_both_days(self) -> None:
        evening = datetime(2026, 1, 1, 23, 30, tzinfo=UTC)
        sessions = [
            OnlineSession(evening, evening + timedelta(hours=1)),
            OnlineSession(evening - timedelta(hours=2), evening - timedelta(hours=1)),
        ]

        assert daily_totals(sessions) == {date(2026, 1, 1): 5400.0, date(2026, 1, 2): 1800.0}
