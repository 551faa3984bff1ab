"""What dispatch made of a mailing, over GraphQL: its state, statistics (a page of mailings in
one query), deliveries and their lookups, the daytime window on create and update, and
cancelMailing; every failure path (bad input, another owner's mailing, anonymous callers,
cancelling twice, cancelling a finished mailing). Real deliveries come from a real Dispatcher
sending through the simulated Telegram."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from domain.mailing import rules
from schema.relay import encode_cursor
from tests.api.graphql.factories import error_codes
from tests.api.graphql.mailing_dispatch_support import (
    dispatch,
    ended,
    open_mailing,
    phone,
    senders,
)
from tests.api.graphql.mailing_support import Owner, admin, ids, user
from tests.api.graphql.tracking_support import Caller, field_errors, gid, raw
from tests.conftest import graphql

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

NO_MAILING = "No Mailing matches the given query."
FINISHED = "The mailing has finished; there is nothing left to cancel."
ZEROS = {
    "total": 0,
    "pending": 0,
    "sent": 0,
    "failed": 0,
    "expired": 0,
    "firstSentAt": None,
    "lastSentAt": None,
}
NINE_TO_NINE = {"start": "09:00", "end": "21:00"}


@pytest.fixture
async def ivan(http: httpx.AsyncClient) -> Owner:
    return await user(http, "ivan")


@pytest.fixture
async def olga(http: httpx.AsyncClient) -> Owner:
    return await user(http, "olga")


@pytest.fixture
async def boss(runtime: Runtime, http: httpx.AsyncClient) -> Owner:
    return await admin(runtime, http)


def cursor(*key: str) -> str:
    return encode_cursor(key)


def error(payload: dict[str, Any]) -> tuple[str, str, str]:
    return payload["__typename"], payload["code"], payload["message"]


async def deliveries(caller: Caller, mailing_id: str, **variables: Any) -> dict[str, Any]:
    """The mailing's node with its stats and a page of its deliveries."""
    node: dict[str, Any] = await caller.query("MailingDeliveries", id=mailing_id, **variables)
    return node


async def sent_mailing(runtime: Runtime, owner: Owner, people: int) -> dict[str, Any]:
    """A mailing of ``owner`` to ``people`` recipients on Telegram and one phone that is not,
    dispatched to its end."""
    await senders(runtime, people)
    made = await open_mailing(owner, [phone(n) for n in range(1, people + 2)])
    await dispatch(runtime).until(lambda: ended(runtime, made["id"]))
    return made


async def running_mailing(runtime: Runtime, owner: Owner, people: int) -> dict[str, Any]:
    """A mailing started (its clients matched) that nothing sends: no account is signed in."""
    made = await open_mailing(owner, [phone(n) for n in range(1, people + 1)])
    await dispatch(runtime).run()
    return made


class TestStateAndStats:
    async def test_a_new_mailing_is_scheduled_with_nothing_counted(self, ivan: Owner) -> None:
        made = await ivan.mailing()

        found = await deliveries(ivan, made["id"])

        assert (made["state"], made["startedAt"], made["finishedAt"]) == ("SCHEDULED", None, None)
        assert made["cancelledAt"] is None
        assert found["state"] == "SCHEDULED"
        assert found["stats"] == ZEROS
        assert found["deliveries"]["totalCount"] == 0

    async def test_a_started_mailing_runs(self, runtime: Runtime, ivan: Owner) -> None:
        made = await running_mailing(runtime, ivan, 2)

        [found] = await ivan.nodes("Mailings")
        stats = (await deliveries(ivan, made["id"]))["stats"]

        assert (found["state"], found["finishedAt"]) == ("RUNNING", None)
        assert found["startedAt"] is not None
        assert stats == ZEROS | {"total": 2, "pending": 2}

    async def test_a_sent_mailing_has_finished(self, runtime: Runtime, ivan: Owner) -> None:
        made = await sent_mailing(runtime, ivan, 2)

        [found] = await ivan.nodes("Mailings")
        stats = (await deliveries(ivan, made["id"]))["stats"]

        assert found["state"] == "FINISHED"
        assert found["startedAt"] <= found["finishedAt"]
        assert found["cancelledAt"] is None
        assert {k: stats[k] for k in ("total", "pending", "sent", "failed", "expired")} == {
            "total": 3,
            "pending": 0,
            "sent": 2,
            "failed": 1,
            "expired": 0,
        }
        assert stats["firstSentAt"] is not None
        assert stats["firstSentAt"] <= stats["lastSentAt"]

    async def test_stats_of_a_page_of_mailings(
        self, runtime: Runtime, ivan: Owner, olga: Owner, boss: Owner
    ) -> None:
        mine = await running_mailing(runtime, ivan, 2)
        waiting = await ivan.mailing()
        theirs = await olga.mailing()

        listed = await ivan.query("MailingsWithStats", first=10)
        everyone = await boss.query("MailingsWithStats", first=10)

        assert {n["id"]: (n["state"], n["stats"]["total"]) for n in listed["nodes"]} == {
            mine["id"]: ("RUNNING", 2),
            waiting["id"]: ("SCHEDULED", 0),
        }
        assert sorted(ids(everyone["nodes"])) == sorted([mine["id"], waiting["id"], theirs["id"]])
        assert {n["id"]: n["stats"]["pending"] for n in everyone["nodes"]}[mine["id"]] == 2


async def statements_of(http: httpx.AsyncClient, token: str, first: int) -> list[str]:
    """The SQL one MailingsWithStats request executes (the app runs in this process)."""
    variables = {"first": first}
    await graphql(http, "MailingsWithStats", variables, token=token)  # warm: pools, presence
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        body = await graphql(http, "MailingsWithStats", variables, token=token)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert "errors" not in body, body
    assert len(body["data"]["mailings"]["nodes"]) == first
    return statements


async def test_a_page_of_mailings_costs_one_stats_query(
    http: httpx.AsyncClient, ivan: Owner, olga: Owner
) -> None:
    await ivan.mailing()
    for hour in range(10):
        await olga.mailing(hours=hour + 1)

    one = await statements_of(http, ivan.token or "", 1)
    ten = await statements_of(http, olga.token or "", 10)

    assert len(one) == len(ten), "\n".join(ten)
    assert len([s for s in ten if "mailing_deliveries" in s]) == 1, "\n".join(ten)


class TestDeliveries:
    async def test_each_client_once_with_its_outcome(self, runtime: Runtime, ivan: Owner) -> None:
        made = await sent_mailing(runtime, ivan, 2)
        clients = {c["phoneNumber"]: c["id"] for c in await ivan.nodes("MailingClients")}

        page = (await deliveries(ivan, made["id"], first=10))["deliveries"]

        assert page["totalCount"] == 3
        found = {d["phoneNumber"]: d for d in page["nodes"]}
        assert {p: (d["status"], d["attempts"]) for p, d in found.items()} == {
            phone(1): ("SENT", 1),
            phone(2): ("SENT", 1),
            phone(3): ("FAILED", 1),
        }
        assert found[phone(3)]["error"] == rules.NOT_ON_TELEGRAM
        assert found[phone(3)]["sentAt"] is None
        assert found[phone(1)]["error"] is None
        assert found[phone(1)]["sentAt"] is not None
        assert {p: d["clientId"] for p, d in found.items()} == clients
        assert {d["mailingId"] for d in page["nodes"]} == {made["id"]}
        # Accounts are admins' to see: the owner is shown none.
        assert {d["accountId"] for d in page["nodes"]} == {None}

    async def test_by_status(self, runtime: Runtime, ivan: Owner) -> None:
        made = await sent_mailing(runtime, ivan, 2)

        failed = (await deliveries(ivan, made["id"], status="FAILED"))["deliveries"]
        pending = (await deliveries(ivan, made["id"], status="PENDING"))["deliveries"]

        assert [d["phoneNumber"] for d in failed["nodes"]] == [phone(3)]
        assert failed["totalCount"] == 1
        assert (pending["totalCount"], pending["nodes"]) == (0, [])

    async def test_pages_by_id(self, runtime: Runtime, ivan: Owner) -> None:
        made = await running_mailing(runtime, ivan, 3)

        first = (await deliveries(ivan, made["id"], first=2))["deliveries"]
        after = first["pageInfo"]["endCursor"]
        rest = (await deliveries(ivan, made["id"], first=2, after=after))["deliveries"]

        assert (first["totalCount"], len(first["nodes"]), len(rest["nodes"])) == (3, 2, 1)
        every = [raw(d["id"]) for d in first["nodes"] + rest["nodes"]]
        assert every == sorted(every)
        assert [(p["pageInfo"]["hasPreviousPage"], p["pageInfo"]["hasNextPage"])
                for p in (first, rest)] == [(False, True), (True, False)]  # fmt: skip

    async def test_an_admin_sees_the_account_that_sent(
        self, runtime: Runtime, ivan: Owner, boss: Owner
    ) -> None:
        made = await sent_mailing(runtime, ivan, 1)

        page = (await deliveries(boss, made["id"], status="SENT"))["deliveries"]
        [sent] = page["nodes"]
        shown = await boss.query("MailingDeliveryNode", id=sent["id"])
        to_owner = await ivan.query("MailingDeliveryNode", id=sent["id"])

        assert sent["accountId"] is not None
        assert shown["account"]["id"] == sent["accountId"]
        assert shown["account"]["phone"] == "+79990000100"
        assert (to_owner["accountId"], to_owner["account"]) == (None, None)

    async def test_a_bad_status_or_cursor_is_refused(self, runtime: Runtime, ivan: Owner) -> None:
        made = await running_mailing(runtime, ivan, 1)

        bad_status = await ivan.call("MailingDeliveries", {"id": made["id"], "status": "LOST"})
        bad_cursor = await ivan.refused("MailingDeliveries", id=made["id"], after="bm9wZQ")
        foreign = await ivan.refused("MailingDeliveries", id=made["id"], after=cursor("x"))
        too_many = await ivan.refused("MailingDeliveries", id=made["id"], first=101)

        assert bad_status["data"] is None
        assert "MailingDeliveryStatus" in bad_status["errors"][0]["message"]
        assert bad_cursor == (["BAD_USER_INPUT"], ["Invalid cursor."])
        assert foreign == (["BAD_USER_INPUT"], ["Invalid cursor."])
        assert too_many == (["BAD_USER_INPUT"], ["first must be between 0 and 100."])


class TestDeliveryNode:
    async def test_the_owner_and_admins_see_it_others_not(
        self, runtime: Runtime, ivan: Owner, olga: Owner, boss: Owner, http: httpx.AsyncClient
    ) -> None:
        made = await running_mailing(runtime, ivan, 1)
        [pending] = (await deliveries(ivan, made["id"]))["deliveries"]["nodes"]
        [client] = await ivan.nodes("MailingClients")

        mine = await ivan.query("MailingDeliveryNode", id=pending["id"])
        admins = await boss.query("MailingDeliveryNode", id=pending["id"])
        hers = await olga.query("MailingDeliveryNode", id=pending["id"])
        anonymous = await Caller(http, None).call("MailingDeliveryNode", {"id": pending["id"]})

        assert mine["__typename"] == "MailingDelivery"
        assert {k: mine[k] for k in pending} == pending
        assert mine["mailing"] == {"id": made["id"], "state": "RUNNING"}
        assert mine["client"] == {"id": client["id"], "phoneNumber": phone(1)}
        assert (mine["accountId"], mine["account"]) == (None, None)  # not sent yet
        assert admins["id"] == pending["id"]
        assert hers is None
        assert error_codes(anonymous) == ["UNAUTHENTICATED"]

    @pytest.mark.parametrize(
        "node_id",
        [
            gid("MailingDelivery", 99999),
            gid("MailingDelivery", 2**63),  # past a bigint
            gid("MailingDelivery", "01"),
            gid("MailingDelivery", "-1"),
        ],
        ids=["unknown", "past a bigint", "leading zero", "negative"],
    )
    async def test_ids_of_nothing_are_null(self, ivan: Owner, node_id: str) -> None:
        assert await ivan.query("MailingDeliveryNode", id=node_id) is None


class TestDaytime:
    async def test_created_with_a_window_or_without(self, ivan: Owner) -> None:
        windowed = await ivan.mailing(daytime=NINE_TO_NINE)
        night = await ivan.mailing(daytime={"start": "22:00:00", "end": "06:30:00"})
        anytime = await ivan.mailing()

        assert windowed["daytime"] == {"start": "09:00:00", "end": "21:00:00"}
        assert night["daytime"] == {"start": "22:00:00", "end": "06:30:00"}
        assert anytime["daytime"] is None

    async def test_left_out_it_stays_null_removes_it(self, ivan: Owner) -> None:
        made = await ivan.mailing(daytime=NINE_TO_NINE)

        kept = await ivan.succeeded("UpdateMailing", mailingId=made["id"], messageText="New")
        moved = await ivan.succeeded(
            "UpdateMailing", mailingId=made["id"], daytime={"start": "10:00", "end": "18:00"}
        )
        removed = await ivan.succeeded("UpdateMailing", mailingId=made["id"], daytime=None)
        added = await ivan.succeeded("UpdateMailing", mailingId=made["id"], daytime=NINE_TO_NINE)

        assert kept["mailing"]["daytime"] == {"start": "09:00:00", "end": "21:00:00"}
        assert moved["mailing"]["daytime"] == {"start": "10:00:00", "end": "18:00:00"}
        assert removed["mailing"]["daytime"] is None
        assert added["mailing"]["daytime"] == {"start": "09:00:00", "end": "21:00:00"}

    @pytest.mark.parametrize(
        ("window", "message"),
        [
            (
                {"start": "09:00", "end": "09:00"},
                "The daytime window is empty: its start equals its end.",
            ),
            ({"start": "09:00+03:00", "end": "21:00"}, rules.DAYTIME_OFFSET),
        ],
        ids=["empty", "an offset"],
    )
    async def test_a_bad_window_is_a_field_error(
        self, ivan: Owner, window: dict[str, str], message: str
    ) -> None:
        made = await ivan.mailing()
        fields = {
            "startTime": made["startTime"],
            "endTime": made["endTime"],
            "messageText": "x",
            "filter": {"tag": "vip"},
        }

        created = await ivan.mutate("CreateMailing", **fields, daytime=window)
        updated = await ivan.mutate("UpdateMailing", mailingId=made["id"], daytime=window)

        assert field_errors(created) == {"daytime": [message]}
        assert field_errors(updated) == {"daytime": [message]}
        assert created["message"] == message
        assert [m["daytime"] for m in await ivan.nodes("Mailings")] == [None]

    @pytest.mark.parametrize(
        "window",
        [{"start": "9am", "end": "21:00"}, {"start": "25:00", "end": "21:00"}, {"start": "09:00"}],
        ids=["not a time", "no such hour", "no end"],
    )
    async def test_what_is_no_time_is_refused_by_graphql(
        self, ivan: Owner, window: dict[str, str]
    ) -> None:
        made = await ivan.mailing()

        body = await ivan.call(
            "UpdateMailing", {"input": {"mailingId": made["id"], "daytime": window}}
        )

        [refused] = body["errors"]
        assert body["data"] is None
        assert "has invalid value" in refused["message"], refused
        assert (await ivan.nodes("Mailings"))[0]["daytime"] is None

    async def test_another_owners_mailing_is_not_found(self, ivan: Owner, olga: Owner) -> None:
        made = await ivan.mailing()

        payload = await olga.mutate("UpdateMailing", mailingId=made["id"], daytime=NINE_TO_NINE)

        assert error(payload) == ("NotFoundError", "not_found", NO_MAILING)


class TestCancel:
    async def test_a_scheduled_mailing_never_starts(self, runtime: Runtime, ivan: Owner) -> None:
        made = await open_mailing(ivan, [phone(1)])

        payload = await ivan.succeeded("CancelMailing", mailingId=made["id"])
        await dispatch(runtime).run()

        cancelled = payload["mailing"]
        assert (cancelled["id"], cancelled["state"]) == (made["id"], "CANCELLED")
        assert cancelled["cancelledAt"] is not None
        assert cancelled["finishedAt"] == cancelled["cancelledAt"]
        assert cancelled["startedAt"] is None
        found = await deliveries(ivan, made["id"])
        assert (found["state"], found["stats"]) == ("CANCELLED", ZEROS)

    async def test_a_running_mailings_pending_deliveries_expire(
        self, runtime: Runtime, ivan: Owner
    ) -> None:
        made = await running_mailing(runtime, ivan, 2)

        payload = await ivan.succeeded("CancelMailing", mailingId=made["id"])

        assert payload["mailing"]["state"] == "CANCELLED"
        assert payload["mailing"]["stats"] == ZEROS | {"total": 2, "expired": 2}
        page = (await deliveries(ivan, made["id"], status="EXPIRED"))["deliveries"]
        assert {d["error"] for d in page["nodes"]} == {rules.CANCELLED}

    async def test_cancelling_again_changes_nothing(self, ivan: Owner) -> None:
        made = await ivan.mailing()

        first = await ivan.succeeded("CancelMailing", mailingId=made["id"])
        again = await ivan.succeeded("CancelMailing", mailingId=made["id"])

        assert again["mailing"] == first["mailing"]

    async def test_a_finished_mailing_is_a_conflict(self, runtime: Runtime, ivan: Owner) -> None:
        made = await sent_mailing(runtime, ivan, 1)

        payload = await ivan.mutate("CancelMailing", mailingId=made["id"])

        assert error(payload) == ("ConflictError", "conflict", FINISHED)
        assert (await deliveries(ivan, made["id"]))["state"] == "FINISHED"

    async def test_an_admin_cancels_anyones(self, ivan: Owner, boss: Owner) -> None:
        made = await ivan.mailing()

        payload = await boss.succeeded("CancelMailing", mailingId=made["id"])

        assert payload["mailing"]["state"] == "CANCELLED"

    async def test_another_owners_or_no_mailing_is_not_found(
        self, ivan: Owner, olga: Owner
    ) -> None:
        made = await ivan.mailing()

        hers = await olga.mutate("CancelMailing", mailingId=made["id"])
        nobodys = await ivan.mutate("CancelMailing", mailingId=gid("Mailing", 99999))
        past_integer = await ivan.mutate("CancelMailing", mailingId=gid("Mailing", 2**40))

        assert error(hers) == ("NotFoundError", "not_found", NO_MAILING)
        assert error(nobodys) == error(hers)
        assert error(past_integer) == error(hers)
        assert (await deliveries(ivan, made["id"]))["state"] == "SCHEDULED"

    @pytest.mark.parametrize(
        "mailing_id",
        [gid("MailingClient", 1), "1", gid("Mailing", "x")],
        ids=["another type", "bare number", "not a key"],
    )
    async def test_what_is_no_mailing_id_is_a_field_error(
        self, ivan: Owner, mailing_id: str
    ) -> None:
        payload = await ivan.mutate("CancelMailing", mailingId=mailing_id)

        assert field_errors(payload) == {"mailingId": ["Not a Mailing id."]}

    async def test_anonymous_callers_are_refused(
        self, http: httpx.AsyncClient, ivan: Owner
    ) -> None:
        made = await ivan.mailing()

        payload = await Caller(http, None).mutate("CancelMailing", mailingId=made["id"])

        assert payload == {"refused": ["UNAUTHENTICATED"]}
        assert (await deliveries(ivan, made["id"]))["state"] == "SCHEDULED"
