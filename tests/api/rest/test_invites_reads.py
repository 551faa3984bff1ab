"""Legacy 004's read-only routes, which its dashboard polls: ``/api/health``,
``/api/queue_length``, ``/api/stats``, ``/api/stats/history``, ``/api/logs``,
``/api/logs/csv`` and ``/api/accounts``, in the original's shapes."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update

from domain.invites.model import InviteStatus
from domain.telegram import service as telegram
from domain.telegram.model import TelegramAccount
from resolvers.rest.invites import CSV_BATCH, CSV_COLUMNS
from tests.api.rest.factories import PASSWORD, basic_header, create_admin, create_user
from tests.api.rest.invites_factories import CHANNEL, Row, add_logs, admin_basic
from tests.conftest import app_client
from tests.world import API_HASH, SYSTEM

if TYPE_CHECKING:
    import httpx
    from starlette.types import Message

    from domain.bootstrap import Runtime
    from domain.settings import Settings
    from tests.conftest import InProcessApp

READS = [
    "/api/queue_length",
    "/api/stats",
    "/api/stats/history",
    "/api/logs",
    "/api/logs/csv",
    "/api/accounts",
]
CHALLENGE = 'Basic realm="tghub"'
HOURLY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:00:00Z")
DAILY = re.compile(r"\d{4}-\d{2}-\d{2}")
LINE_START = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ")


@pytest.fixture
async def admin(runtime: Runtime) -> dict[str, str]:
    return await admin_basic(runtime)


def now() -> datetime:
    return datetime.now(UTC)


def hour_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:00:00Z")


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


class TestHealth:
    @pytest.mark.parametrize("path", ["/api/health", "/api/health/"])
    async def test_open_to_anyone(self, http: httpx.AsyncClient, path: str) -> None:
        response = await http.get(path)

        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    async def test_credentials_are_not_even_read(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/api/health", headers={"Authorization": "Bearer not-a-jwt"})

        assert response.status_code == 200


class TestWho:
    @pytest.mark.parametrize("path", READS)
    async def test_anonymous_is_asked_for_basic_credentials(
        self, http: httpx.AsyncClient, path: str
    ) -> None:
        response = await http.get(path)

        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication credentials were not provided."}
        assert response.headers["WWW-Authenticate"] == CHALLENGE

    @pytest.mark.parametrize("path", READS)
    async def test_a_user_who_is_no_admin_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime, path: str
    ) -> None:
        user = await create_user(runtime)
        pair = (
            await http.post("/api/auth/", json={"username": user.username, "password": PASSWORD})
        ).json()

        response = await http.get(path, headers={"Authorization": f"Bearer {pair['access']}"})

        assert response.status_code == 403

    @pytest.mark.parametrize("path", READS)
    async def test_an_admin_with_a_token(
        self, http: httpx.AsyncClient, runtime: Runtime, path: str
    ) -> None:
        admin = await create_admin(runtime)
        pair = (
            await http.post("/api/auth/", json={"username": admin.username, "password": PASSWORD})
        ).json()

        response = await http.get(path, headers={"Authorization": f"Bearer {pair['access']}"})

        assert response.status_code == 200

    async def test_wrong_basic_passwords_over_the_sign_in_limit_are_429(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        """HTTP Basic spends the login budget: past it, the declared 429 (the contract's
        check, on in tests, would turn an undeclared one into a 500)."""
        admin = await create_admin(runtime)
        strict = settings.model_copy(update={"login_attempts_per_minute": 2})
        wrong = {"Authorization": basic_header(admin.username, "not-the-password")}
        async with app_client(strict) as client:
            answers = [await client.get("/api/accounts", headers=wrong) for _ in range(3)]

        assert [answer.status_code for answer in answers] == [401, 401, 429]
        assert int(answers[-1].headers["Retry-After"]) >= 1

    async def test_anyone_when_the_group_is_open(self, settings: Settings) -> None:
        opened = settings.model_copy(update={"legacy_open": ["invites"]})
        async with app_client(opened) as client:
            statuses = {path: (await client.get(path)).status_code for path in READS}

        assert statuses == dict.fromkeys(READS, 200)


class TestQueueAndStats:
    async def test_the_queue_length(self, http: httpx.AsyncClient, admin: dict[str, str]) -> None:
        before = await http.get("/api/queue_length", headers=admin)
        await http.post(
            "/webhook", json={"phones": ["+79991234567", "+79991234568"]}, headers=admin
        )
        after = await http.get("/api/queue_length/", headers=admin)

        assert before.json() == {"queue_length": 0}
        assert after.json() == {"queue_length": 2}

    async def test_stats_count_the_log_by_status_beside_the_queue(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        at = now()
        statuses = [InviteStatus.INVITED] * 3 + [InviteStatus.FAILED, InviteStatus.SKIPPED]
        await add_logs(runtime, [Row(at, status) for status in statuses])
        await http.post("/webhook", json={"phone": "+79991234567"}, headers=admin)

        response = await http.get("/api/stats", headers=admin)

        assert response.json() == {
            "invited": 3,
            "link_sent": 0,
            "failed": 1,
            "skipped": 1,
            "queue_length": 1,
        }


class TestHistory:
    async def test_a_day_is_hourly_buckets_of_the_last_24_hours(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        # Far from the window's edges, so an hour turning during the test changes nothing.
        recent, earlier, gone = now() - timedelta(minutes=1), now() - timedelta(hours=3), now()
        gone -= timedelta(days=2)
        await add_logs(runtime, [Row(gone), Row(earlier), Row(recent), Row(recent)])

        default = await http.get("/api/stats/history", headers=admin)
        day = await http.get("/api/stats/history", params={"period": "day"}, headers=admin)

        assert (
            day.json()
            == default.json()
            == [
                {"timestamp": hour_of(earlier), "count": 1},
                {"timestamp": hour_of(recent), "count": 2},
            ]
        )
        assert all(HOURLY.fullmatch(bucket["timestamp"]) for bucket in day.json())

    async def test_a_week_is_daily_buckets_of_the_last_7_days(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        recent, earlier, gone = now(), now() - timedelta(days=2), now() - timedelta(days=10)
        await add_logs(runtime, [Row(gone), Row(earlier), Row(earlier), Row(recent)])

        response = await http.get("/api/stats/history/", params={"period": "week"}, headers=admin)

        assert response.json() == [
            {"timestamp": day_of(earlier), "count": 2},
            {"timestamp": day_of(recent), "count": 1},
        ]
        assert all(DAILY.fullmatch(bucket["timestamp"]) for bucket in response.json())

    async def test_no_rows_no_buckets(self, http: httpx.AsyncClient, admin: dict[str, str]) -> None:
        response = await http.get("/api/stats/history", params={"period": "week"}, headers=admin)

        assert (response.status_code, response.json()) == (200, [])

    @pytest.mark.parametrize("period", ["month", "1", "days"])
    async def test_another_period_is_400(
        self, http: httpx.AsyncClient, admin: dict[str, str], period: str
    ) -> None:
        response = await http.get("/api/stats/history", params={"period": period}, headers=admin)

        assert (response.status_code, response.json()) == (
            400,
            {"period": ["The period is day or week."]},
        )


class TestLogs:
    async def test_the_newest_rows_as_lines_oldest_first(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        start = now() - timedelta(hours=2)
        phones = [f"+7999{n:07d}" for n in range(120)]
        await add_logs(
            runtime, [Row(start + timedelta(seconds=n), phone=p) for n, p in enumerate(phones)]
        )

        response = await http.get("/api/logs", headers=admin)

        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        lines = response.text.splitlines()
        # The last 100 (at least the last 50, as the original), the newest last.
        assert [line.split()[3] for line in lines] == phones[-100:]
        assert all(LINE_START.match(line) for line in lines)

    async def test_a_line(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        row = Row(at, InviteStatus.FAILED, reason="not_telegram_user\nsecond line")
        await add_logs(runtime, [row])

        response = await http.get("/api/logs", headers=admin)

        assert response.text == (
            f"2026-01-02 03:04:05 FAILED +79991234567 @{CHANNEL} +79990000100 "
            "not_telegram_user second line\n"
        )

    async def test_a_limit(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        await add_logs(runtime, [Row(now(), phone=f"+7999{n:07d}") for n in range(5)])

        response = await http.get("/api/logs/", params={"limit": "2"}, headers=admin)

        assert [line.split()[3] for line in response.text.splitlines()] == [
            "+79990000003",
            "+79990000004",
        ]

    @pytest.mark.parametrize(
        ("limit", "error"),
        [
            ("0", "Between 1 and 1000 rows."),
            ("1001", "Between 1 and 1000 rows."),
            ("ten", "A valid integer is required."),
            ("9" * 80, "A valid integer is required."),
        ],
    )
    async def test_a_bad_limit_is_400(
        self, http: httpx.AsyncClient, admin: dict[str, str], limit: str, error: str
    ) -> None:
        response = await http.get("/api/logs", params={"limit": limit}, headers=admin)

        assert (response.status_code, response.json()) == (400, {"limit": [error]})

    async def test_an_empty_log_is_empty_text(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.get("/api/logs", headers=admin)

        assert (response.status_code, response.text) == (200, "")


async def asgi_get(
    app: InProcessApp, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], list[bytes]]:
    """A GET through the app's ASGI interface, keeping each body part the app sent (an HTTP
    client joins them)."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    messages: list[Message] = []
    requested, answered = False, asyncio.Event()

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()  # the client stays until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            answered.set()

    await app(scope, receive, send)
    start = messages[0]
    found = {k.decode(): v.decode() for k, v in start["headers"]}
    parts = [m["body"] for m in messages[1:] if m.get("body")]
    return start["status"], found, parts


class TestLogsCsv:
    async def test_every_row_streamed_in_batches(
        self, module_app: InProcessApp, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        count = 2 * CSV_BATCH + 345
        start = now() - timedelta(days=1)
        ids = await add_logs(
            runtime,
            [Row(start + timedelta(seconds=n), phone=f"+7999{n:07d}") for n in range(count)],
        )

        status, headers, parts = await asgi_get(module_app, "/api/logs/csv", admin)

        assert status == 200
        assert headers["content-type"] == "text/csv; charset=utf-8"
        assert headers["content-disposition"] == 'attachment; filename="invite_logs.csv"'
        assert "content-length" not in headers  # streamed, not built whole
        # The header, then a part per batch (each read in a transaction of its own).
        assert len(parts) == 1 + 3
        rows = list(csv.reader(io.StringIO(b"".join(parts).decode())))
        assert rows[0] == list(CSV_COLUMNS)
        assert [int(row[0]) for row in rows[1:]] == ids
        assert [row[4] for row in rows[1:]] == [f"+7999{n:07d}" for n in range(count)]

    async def test_a_row(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        at = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
        quiet = Row(at, InviteStatus.LINK_SENT, account_name=None)
        loud = Row(at, InviteStatus.FAILED, reason='=HYPERLINK("x"), "quoted"')
        [quiet_id, loud_id] = await add_logs(runtime, [quiet, loud])

        response = await http.get("/api/logs/csv/", headers=admin)

        lines = response.text.split("\r\n")
        assert lines[0] == ",".join(CSV_COLUMNS)
        rows = list(csv.reader(io.StringIO(response.text)))
        task_ids = [rows[1][1], rows[2][1]]
        assert rows[1:] == [
            [str(quiet_id), task_ids[0], "", CHANNEL, "+79991234567", "link_sent", "",
             "2026-01-02T03:04:05.600000+00:00"],
            # A phone goes out as it is; a cell a spreadsheet would run gets a quote first.
            [str(loud_id), task_ids[1], "+79990000100", CHANNEL, "+79991234567", "failed",
             '\'=HYPERLINK("x"), "quoted"', "2026-01-02T03:04:05.600000+00:00"],
        ]  # fmt: skip
        assert all(re.fullmatch(r"[0-9a-f-]{36}", task_id) for task_id in task_ids)

    async def test_an_empty_log_is_the_header_alone(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.get("/api/logs/csv", headers=admin)

        assert (response.status_code, response.text) == (200, ",".join(CSV_COLUMNS) + "\r\n")

    async def test_head_answers_without_a_body(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        await add_logs(runtime, [Row(now())])

        response = await http.head("/api/logs/csv", headers=admin)

        assert (response.status_code, response.content) == (200, b"")
        assert response.headers["content-disposition"] == 'attachment; filename="invite_logs.csv"'


async def add_account(runtime: Runtime, phone: str, *, uses: list[str] | None = None) -> None:
    async with runtime.uow() as uow:
        await telegram.add_account(
            uow, runtime.secrets, actor=SYSTEM, phone=phone, api_id=12345, api_hash=API_HASH,
            uses=uses,
        )  # fmt: skip


class TestAccounts:
    async def test_the_accounts_serving_invites_by_phone(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        used = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        await add_account(runtime, "+79990000200")
        await add_account(runtime, "+79990000100")
        await add_account(runtime, "+79990000300", uses=["tracking"])
        async with runtime.uow() as uow:
            await uow.session.execute(
                update(TelegramAccount)
                .where(TelegramAccount.phone == "+79990000100")
                .values(invites_left=7, invite_last_used_at=used)
            )
            await uow.commit()

        response = await http.get("/api/accounts", headers=admin)

        assert response.json() == [
            {"name": "+79990000100", "last_used": "2026-01-02T03:04:05+00:00", "invites_left": 7},
            {"name": "+79990000200", "last_used": None, "invites_left": 40},
        ]

    async def test_none_is_an_empty_list(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.get("/api/accounts/", headers=admin)

        assert (response.status_code, response.json()) == (200, [])
