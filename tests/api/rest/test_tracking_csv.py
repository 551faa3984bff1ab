"""tghub's CSV downloads of a tracked user's online history (not in the original 000):
``/tracking/tracked-users/{id}/online-sessions.csv`` and ``.../daily-online-totals.csv``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.access import System
from domain.tracking import service as tracking
from domain.tracking.rules import StatusChange, window_days, window_errors
from resolvers.rest.tracking_csv import csv_text, safe_cell, seconds_text
from tests.api.rest.factories import PASSWORD, basic_header, create_admin, create_user
from tests.conftest import app_client
from tests.integration.tracking.test_service import client, track, tracker

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

SYSTEM = System("tests")
T0 = datetime(2026, 1, 1, 23, tzinfo=UTC)
SESSIONS = "/tracking/tracked-users/{}/online-sessions.csv"
TOTALS = "/tracking/tracked-users/{}/daily-online-totals.csv"
BOTH = pytest.mark.parametrize("route", [SESSIONS, TOTALS], ids=["sessions", "totals"])
INVALID_DATE = ["Enter a valid date/time."]
OUT_OF_RANGE = ["Enter a date/time from 1970-01-01 to 9999-01-01."]
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
async def admin(runtime: Runtime) -> dict[str, str]:
    user = await create_admin(runtime)
    return {"Authorization": basic_header(user.username, PASSWORD)}


@pytest.fixture
async def ivan(runtime: Runtime) -> int:
    """Online 22:50–23:10 and 23:40–00:20 (Jan 1 to 2, UTC), then from 00:50 on, never
    offline again: five changes in the log."""
    await tracker(runtime, 1)
    tracked = await track(runtime, await client(runtime, 42), "ivan")
    for minutes, online in ((-10, True), (10, False), (40, True), (80, False), (110, True)):
        async with runtime.uow() as uow:
            await tracking.record_statuses(
                uow, actor=SYSTEM, changes=[StatusChange(tracked.id, online, at(minutes))]
            )
    return tracked.id


async def download(
    http: httpx.AsyncClient, route: str, tracked: object, headers: dict[str, str], **query: str
) -> httpx.Response:
    return await http.get(route.format(tracked), params=query, headers=headers)


def crlf(*lines: str) -> str:
    return "".join(f"{line}\r\n" for line in lines)


class TestOnlineSessions:
    async def test_one_row_per_session_cut_at_the_window(
        self, http: httpx.AsyncClient, admin: dict[str, str], ivan: int
    ) -> None:
        response = await download(
            http, SESSIONS, ivan, admin, **{"from": "2026-01-01T23:00:00", "to": "2026-01-02T01:00"}
        )

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == (
            f'attachment; filename="online-sessions-{ivan}.csv"'
        )
        # The first is cut at "from", the last (still open) at "to".
        assert response.text == crlf(
            "start,end,duration_seconds",
            "2026-01-01T23:00:00+00:00,2026-01-01T23:10:00+00:00,600",
            "2026-01-01T23:40:00+00:00,2026-01-02T00:20:00+00:00,2400",
            "2026-01-02T00:50:00+00:00,2026-01-02T01:00:00+00:00,600",
        )

    async def test_bounds_with_an_offset_are_the_same_instants(
        self, http: httpx.AsyncClient, admin: dict[str, str], ivan: int
    ) -> None:
        # 23:30 and 23:50:00.5 UTC.
        query = {"from": "2026-01-02T02:30:00+03:00", "to": "2026-01-01T18:50:00.5-05:00"}

        response = await download(http, SESSIONS, ivan, admin, **query)

        assert response.text == crlf(
            "start,end,duration_seconds",
            "2026-01-01T23:40:00+00:00,2026-01-01T23:50:00.500000+00:00,600.5",
        )

    async def test_a_quiet_window_is_the_header_alone(
        self, http: httpx.AsyncClient, admin: dict[str, str], ivan: int
    ) -> None:
        response = await download(
            http, SESSIONS, ivan, admin, **{"from": "2025-06-01", "to": "2025-07-01"}
        )

        assert (response.status_code, response.text) == (200, crlf("start,end,duration_seconds"))

    async def test_head_answers_without_a_body(
        self, http: httpx.AsyncClient, admin: dict[str, str], ivan: int
    ) -> None:
        response = await http.head(
            SESSIONS.format(ivan), params={"from": "2026-01-01", "to": "2026-01-02"}, headers=admin
        )

        assert (response.status_code, response.content) == (200, b"")
        assert response.headers["content-type"] == "text/csv; charset=utf-8"


class TestDailyTotals:
    async def test_every_day_of_the_window_a_session_across_midnight_split(
        self, http: httpx.AsyncClient, admin: dict[str, str], ivan: int
    ) -> None:
        response = await download(
            http, TOTALS, ivan, admin, **{"from": "2025-12-31", "to": "2026-01-04"}
        )

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == (
            f'attachment; filename="daily-online-totals-{ivan}.csv"'
        )
        assert response.text == crlf(
            "date,online_seconds",
            "2025-12-31,0",  # before the first change: a day of its own, at 0
            "2026-01-01,2400",  # 22:50–23:10 and 23:40–24:00
            "2026-01-02,84600",  # 00:00–00:20 and 00:50–24:00
            "2026-01-03,86400",  # still online, the whole day; "to" (midnight) ends it
        )

    async def test_partial_days_at_both_ends(
        self, http: httpx.AsyncClient, admin: dict[str, str], ivan: int
    ) -> None:
        response = await download(
            http, TOTALS, ivan, admin, **{"from": "2026-01-01T23:05", "to": "2026-01-02T00:10Z"}
        )

        assert response.text == crlf("date,online_seconds", "2026-01-01,1500", "2026-01-02,600")

    async def test_a_leap_year_is_the_longest_window(
        self, http: httpx.AsyncClient, admin: dict[str, str], ivan: int
    ) -> None:
        response = await download(
            http, TOTALS, ivan, admin, **{"from": "2024-01-01", "to": "2025-01-01"}
        )

        lines = response.text.splitlines()
        assert (response.status_code, len(lines)) == (200, 1 + 366)
        assert (lines[1], lines[-1]) == ("2024-01-01,0", "2024-12-31,0")


class TestErrors:
    @BOTH
    @pytest.mark.parametrize(
        ("query", "answer"),
        [
            ({}, {"from": ["This field is required."], "to": ["This field is required."]}),
            ({"from": "2026-01-01", "to": ""}, {"to": ["This field is required."]}),
            ({"from": "yesterday", "to": "2026-13-01"}, {"from": INVALID_DATE, "to": INVALID_DATE}),
            ({"from": "0000-01-01", "to": "2026-01-01"}, {"from": INVALID_DATE}),
            ({"from": "2026-01-01", "to": "99999-01-01"}, {"to": INVALID_DATE}),
            (
                {"from": "0001-01-01", "to": "0001-02-01"},
                {"from": OUT_OF_RANGE, "to": OUT_OF_RANGE},
            ),
            ({"from": "9999-01-01", "to": "9999-12-31T23:59"}, {"to": OUT_OF_RANGE}),
            ({"from": "2026-01-02", "to": "2026-01-01"}, {"to": ["Must be later than from."]}),
            (
                {"from": "2026-01-01", "to": "2026-01-01T00:00Z"},
                {"to": ["Must be later than from."]},
            ),
            (
                {"from": "2024-01-01", "to": "2025-01-01T00:00:00.000001"},
                {"to": ["The window may span at most 366 days."]},
            ),
        ],
    )
    async def test_a_bad_window_is_a_field_error(
        self,
        http: httpx.AsyncClient,
        admin: dict[str, str],
        ivan: int,
        route: str,
        query: dict[str, str],
        answer: Any,
    ) -> None:
        response = await download(http, route, ivan, admin, **query)

        assert (response.status_code, response.json()) == (400, answer)

    @BOTH
    async def test_an_unknown_tracked_user_is_404(
        self, http: httpx.AsyncClient, admin: dict[str, str], route: str
    ) -> None:
        window = {"from": "2026-01-01", "to": "2026-01-02"}

        unknown = await download(http, route, 999999, admin, **window)
        huge = await download(http, route, 2**70, admin, **window)
        odd = await download(http, route, "x", admin, **window)

        missing = {"detail": "No TrackedUser matches the given query."}
        assert (unknown.status_code, unknown.json()) == (404, missing)
        assert (huge.status_code, huge.json()) == (404, missing)
        assert (odd.status_code, odd.json()) == (404, {"detail": "Not found."})


class TestAccess:
    @BOTH
    async def test_anonymous_and_plain_users_are_refused(
        self, runtime: Runtime, http: httpx.AsyncClient, ivan: int, route: str
    ) -> None:
        user = await create_user(runtime)
        plain = {"Authorization": basic_header(user.username, PASSWORD)}
        wrong = {"Authorization": basic_header(user.username, "not-the-password")}
        window = {"from": "2026-01-01", "to": "2026-01-02"}

        anonymous = await download(http, route, ivan, {}, **window)
        refused = await download(http, route, ivan, plain, **window)
        rejected = await download(http, route, ivan, wrong, **window)

        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Basic realm="tghub"'
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
        assert rejected.status_code == 401

    async def test_an_admin_token_works_as_basic_does(
        self, runtime: Runtime, http: httpx.AsyncClient, ivan: int
    ) -> None:
        user = await create_admin(runtime)
        signed_in = await http.post(
            "/api/auth/", json={"username": user.username, "password": PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {signed_in.json()['access']}"}

        response = await download(
            http, TOTALS, ivan, bearer, **{"from": "2026-01-03", "to": "2026-01-04"}
        )

        assert response.text == crlf("date,online_seconds", "2026-01-03,86400")

    async def test_an_open_group_lets_anonymous_callers_download(
        self, settings: Settings, ivan: int
    ) -> None:
        opened = settings.model_copy(update={"legacy_open": ["seeonline"]})
        async with app_client(opened) as anonymous:
            response = await download(
                anonymous, TOTALS, ivan, {}, **{"from": "2026-01-03", "to": "2026-01-04"}
            )

        assert (response.status_code, response.text) == (
            200,
            crlf("date,online_seconds", "2026-01-03,86400"),
        )


class TestPieces:
    """The CSV's cells and the window's rules, without the database."""

    def test_cells_never_start_a_formula(self) -> None:
        text = csv_text(("a", "b"), [("=1+1", "-2"), ("@x", 'say "hi", then')])

        assert text == 'a,b\r\n\'=1+1,\'-2\r\n\'@x,"say ""hi"", then"\r\n'
        assert safe_cell("2026-01-01") == "2026-01-01"

    def test_seconds_to_the_microsecond_without_trailing_zeros(self) -> None:
        assert [seconds_text(s) for s in (0.0, 600.0, 0.25, 1e-6, 0.1 + 0.2)] == [
            "0",
            "600",
            "0.25",
            "0.000001",
            "0.3",
        ]

    def test_window_days_end_before_a_closing_midnight(self) -> None:
        day = datetime(2026, 1, 1, tzinfo=UTC)

        assert window_days(day, day + timedelta(days=2)) == [date(2026, 1, 1), date(2026, 1, 2)]
        assert window_days(day + timedelta(hours=23), day + timedelta(hours=25)) == [
            date(2026, 1, 1),
            date(2026, 1, 2),
        ]
        assert window_days(day, day + timedelta(seconds=1)) == [date(2026, 1, 1)]

    def test_window_errors(self) -> None:
        day = datetime(2026, 1, 1, tzinfo=UTC)

        assert window_errors(day, day + timedelta(days=366)) == {}
        assert window_errors(day, day) == {"to": ["Must be later than from."]}
