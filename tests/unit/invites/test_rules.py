"""Pure rules of invites: phones as E.164, settings checks, an admin's pause, the failure
message, history buckets, log lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import Invalid
from domain.invites import rules
from domain.invites.rules import HistoryPeriod, SettingsValues


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+79991234567", "+79991234567"),
        ("8 (999) 123-45-67", "+79991234567"),  # a Russian number read in the default region
        ("9991234567", "+79991234567"),
        (79991234567, "+79991234567"),  # a JSON number
        ("+1 650-253-0000", "+16502530000"),  # any valid international number
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phones_become_e164(raw: object, expected: str) -> None:
    assert rules.normalize_phone(raw) == expected


def test_a_number_without_country_code_is_read_in_the_given_region() -> None:
    assert rules.normalize_phone("650-253-0000", "US") == "+16502530000"


@pytest.mark.parametrize(
    "raw", ["", "abc", "+7999", "12", "+0000000000", True, None, 1.5, "9" * 70]
)
def test_what_is_no_phone_is_refused_on_the_phone_field(raw: object) -> None:
    with pytest.raises(Invalid) as caught:
        rules.normalize_phone(raw)
    assert list(caught.value.field_errors) == ["phone"]


def test_a_batch_names_each_bad_item_and_keeps_the_good_ones_once() -> None:
    batch = rules.phone_batch(["+79991234567", "nope", "89991234567", 7])
    assert batch.phones == ["+79991234567"]
    assert sorted(batch.problems) == [1, 3]
    assert "'nope' is not a valid phone number" in batch.problems[1]


@pytest.mark.parametrize("size", [0, rules.MAX_BATCH + 1])
def test_a_batch_is_one_to_a_thousand_phones(size: int) -> None:
    with pytest.raises(Invalid) as caught:
        rules.phone_batch(["+79991234567"] * size)
    assert list(caught.value.field_errors) == ["phones"]


def _values(**changes: object) -> SettingsValues:
    fields: dict[str, object] = {
        "channel_username": "demo",
        "failure_message": "Join {{channel}}",
        "queue_threshold": 50,
        "pause_min_seconds": 1.0,
        "pause_max_seconds": 3.0,
        "only_message_bot": False,
        "invite_and_message": False,
    }
    return SettingsValues(**(fields | changes))  # type: ignore[arg-type]


def test_good_settings_have_no_errors_and_zero_pauses_are_allowed() -> None:
    assert rules.settings_errors(_values()) == {}
    assert rules.settings_errors(_values(pause_min_seconds=0.0, pause_max_seconds=0.0)) == {}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pause_min_seconds": 5.0, "pause_max_seconds": 2.0}, "pause_min_seconds"),
        ({"pause_min_seconds": -1.0}, "pause_min_seconds"),
        ({"pause_max_seconds": float("nan")}, "pause_max_seconds"),
        ({"pause_max_seconds": 1e9}, "pause_max_seconds"),
        ({"queue_threshold": -1}, "queue_threshold"),
        ({"failure_message": "   "}, "failure_message"),
        ({"failure_message": "x" * 4097}, "failure_message"),
        ({"failure_message": "hi\x00"}, "failure_message"),  # PostgreSQL cannot hold it
        ({"only_message_bot": True, "invite_and_message": True}, "only_message_bot"),
    ],
)
def test_bad_settings_name_their_field(changes: dict[str, object], field: str) -> None:
    assert field in rules.settings_errors(_values(**changes))


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("demo_channel", "demo_channel"),
        ("@Demo_Channel", "demo_channel"),
        ("https://t.me/demo_channel", "demo_channel"),
        ("t.me/demo_channel/", "demo_channel"),
        ("", ""),
    ],
)
def test_a_channel_is_named_by_its_username_in_any_usual_form(ref: str, expected: str) -> None:
    assert rules.channel_username(ref) == expected


@pytest.mark.parametrize("ref", ["https://t.me/+AbCdEf1234", "-1001234567890", "a b", "@x"])
def test_other_channel_references_are_refused(ref: str) -> None:
    with pytest.raises(Invalid) as caught:
        rules.channel_username(ref)
    assert list(caught.value.field_errors) == ["channel_username"]


@pytest.mark.parametrize(
    ("seconds", "reason"), [(1, None), (30 * 24 * 3600, None), (60, "x" * 200), (60, "")]
)
def test_an_admin_pauses_for_a_second_to_thirty_days(seconds: int, reason: str | None) -> None:
    assert rules.pause_errors(seconds, reason) == {}


@pytest.mark.parametrize(
    ("seconds", "reason", "field"),
    [
        (0, None, "seconds"),
        (-1, None, "seconds"),
        (30 * 24 * 3600 + 1, None, "seconds"),
        (60, "x" * 201, "reason"),
        (60, "a\x00b", "reason"),
    ],
)
def test_a_bad_pause_names_its_field(seconds: int, reason: str | None, field: str) -> None:
    assert list(rules.pause_errors(seconds, reason)) == [field]


def test_a_pause_without_a_reason_says_an_admin_paused() -> None:
    assert rules.pause_reason(None) == rules.pause_reason("  ") == "Paused by an admin."
    assert rules.pause_reason(" Complaints ") == "Complaints"


def test_the_failure_message_carries_the_link() -> None:
    link = "https://t.me/+hash"
    assert rules.failure_text("Join {{channel}} today", link) == f"Join {link} today"
    assert rules.failure_text("Welcome  ", link) == f"Welcome\n{link}"


def test_history_windows_and_labels_are_the_originals() -> None:
    now = datetime(2030, 3, 1, 12, 34, tzinfo=UTC)
    assert rules.history_window(HistoryPeriod.DAY, now) == (
        datetime(2030, 2, 28, 13, tzinfo=UTC),
        "hour",
    )
    assert rules.history_window(HistoryPeriod.WEEK, now) == (
        datetime(2030, 2, 23, tzinfo=UTC),
        "day",
    )
    assert rules.bucket_label(HistoryPeriod.DAY, now) == "2030-03-01T12:00:00Z"
    assert rules.bucket_label(HistoryPeriod.WEEK, now) == "2030-03-01"


@pytest.mark.parametrize(("raw", "period"), [(None, "day"), ("WEEK", "week"), (" day ", "day")])
def test_the_history_period_is_day_or_week(raw: str | None, period: str) -> None:
    assert rules.history_period(raw).value == period


def test_another_history_period_is_refused() -> None:
    with pytest.raises(Invalid):
        rules.history_period("month")


def test_a_log_line_starts_with_its_utc_time_and_stays_one_line() -> None:
    at = datetime(2030, 3, 1, 12, 0, 5, tzinfo=UTC)
    line = rules.log_line(at, "failed", "+79991234567", "+79990000100", "demo", "bad\nthing")
    assert line == "2030-03-01 12:00:05 FAILED +79991234567 @demo +79990000100 bad thing"


def test_random_ids_are_stable_and_never_zero() -> None:
    assert rules.random_id(1) == rules.random_id(1) != rules.random_id(2)
    assert rules.random_id(1) != 0
    assert -(2**63) <= rules.random_id(1) < 2**63


def test_retries_back_off_to_a_cap() -> None:
    assert rules.retry_delay(1) == rules.RETRY_BASE_SECONDS
    assert rules.retry_delay(2) == 2 * rules.RETRY_BASE_SECONDS
    assert rules.retry_delay(50) == rules.RETRY_CAP_SECONDS
