"""Pure rules of the mailing service: the legacy messages, word for word."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from domain.mailing import rules

PHONE = 'The phone number must be in the format: "7XXXXXXXXXX" '
START = datetime(2030, 1, 1, 12, tzinfo=UTC)
END = START + timedelta(hours=1)


class TestPhone:
    def test_the_legacy_message_keeps_its_trailing_space(self) -> None:
        assert rules.PHONE_MESSAGE == PHONE

    @pytest.mark.parametrize("phone", ["79123456789", "70000000000"], ids=["typical", "zeros"])
    def test_seven_and_ten_digits_pass(self, phone: str) -> None:
        assert rules.client_errors(phone_number=phone) == {}

    @pytest.mark.parametrize(
        "phone",
        [
            "89123456789",
            "7912345678",
            "791234567890",
            "+79123456789",
            "7912345678a",
            "",
            "7912345678\n",
            "7٩١٢٣٤٥٦٧٨٩",
        ],
    )
    def test_anything_else_is_the_legacy_field_error(self, phone: str) -> None:
        assert rules.client_errors(phone_number=phone) == {"phone_number": [PHONE]}

    def test_the_operator_code_is_digits_two_to_four(self) -> None:
        assert rules.operator_code("79123456789") == "912"


class TestClientFields:
    def test_a_tag_may_be_empty_but_not_longer_than_255(self) -> None:
        assert rules.client_errors(tag="") == {}
        assert rules.client_errors(tag="x" * 255) == {}
        assert rules.client_errors(tag="x" * 256) == {
            "tag": ["Ensure this field has no more than 255 characters."]
        }

    def test_text_postgresql_cannot_store_is_refused(self) -> None:
        assert rules.client_errors(tag="a\x00") == {"tag": ["Null characters are not allowed."]}

    @pytest.mark.parametrize("name", ["UTC", "Europe/Moscow", "Asia/Vladivostok", "US/Eastern"])
    def test_iana_zones_pass(self, name: str) -> None:
        assert rules.client_errors(timezone=name) == {}

    @pytest.mark.parametrize("name", ["Mars/Olympus", "utc", "../etc/passwd", "Europe/", "+03:00"])
    def test_other_zone_names_are_no_valid_choice(self, name: str) -> None:
        assert rules.client_errors(timezone=name) == {
            "timezone": [f'"{name}" is not a valid choice.']
        }

    def test_a_blank_zone_is_blank(self) -> None:
        assert rules.client_errors(timezone="") == {"timezone": ["This field may not be blank."]}


class TestMailing:
    def test_end_at_or_before_start_is_refused_first(self) -> None:
        for end in (START, START - timedelta(seconds=1)):
            assert rules.mailing_errors(start_time=START, end_time=end, filter_params={}) == [
                "The start date exceeds the end date"
            ]

    def test_a_naive_time_is_utc(self) -> None:
        naive_end = datetime(2030, 1, 1, 12, 30)  # noqa: DTZ001 - naive on purpose
        assert (
            rules.mailing_errors(start_time=START, end_time=naive_end, filter_params={"tag": "a"})
            == []
        )

    def test_without_a_filter_key(self) -> None:
        assert rules.mailing_errors(start_time=START, end_time=END, filter_params={}) == [
            "At least one filter parameter (tag or operator_code) must be specified"
        ]

    def test_an_unknown_key_is_named(self) -> None:
        params = {"tag": "vip", "region": "77"}
        assert rules.mailing_errors(start_time=START, end_time=END, filter_params=params) == [
            "Invalid filtering parameter: region"
        ]

    def test_either_key_or_both_pass(self) -> None:
        for params in ({"tag": "vip"}, {"operator_code": "912"}, {"tag": "", "operator_code": 912}):
            assert rules.mailing_errors(start_time=START, end_time=END, filter_params=params) == []

    @pytest.mark.parametrize("value", [None, True, 9.5, ["912"], {"a": 1}])
    def test_a_filter_value_is_text_or_an_integer(self, value: object) -> None:
        params = {"operator_code": value}
        assert rules.mailing_errors(start_time=START, end_time=END, filter_params=params) == [
            "Invalid value of filtering parameter: operator_code"
        ]

    def test_field_errors(self) -> None:
        assert rules.mailing_field_errors(message_text=" ") == {
            "message_text": ["This field may not be blank."]
        }
        assert rules.mailing_field_errors(filter_params=["tag"]) == {
            "filter_params": ['Expected a dictionary of items but got type "list".']
        }
        assert rules.mailing_field_errors(message_text="hi", filter_params={"tag": "v"}) == {}


class TestMatches:
    def test_filters_are_anded(self) -> None:
        params = {"tag": "vip", "operator_code": "912"}
        assert rules.matches(params, tag="vip", operator_code="912")
        assert not rules.matches(params, tag="vip", operator_code="913")
        assert not rules.matches(params, tag="other", operator_code="912")

    def test_one_filter_ignores_the_other_column(self) -> None:
        assert rules.matches({"tag": "vip"}, tag="vip", operator_code="999")
        assert rules.matches({"operator_code": "999"}, tag="", operator_code="999")

    def test_an_integer_code_matches_its_digits(self) -> None:
        assert rules.match_values({"operator_code": 999, "tag": "a"}) == {
            "tag": "a",
            "operator_code": "999",
        }


class TestClientFilter:
    def test_any_storable_text_is_a_filter(self) -> None:
        where = rules.ClientFilter(tag="", operator_code="x", phone_number_prefix="7%_")
        assert rules.client_filter_errors(where) == {}

    def test_text_a_query_cannot_carry_is_refused(self) -> None:
        where = rules.ClientFilter(tag="a\x00", phone_number_prefix="\ud800")
        assert set(rules.client_filter_errors(where)) == {"tag", "phone_number_prefix"}


class TestTimes:
    @pytest.mark.parametrize(
        "moment",
        ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"],
        ids=["before year 1 in UTC", "past 9999 in UTC"],
    )
    def test_a_time_utc_cannot_hold_is_a_field_error(self, moment: str) -> None:
        at = datetime.fromisoformat(moment)

        assert rules.mailing_field_errors(start_time=at, end_time=at) == {
            "start_time": ["Datetime value out of range."],
            "end_time": ["Datetime value out of range."],
        }

    def test_the_extremes_utc_holds_pass(self) -> None:
        first = datetime.fromisoformat("0001-01-01T00:00:00")  # naive: UTC
        last = datetime.fromisoformat("9999-12-31T23:59:59+00:00")

        assert rules.mailing_field_errors(start_time=first, end_time=last) == {}


class TestDelivery:
    def test_a_deliverys_random_id_is_stable_signed_64_bit_and_never_zero(self) -> None:
        ids = [rules.random_id(n) for n in range(1, 20_001)]

        assert ids == [rules.random_id(n) for n in range(1, 20_001)]
        assert len(set(ids)) == len(ids)
        assert all(-(2**63) <= value < 2**63 and value != 0 for value in ids)
        assert any(value < 0 for value in ids)  # the whole signed range, as MTProto's long

    @pytest.mark.parametrize(
        ("attempts", "seconds"), [(1, 30.0), (2, 60.0), (3, 120.0), (7, 1800.0), (40, 1800.0)]
    )
    def test_retries_back_off_up_to_half_an_hour(self, attempts: int, seconds: float) -> None:
        assert rules.retry_delay(attempts) == seconds

    @pytest.mark.parametrize(
        ("local", "expected"),
        [(time(8, 59), False), (time(9), True), (time(20, 59), True), (time(21), False)],
    )
    def test_a_daytime_window_includes_its_start_not_its_end(
        self, local: time, expected: bool
    ) -> None:
        assert rules.in_daytime(local, time(9), time(21)) is expected

    @pytest.mark.parametrize(
        ("local", "expected"),
        [(time(21, 59), False), (time(22), True), (time(0, 30), True), (time(6), False)],
    )
    def test_a_window_may_wrap_midnight(self, local: time, expected: bool) -> None:
        assert rules.in_daytime(local, time(22), time(6)) is expected

    def test_no_window_is_any_time(self) -> None:
        assert rules.in_daytime(time(3), None, None)

    @pytest.mark.parametrize(
        ("start", "end", "errors"),
        [
            (None, None, {}),
            (time(9), time(21), {}),
            (time(22), time(6), {}),
            (time(9), None, {"daytime": ["Give both ends of the daytime window, or neither."]}),
            (
                time(9),
                time(9),
                {"daytime": ["The daytime window is empty: its start equals its end."]},
            ),
        ],
    )
    def test_a_daytime_window_has_both_ends_and_is_not_empty(
        self, start: time | None, end: time | None, errors: dict[str, list[str]]
    ) -> None:
        assert rules.daytime_errors(start, end) == errors
