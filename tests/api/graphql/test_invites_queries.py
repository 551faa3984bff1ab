"""Invite queries over GraphQL (admins): settings, stats, history, the log (a connection with
its filters and pages, and its rows through ``node``), the accounts inviting with their
analytics, and who may ask."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event

from domain.invites.rules import DEFAULT_FAILURE_MESSAGE, InviteStatus, bucket_label
from domain.invites.rules import HistoryPeriod as Period
from domain.telegram import service as telegram
from tests.api.graphql.factories import error_codes
from tests.api.graphql.invites_support import (
    add_account,
    fresh_phone,
    log_id,
    queue,
    raw_account,
    write_log,
)
from tests.api.graphql.tracking_support import Caller, admin_caller, gid, user_caller
from tests.world import SYSTEM

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx

    from domain.bootstrap import Runtime
    from tests.conftest import InProcessApp

INVITED, LINK_SENT, FAILED, SKIPPED = (
    InviteStatus.INVITED,
    InviteStatus.LINK_SENT,
    InviteStatus.FAILED,
    InviteStatus.SKIPPED,
)


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    return await admin_caller(runtime, http)


def ids(nodes: list[dict[str, Any]]) -> list[str]:
    return [node["id"] for node in nodes]


class TestSettings:
    async def test_the_defaults_until_an_admin_sets_them(self, admin: Caller) -> None:
        shown = await admin.query("InviteSettings")

        assert {k: v for k, v in shown.items() if k != "updatedAt"} == {
            "channelUsername": "",
            "failureMessage": DEFAULT_FAILURE_MESSAGE,
            "queueThreshold": 50,
            "pauseMinSeconds": 1.0,
            "pauseMaxSeconds": 3.0,
            "onlyMessageBot": False,
            "inviteAndMessage": False,
        }


class TestStats:
    async def test_rows_by_status_and_the_queue(self, admin: Caller, runtime: Runtime) -> None:
        for status in (INVITED, INVITED, LINK_SENT, FAILED, FAILED, FAILED):
            await write_log(runtime, status)
        await queue(runtime, fresh_phone(), fresh_phone())

        assert await admin.query("InviteStats") == {
            "invited": 2,
            "linkSent": 1,
            "failed": 3,
            "skipped": 0,
            "queueLength": 2,
            "queueThreshold": 50,
            "overThreshold": False,
        }

    async def test_over_the_threshold(self, admin: Caller, runtime: Runtime) -> None:
        await admin.succeeded(
            "UpdateInviteSettings",
            channelUsername="",
            failureMessage="x",
            queueThreshold=1,
            pauseMinSeconds=0,
            pauseMaxSeconds=0,
            onlyMessageBot=False,
            inviteAndMessage=False,
        )
        await queue(runtime, fresh_phone(), fresh_phone())

        stats = await admin.query("InviteStats")

        assert (stats["queueLength"], stats["queueThreshold"], stats["overThreshold"]) == (
            2,
            1,
            True,
        )


class TestHistory:
    async def test_buckets_by_hour_and_by_day(self, admin: Caller, runtime: Runtime) -> None:
        now = datetime.now(UTC)
        hour_ago, two_days_ago = now - timedelta(hours=1), now - timedelta(days=2)
        await write_log(runtime, INVITED, at=hour_ago)
        await write_log(runtime, FAILED, at=hour_ago)
        await write_log(runtime, INVITED, at=two_days_ago)
        await write_log(runtime, INVITED, at=now - timedelta(days=30))  # in neither

        by_hour = await admin.query("InviteHistory", period="DAY")
        by_day = await admin.query("InviteHistory", period="WEEK")

        hour = hour_ago.replace(minute=0, second=0, microsecond=0)
        assert by_hour == [
            {
                "timestamp": bucket_label(Period.DAY, hour),
                "start": hour.isoformat(),
                "count": 2,
            }
        ]
        days = [
            at.replace(hour=0, minute=0, second=0, microsecond=0) for at in (two_days_ago, hour_ago)
        ]
        counts = dict.fromkeys(days, 0)
        counts[days[0]] += 1
        counts[days[1]] += 2
        assert by_day == [
            {"timestamp": bucket_label(Period.WEEK, d), "start": d.isoformat(), "count": c}
            for d, c in sorted(counts.items())
        ]
        assert by_day[0]["timestamp"] == two_days_ago.strftime("%Y-%m-%d")

    async def test_an_unknown_period_is_refused_by_graphql(self, admin: Caller) -> None:
        body = await admin.call("InviteHistory", {"period": "MONTH"})

        assert body.get("data") is None
        assert "MONTH" in body["errors"][0]["message"]


class TestLogs:
    async def test_newest_first_with_every_field(self, admin: Caller, runtime: Runtime) -> None:
        account = await add_account(runtime, "+79990000101")
        older = await write_log(runtime, SKIPPED, phone="+79990000001", reason="already_invited")
        newer = await write_log(
            runtime,
            LINK_SENT,
            phone="+79990000002",
            account=account,
            account_name="+79990000101",
            reason="privacy",
            at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        )

        logs = await admin.query("InviteLogs", first=10)

        assert logs["totalCount"] == 2
        assert ids(logs["nodes"]) == [log_id(newer), log_id(older)]
        assert logs["nodes"][0] == {
            "id": log_id(newer),
            "taskId": str(newer.task_id),
            "accountId": account,
            "accountName": "+79990000101",
            "account": {"id": account, "phone": "+79990000101"},
            "channelUsername": "test_channel",
            "phone": "+79990000002",
            "status": "LINK_SENT",
            "reason": "privacy",
            "createdAt": "2025-01-02T03:04:05+00:00",
            "line": "2025-01-02 03:04:05 LINK_SENT +79990000002 @test_channel +79990000101 privacy",
        }
        assert logs["nodes"][1]["account"] is None
        assert logs["nodes"][1]["accountId"] is None

    async def test_pages(self, admin: Caller, runtime: Runtime) -> None:
        made = [log_id(await write_log(runtime, INVITED)) for _ in range(5)]
        seen: list[str] = []
        after = None
        while True:
            page = await admin.query("InviteLogs", first=2, after=after)
            assert page["totalCount"] == 5
            seen += ids(page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]

        assert seen == made[::-1]

    async def test_a_page_stays_put_while_rows_are_written(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        made = [log_id(await write_log(runtime, INVITED)) for _ in range(3)]
        first = await admin.query("InviteLogs", first=2)
        await write_log(runtime, FAILED)

        rest = await admin.query("InviteLogs", first=2, after=first["pageInfo"]["endCursor"])

        assert ids(rest["nodes"]) == [made[0]]

    async def test_filters(self, admin: Caller, runtime: Runtime) -> None:
        account = await add_account(runtime)
        other = await add_account(runtime)
        early = datetime(2025, 3, 1, 10, tzinfo=UTC)
        late = datetime(2025, 3, 2, 10, tzinfo=UTC)
        a = await write_log(runtime, INVITED, phone="+79990001111", account=account, at=early)
        b = await write_log(runtime, FAILED, phone="+79990002222", account=other, at=late)
        c = await write_log(runtime, LINK_SENT, phone="+79990001112", account=account, at=late)

        async def shown(**given: Any) -> list[str]:
            return ids(await admin.nodes("InviteLogs", filter=given))

        assert await shown(statuses=["FAILED", "LINK_SENT"]) == [log_id(c), log_id(b)]
        assert await shown(phone="000111") == [log_id(c), log_id(a)]
        assert await shown(phone="%") == []  # a part of the phone, not a pattern
        assert await shown(accountId=account) == [log_id(c), log_id(a)]
        assert await shown(since="2025-03-02T00:00:00Z") == [log_id(c), log_id(b)]
        assert await shown(until="2025-03-02T00:00:00") == [log_id(a)]  # no offset: UTC
        assert await shown(since="2025-03-02T10:00:00+03:00", until="2025-03-02T10:00:01Z") == [
            log_id(c),
            log_id(b),
        ]
        assert await shown(accountId=other, statuses=["INVITED"]) == []

    @pytest.mark.parametrize(
        ("given", "message"),
        [
            pytest.param(
                {"accountId": gid("InviteLog", 1)}, "Not a TelegramAccount id.", id="other_type"
            ),
            pytest.param(
                {"accountId": "6f1c58c1-7b1e-4b8e-9c43-2a64f1f33c0e"},
                "Not a TelegramAccount id.",
                id="raw_uuid",
            ),
            pytest.param({"phone": "79\x00"}, "Null characters are not allowed.", id="nul"),
            pytest.param(
                {"since": "0001-01-01T00:00:00+05:00"}, "Datetime value out of range.", id="since"
            ),
        ],
    )
    async def test_a_bad_filter_is_bad_input(
        self, admin: Caller, given: dict[str, Any], message: str
    ) -> None:
        assert await admin.refused("InviteLogs", first=10, filter=given) == (
            ["BAD_USER_INPUT"],
            [message],
        )

    @pytest.mark.parametrize(
        ("variables", "message"),
        [
            pytest.param({"first": 101}, "first must be between 0 and 100.", id="too_many"),
            pytest.param({"first": -1}, "first must be between 0 and 100.", id="negative"),
            pytest.param({"first": 5, "after": "bm90IGEgY3Vyc29y"}, "Invalid cursor.", id="cursor"),
            pytest.param({"first": 5, "after": "WyJ4Il0="}, "Invalid cursor.", id="not_an_id"),
        ],
    )
    async def test_a_bad_page_is_bad_input(
        self, admin: Caller, variables: dict[str, Any], message: str
    ) -> None:
        assert await admin.refused("InviteLogs", **variables) == (["BAD_USER_INPUT"], [message])

    async def test_a_row_by_its_id(
        self, admin: Caller, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        row = await write_log(runtime, FAILED, reason="not_telegram_user")
        user = await user_caller(http)

        found = await admin.query("InviteLogNode", id=log_id(row))

        assert found["__typename"] == "InviteLog"
        assert (found["id"], found["status"], found["reason"]) == (
            log_id(row),
            "FAILED",
            "not_telegram_user",
        )
        assert await user.query("InviteLogNode", id=log_id(row)) is None
        assert await admin.query("InviteLogNode", id=gid("InviteLog", row.id + 1000)) is None
        assert await admin.query("InviteLogNode", id=gid("InviteLog", "x")) is None


class TestAccounts:
    async def test_the_accounts_serving_invites_with_their_profile(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        second = await add_account(runtime, "+79990000202")
        first = await add_account(runtime, "+79990000201", uses=["invites", "mailings"])
        await add_account(runtime, "+79990000200", uses=["mailings"])  # serves no invites
        async with runtime.uow() as uow:
            await telegram.set_invite_quota(
                uow, actor=SYSTEM, account_id=raw_account(second), quota=5
            )

        shown = await admin.query("InviteAccounts")

        assert [(a["id"], a["phone"]) for a in shown] == [
            (first, "+79990000201"),
            (second, "+79990000202"),
        ]
        assert {k: shown[0][k] for k in ("inviteQuota", "invitesLeft", "inviteLastUsedAt")} == {
            "inviteQuota": 40,
            "invitesLeft": 40,
            "inviteLastUsedAt": None,
        }
        assert (shown[1]["inviteQuota"], shown[1]["invitesLeft"]) == (5, 5)
        assert shown[0]["uses"] == ["MAILINGS", "INVITES"]


@contextlib.contextmanager
def statements_on(app: InProcessApp, table: str) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs that read ``table`` (the app's own engine:
    what a request costs, seen from the database's side)."""
    engine = app.state["runtime"].engine.sync_engine
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if table in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


class TestAnalytics:
    async def test_rows_by_status_per_day_of_each_account(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        first = await add_account(runtime, "+79990000301")
        second = await add_account(runtime, "+79990000302")
        now = datetime.now(UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        yesterday = today - timedelta(days=1)
        for status, at in [
            (INVITED, today), (INVITED, today), (FAILED, today), (LINK_SENT, yesterday),
            (SKIPPED, today - timedelta(days=9)),  # past 7 days
        ]:  # fmt: skip
            await write_log(runtime, status, account=first, at=at)
        await write_log(runtime, FAILED)  # no account

        shown = await admin.query("InviteAnalytics", days=7)
        longer = await admin.query("InviteAnalytics", days=10)

        by_account = {a["id"]: a["inviteAnalytics"] for a in shown}
        assert by_account == {
            first: [
                {"day": yesterday.date().isoformat(), "invited": 0, "linkSent": 1, "failed": 0,
                 "skipped": 0},
                {"day": today.date().isoformat(), "invited": 2, "linkSent": 0, "failed": 1,
                 "skipped": 0},
            ],
            second: [],
        }  # fmt: skip
        [over_ten] = [a["inviteAnalytics"] for a in longer if a["id"] == first]
        assert over_ten[0] == {
            "day": (today - timedelta(days=9)).date().isoformat(),
            "invited": 0,
            "linkSent": 0,
            "failed": 0,
            "skipped": 1,
        }

    async def test_the_accounts_of_a_request_in_one_query(
        self, admin: Caller, runtime: Runtime, module_app: InProcessApp
    ) -> None:
        for _ in range(3):
            await write_log(runtime, INVITED, account=await add_account(runtime))

        with statements_on(module_app, "invite_logs") as seen:
            shown = await admin.query("InviteAnalytics", days=3)

        assert len(shown) == 3
        assert all(len(a["inviteAnalytics"]) == 1 for a in shown)
        assert len(seen) == 1, seen

    @pytest.mark.parametrize("days", [0, -1, 91])
    async def test_days_out_of_range_is_bad_input(
        self, admin: Caller, runtime: Runtime, days: int
    ) -> None:
        await add_account(runtime)

        assert await admin.refused("InviteAnalytics", days=days) == (
            ["BAD_USER_INPUT"],
            ["Between 1 and 90 days."],
        )


QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("InviteSettings", {}),
    ("InviteStats", {}),
    ("InviteHistory", {"period": "WEEK"}),
    ("InviteLogs", {"first": 10}),
    ("InviteAccounts", {}),
    ("InviteAnalytics", {"days": 7}),
]


@pytest.mark.parametrize(("name", "variables"), QUERIES, ids=[q[0] for q in QUERIES])
async def test_only_admins_may_ask(
    http: httpx.AsyncClient, runtime: Runtime, name: str, variables: dict[str, Any]
) -> None:
    await write_log(runtime, INVITED)
    user = await user_caller(http)
    anonymous = Caller(http, None)

    for caller, code in ((anonymous, "UNAUTHENTICATED"), (user, "FORBIDDEN")):
        body = await caller.call(name, variables)
        assert body.get("data") is None, body
        assert error_codes(body) == [code]
