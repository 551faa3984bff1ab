"""Tracking queries over GraphQL (admins): the four connections with their filters and pages,
lookups through ``node``, online sessions and daily totals, and who may ask."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from domain.access import System
from domain.tracking import service as tracking
from domain.tracking.errors import NoTelegramAccount
from tests.api.graphql.tracking_support import (
    Caller,
    admin_caller,
    fresh_telegram_id,
    gid,
    record,
    user_caller,
)

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    return await admin_caller(runtime, http)


def ids(nodes: list[dict[str, Any]]) -> list[str]:
    return [node["id"] for node in nodes]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class TestTrackers:
    async def test_filters(self, admin: Caller) -> None:
        idle = await admin.tracker()
        active = await admin.tracker(isActive=True)
        ready = await admin.ready_tracker()

        assert ids(await admin.nodes("Trackers")) == [idle["id"], active["id"], ready["id"]]
        assert ids(await admin.nodes("Trackers", filter={"isActive": True})) == [
            active["id"],
            ready["id"],
        ]
        assert ids(await admin.nodes("Trackers", filter={"isAuth": True})) == [ready["id"]]
        assert ids(await admin.nodes("Trackers", filter={"isActive": True, "isAuth": False})) == [
            active["id"]
        ]
        by_telegram = {"telegramId": active["telegramId"]}
        assert ids(await admin.nodes("Trackers", filter=by_telegram)) == [active["id"]]
        assert ids(await admin.nodes("Trackers", filter={"id": idle["id"]})) == [idle["id"]]
        assert await admin.nodes("Trackers", filter={"telegramId": str(2**62)}) == []
        assert await admin.nodes("Trackers", filter={"id": gid("Tracker", 10**19)}) == []
        [shown] = await admin.nodes("Trackers", filter={"isAuth": True})
        assert shown == ready

    async def test_a_tracker_signed_out_by_tghub_says_why(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        claim = await admin.tracker(isActive=True, isAuth=True)  # no setting: no account
        assert (claim["isAuth"], claim["authError"]) == (True, None)
        async with runtime.uow() as uow:
            await tracking.check_sessions(uow, actor=System("tests"))

        [shown] = await admin.nodes("Trackers", filter={"id": claim["id"]})

        assert (shown["isAuth"], shown["authError"]) == (False, NoTelegramAccount.default_message)

    async def test_pages(self, admin: Caller) -> None:
        made = [(await admin.tracker())["id"] for _ in range(5)]
        seen: list[str] = []
        after = None
        for _ in range(3):
            page = await admin.query("Trackers", first=2, after=after)
            assert page["totalCount"] == 5
            seen += ids(page["nodes"])
            assert [edge["cursor"] for edge in page["edges"]][-1:] == [
                page["pageInfo"]["endCursor"]
            ]
            assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
            after = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"]:
                break
        assert seen == made
        filtered = await admin.query("Trackers", first=1, filter={"id": made[2]})
        assert (filtered["totalCount"], filtered["pageInfo"]["hasNextPage"]) == (1, False)

    async def test_wrong_filters_and_cursors_are_bad_input(self, admin: Caller) -> None:
        codes, messages = await admin.refused(
            "Trackers", first=10, filter={"id": gid("TrackingClient", 1)}
        )
        assert (codes, messages) == (["BAD_USER_INPUT"], ["Not a Tracker id."])
        for cursor in ("garbage", "WyJhYmMiXQ==", "WyIxMDAwMDAwMDAwMDAwIl0="):  # ["abc"], ["1e12"]
            codes, messages = await admin.refused("Trackers", first=10, after=cursor)
            assert (codes, messages) == (["BAD_USER_INPUT"], ["Invalid cursor."]), cursor
        codes, _ = await admin.refused("Trackers", first=101)
        assert codes == ["BAD_USER_INPUT"]


class TestTrackingClients:
    async def test_filters(self, admin: Caller) -> None:
        plain = await admin.client()
        vip = await admin.client(role="VIP")
        banned = await admin.client(role="BANNED")

        assert ids(await admin.nodes("TrackingClients")) == [plain["id"], vip["id"], banned["id"]]
        assert ids(await admin.nodes("TrackingClients", filter={"role": "VIP"})) == [vip["id"]]
        by_telegram = {"telegramId": banned["telegramId"]}
        assert ids(await admin.nodes("TrackingClients", filter=by_telegram)) == [banned["id"]]
        assert ids(await admin.nodes("TrackingClients", filter={"id": plain["id"]})) == [
            plain["id"]
        ]
        assert await admin.nodes("TrackingClients", filter={"role": "ADMIN"}) == []
        codes, messages = await admin.refused(
            "TrackingClients", first=10, filter={"id": plain["id"].lower()}
        )
        assert (codes, messages) == (["BAD_USER_INPUT"], ["Not a TrackingClient id."])


class TestTrackedUsers:
    async def test_filters(self, admin: Caller) -> None:
        first_tracker = await admin.ready_tracker()
        second_tracker = await admin.ready_tracker()
        ann, bob = await admin.client(), await admin.client()
        durov = await admin.tracked(ann, "durov", trackerId=first_tracker["id"])
        hidden = await admin.tracked(
            ann, "hidden", trackerId=second_tracker["id"], visibleOnline=False
        )
        also_durov = await admin.tracked(bob, "durov", trackerId=second_tracker["id"])

        def where(**filter: Any) -> Any:
            return admin.nodes("TrackedUsers", filter=filter)

        assert ids(await where()) == [durov["id"], hidden["id"], also_durov["id"]]
        assert ids(await where(username="durov")) == [durov["id"], also_durov["id"]]
        assert ids(await where(username="DUROV")) == []  # the whole username, exactly
        assert ids(await where(visibleOnline=False)) == [hidden["id"]]
        assert ids(await where(trackerTelegramId=second_tracker["telegramId"])) == [
            hidden["id"],
            also_durov["id"],
        ]
        assert ids(await where(clientTelegramId=ann["telegramId"])) == [durov["id"], hidden["id"]]
        assert ids(await where(clientTelegramId=ann["telegramId"], username="durov")) == [
            durov["id"]
        ]
        assert ids(await where(id=also_durov["id"])) == [also_durov["id"]]
        assert await where(clientTelegramId=str(fresh_telegram_id())) == []
        codes, messages = await admin.refused(
            "TrackedUsers", first=10, filter={"username": "a\x00"}
        )
        assert (codes, messages) == (["BAD_USER_INPUT"], ["Null characters are not allowed."])


class TestOnlineStatuses:
    async def test_filters_and_lookup(self, runtime: Runtime, admin: Caller) -> None:
        await admin.ready_tracker()
        client = await admin.client()
        durov = await admin.tracked(client, "Pavel_Durov")
        other = await admin.tracked(client, "someone")
        await record(
            runtime,
            (durov["id"], True, at("2025-01-01T10:00")),
            (other["id"], True, at("2025-01-01T11:00")),
            (durov["id"], False, at("2025-01-01T12:00")),
            (durov["id"], None, at("2025-01-01T13:00")),  # unknowable: no row, hidden instead
        )
        rows = await admin.nodes("OnlineStatuses")
        assert [(r["trackedUserId"], r["isOnline"], r["createdAt"]) for r in rows] == [
            (durov["id"], True, "2025-01-01T10:00:00+00:00"),
            (other["id"], True, "2025-01-01T11:00:00+00:00"),
            (durov["id"], False, "2025-01-01T12:00:00+00:00"),
        ]

        def where(**filter: Any) -> Any:
            return admin.nodes("OnlineStatuses", filter=filter)

        assert ids(await where(trackedUserId=durov["id"])) == [rows[0]["id"], rows[2]["id"]]
        assert ids(await where(isOnline=True)) == [rows[0]["id"], rows[1]["id"]]
        assert ids(await where(username="durov")) == [
            rows[0]["id"],
            rows[2]["id"],
        ]  # part, any case
        assert ids(await where(createdAfter="2025-01-01T11:00:00")) == [
            rows[1]["id"],
            rows[2]["id"],
        ]
        assert ids(await where(createdBefore="2025-01-01T12:00:00+02:00")) == [rows[0]["id"]]
        assert ids(await where(id=rows[1]["id"])) == [rows[1]["id"]]

        node = (await admin.call("TrackingNode", {"id": rows[2]["id"]}))["data"]["node"]
        assert node == {"__typename": "OnlineStatusEntry", **rows[2]}
        hidden = (await admin.call("TrackingNode", {"id": durov["id"]}))["data"]["node"]
        assert (hidden["visibleOnline"], hidden["hiddenReason"]) == (
            False,
            "The user's privacy settings hide their online status.",
        )

        codes, messages = await admin.refused(
            "OnlineStatuses", first=10, filter={"trackedUserId": client["id"]}
        )
        assert (codes, messages) == (["BAD_USER_INPUT"], ["Not a TrackedUser id."])


class TestSessionsAndTotals:
    async def test_sessions_cut_to_the_window_and_totals_split_at_midnight(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        await admin.ready_tracker()
        tracked = await admin.tracked(await admin.client(), "durov")
        await record(
            runtime,
            (tracked["id"], True, at("2024-12-31T20:00")),
            (tracked["id"], False, at("2024-12-31T21:00")),
            (tracked["id"], True, at("2025-01-01T23:00")),
            (tracked["id"], False, at("2025-01-02T01:00")),
            (tracked["id"], True, at("2025-01-02T10:00")),
        )
        window = {"trackedUserId": tracked["id"], "from": "2025-01-01T00:00:00Z"}

        sessions = await admin.query("OnlineSessions", to="2025-01-02T12:00:00Z", **window)
        totals = await admin.query("DailyOnlineTotals", to="2025-01-02T12:00:00Z", **window)

        assert sessions == [
            {
                "startedAt": "2025-01-01T23:00:00+00:00",
                "endedAt": "2025-01-02T01:00:00+00:00",
                "durationSeconds": 7200.0,
            },
            {  # still online at the window's end: cut there
                "startedAt": "2025-01-02T10:00:00+00:00",
                "endedAt": "2025-01-02T12:00:00+00:00",
                "durationSeconds": 7200.0,
            },
        ]
        assert totals == [
            {"date": "2025-01-01", "seconds": 3600.0},
            {"date": "2025-01-02", "seconds": 10800.0},
        ]
        # Online at the window's start (the last change before it), and no offset is UTC.
        inside = {"trackedUserId": tracked["id"], "from": "2025-01-02T00:30:00"}
        cut = await admin.query("OnlineSessions", to="2025-01-02T00:45:00", **inside)
        assert [s["durationSeconds"] for s in cut] == [900.0]
        assert await admin.query("OnlineSessions", to="2025-01-02T09:00:00", **{
            "trackedUserId": tracked["id"], "from": "2025-01-02T02:00:00Z"
        }) == []  # fmt: skip

    @pytest.mark.parametrize("name", ["OnlineSessions", "DailyOnlineTotals"])
    async def test_refusals(self, admin: Caller, name: str) -> None:
        await admin.ready_tracker()
        tracked = await admin.tracked(await admin.client(), "durov")
        same = {"trackedUserId": tracked["id"], "from": "2025-01-02T00:00:00Z"}
        assert await admin.refused(name, to="2025-01-02T00:00:00Z", **same) == (
            ["BAD_USER_INPUT"],
            ["Must be later than from."],
        )
        assert await admin.refused(name, to="2025-01-01T00:00:00Z", **same) == (
            ["BAD_USER_INPUT"],
            ["Must be later than from."],
        )
        assert await admin.refused(name, to="2026-01-04T00:00:00Z", **same) == (
            ["BAD_USER_INPUT"],
            ["The window may span at most 366 days."],
        )
        unknown = {"trackedUserId": gid("TrackedUser", 99999), "from": "2025-01-01T00:00:00Z"}
        assert await admin.refused(name, to="2025-01-02T00:00:00Z", **unknown) == (
            ["NOT_FOUND"],
            ["No TrackedUser matches the given query."],
        )
        wrong = {"trackedUserId": gid("Tracker", 1), "from": "2025-01-01T00:00:00Z"}
        assert await admin.refused(name, to="2025-01-02T00:00:00Z", **wrong) == (
            ["BAD_USER_INPUT"],
            ["Not a TrackedUser id."],
        )


# Each query with arguments GraphQL accepts: refused before any work for non-admins.
WINDOW = {"trackedUserId": gid("TrackedUser", 1), "from": "2025-01-01T00:00:00Z",
          "to": "2025-01-02T00:00:00Z"}  # fmt: skip
QUERIES: dict[str, dict[str, Any]] = {
    "Trackers": {"first": 10},
    "TrackingClients": {"first": 10},
    "TrackedUsers": {"first": 10},
    "OnlineStatuses": {"first": 10},
    "OnlineSessions": WINDOW,
    "DailyOnlineTotals": WINDOW,
}


class TestWhoMayAsk:
    @pytest.mark.parametrize("name", QUERIES)
    async def test_only_admins(self, http: httpx.AsyncClient, name: str) -> None:
        user = await user_caller(http)
        assert (await user.refused(name, **QUERIES[name]))[0] == ["FORBIDDEN"]
        assert (await Caller(http, None).refused(name, **QUERIES[name]))[0] == ["UNAUTHENTICATED"]

    async def test_nodes_are_null_for_anyone_but_admins(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: Caller
    ) -> None:
        tracker = await admin.ready_tracker()
        client = await admin.client()
        tracked = await admin.tracked(client, "durov")
        await record(runtime, (tracked["id"], True, at("2025-01-01T10:00")))
        [status] = await admin.nodes("OnlineStatuses")
        every = [tracker["id"], tracker["setting"]["id"], client["id"], tracked["id"], status["id"]]
        user = await user_caller(http)
        for node_id in every:
            found = (await admin.call("TrackingNode", {"id": node_id}))["data"]["node"]
            assert found["id"] == node_id
            assert (await user.call("TrackingNode", {"id": node_id}))["data"]["node"] is None
            assert (await user.call("TrackerNode", {"id": node_id}))["data"]["node"] is None
        # Ids of no tracking row, or of no integer key, are null too.
        for node_id in (gid("Tracker", 99999), gid("Tracker", "x"), gid("TrackedUser", "0")):
            assert (await admin.call("TrackerNode", {"id": node_id}))["data"]["node"] is None
