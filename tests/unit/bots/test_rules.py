"""Pure rules of bot management."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.bots import rules
from domain.bots.rules import NO_RIGHTS, CheckOutcome, LinkStatus


class TestMaskToken:
    def test_keeps_the_bot_id_and_the_last_four(self) -> None:
        assert rules.mask_token("5001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw") == "5001:****Dsaw"

    def test_a_short_secret_shows_nothing_of_it(self) -> None:
        assert rules.mask_token("5001:short") == "5001:****"
        assert rules.mask_token("garbage") == "****"


class TestChooseBot:
    def test_the_least_loaded_then_the_lowest_id(self) -> None:
        assert rules.choose_bot({3: 1, 1: 2, 2: 1}) == 2
        assert rules.choose_bot({}) is None


class TestChecked:
    @pytest.mark.parametrize(
        ("status", "can_post", "expected"),
        [
            (LinkStatus.ACTIVE, True, CheckOutcome(LinkStatus.ACTIVE, None)),
            (LinkStatus.ACTIVE, False, CheckOutcome(LinkStatus.INVALID, NO_RIGHTS)),
            (LinkStatus.NEW, True, CheckOutcome(LinkStatus.ACTIVE, None)),
            (LinkStatus.NEW, False, CheckOutcome(LinkStatus.NEW, NO_RIGHTS)),
        ],
    )
    def test_outcomes(self, status: LinkStatus, can_post: bool, expected: CheckOutcome) -> None:
        assert rules.checked(status, can_post=can_post) == expected

    def test_telegrams_refusal_is_the_reason(self) -> None:
        outcome = rules.checked(LinkStatus.ACTIVE, can_post=False, problem="kicked")
        assert outcome == CheckOutcome(LinkStatus.INVALID, "kicked")


class TestPostErrors:
    def test_limits(self) -> None:
        assert rules.post_errors("  \n") == ["The message is empty."]
        assert rules.post_errors("x" * 4096) == []
        assert rules.post_errors("x" * 4097) != []


class TestDays:
    def test_the_previous_utc_day(self) -> None:
        moscow = timezone(timedelta(hours=3))
        assert rules.previous_day(datetime(2026, 3, 2, 1, 0, tzinfo=moscow)) == date(2026, 2, 28)
        assert rules.previous_day(datetime(2026, 3, 1, 0, 0, tzinfo=UTC)) == date(2026, 2, 28)

    def test_bounds_and_batches(self) -> None:
        start, end = rules.day_bounds(date(2026, 1, 1))
        assert (start.isoformat(), end - start) == ("2026-01-01T00:00:00+00:00", timedelta(1))
        batches = rules.id_batches(7)
        assert next(batches) == list(range(8, 108))
        assert next(batches)[0] == 108
