"""The mailing connections and lookups: a user sees their own clients and mailings, admins
every owner's, anonymous callers nothing; pages both ways with stable cursors; filters;
``node``; the owner; a legacy integer filter shown as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.access import Guest
from domain.mailing import service as mailing
from schema.relay import encode_cursor
from tests.api.graphql.factories import error_codes
from tests.api.graphql.mailing_support import START, Owner, admin, ids, user
from tests.api.graphql.tracking_support import Caller, gid, raw
from tests.integration.mailing.scene import SYSTEM

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime


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


async def phones(ivan: Owner, count: int) -> list[dict[str, Any]]:
    return [await ivan.mailing_client(f"7912000000{n}") for n in range(count)]


class TestClientPages:
    async def test_forward_by_id(self, ivan: Owner) -> None:
        made = await phones(ivan, 5)

        first = await ivan.query("MailingClients", first=2)
        second = await ivan.query("MailingClients", first=2, after=first["pageInfo"]["endCursor"])
        third = await ivan.query("MailingClients", first=2, after=second["pageInfo"]["endCursor"])

        assert first["totalCount"] == 5
        assert [ids(p["nodes"]) for p in (first, second, third)] == [
            ids(made[:2]),
            ids(made[2:4]),
            ids(made[4:]),
        ]
        assert [
            (p["pageInfo"]["hasPreviousPage"], p["pageInfo"]["hasNextPage"])
            for p in (first, second, third)
        ] == [(False, True), (True, True), (True, False)]
        assert first["nodes"][0] == made[0]

    async def test_backward_from_the_end(self, ivan: Owner) -> None:
        made = await phones(ivan, 5)

        last = await ivan.query("MailingClients", last=2)
        before = await ivan.query("MailingClients", last=2, before=last["pageInfo"]["startCursor"])
        start = await ivan.query("MailingClients", last=2, before=before["pageInfo"]["startCursor"])

        assert [ids(p["nodes"]) for p in (last, before, start)] == [
            ids(made[3:]),
            ids(made[1:3]),
            ids(made[:1]),
        ]
        assert [
            (p["pageInfo"]["hasPreviousPage"], p["pageInfo"]["hasNextPage"])
            for p in (last, before, start)
        ] == [(True, False), (True, True), (False, True)]

    async def test_a_cursor_names_one_position_in_both_directions(self, ivan: Owner) -> None:
        """The cursor of a row is the same on every page, so a client may turn round on it."""
        made = await phones(ivan, 4)
        everything = await ivan.query("MailingClients", first=10)
        cursors = [edge["cursor"] for edge in everything["edges"]]

        forward = await ivan.query("MailingClients", first=1, after=cursors[1])
        backward = await ivan.query("MailingClients", last=1, before=cursors[2])
        between = await ivan.query("MailingClients", after=cursors[0], before=cursors[3])

        assert [edge["cursor"] for edge in forward["edges"]] == [cursors[2]]
        assert [edge["cursor"] for edge in backward["edges"]] == [cursors[1]]
        assert ids(between["nodes"]) == ids(made[1:3])

    async def test_new_rows_do_not_move_a_page(self, ivan: Owner) -> None:
        made = await phones(ivan, 3)
        first = await ivan.query("MailingClients", first=2)
        later = await ivan.mailing_client("79250000000")

        rest = await ivan.query("MailingClients", first=2, after=first["pageInfo"]["endCursor"])

        assert ids(rest["nodes"]) == [made[2]["id"], later["id"]]

    @pytest.mark.parametrize(
        ("variables", "message"),
        [
            ({"first": 2, "last": 2}, "Give first or last, not both."),
            ({"first": 101}, "first must be between 0 and 100."),
            ({"last": -1}, "last must be between 0 and 100."),
            ({"after": "bm9wZQ"}, "Invalid cursor."),
            ({"last": 1, "before": cursor("x")}, "Invalid cursor."),
            ({"after": cursor("1", "2")}, "Invalid cursor."),
        ],
        ids=["both sizes", "first too big", "last negative", "not a cursor", "text", "two parts"],
    )
    async def test_bad_pages_are_refused(
        self, ivan: Owner, variables: dict[str, Any], message: str
    ) -> None:
        codes, messages = await ivan.refused("MailingClients", **variables)

        assert (codes, messages) == (["BAD_USER_INPUT"], [message])


class TestClientFilters:
    async def test_tag_operator_and_phone_prefix(self, ivan: Owner) -> None:
        vip = await ivan.mailing_client("79121110000", tag="vip")
        plain = await ivan.mailing_client("79121110001")
        elsewhere = await ivan.mailing_client("79251110000", tag="vip")

        by_tag = await ivan.nodes("MailingClients", filter={"tag": "vip"})
        untagged = await ivan.nodes("MailingClients", filter={"tag": ""})
        by_operator = await ivan.nodes("MailingClients", filter={"operatorCode": "912"})
        both = await ivan.nodes("MailingClients", filter={"tag": "vip", "operatorCode": "912"})
        by_prefix = await ivan.nodes("MailingClients", filter={"phoneNumberPrefix": "7925"})
        pattern = await ivan.nodes("MailingClients", filter={"phoneNumberPrefix": "7_2%"})

        assert ids(by_tag) == [vip["id"], elsewhere["id"]]
        assert ids(untagged) == [plain["id"]]
        assert ids(by_operator) == [vip["id"], plain["id"]]
        assert ids(both) == [vip["id"]]
        assert ids(by_prefix) == [elsewhere["id"]]
        assert pattern == []

    async def test_owners(self, ivan: Owner, olga: Owner, boss: Owner) -> None:
        mine = await ivan.mailing_client("79120000001")
        theirs = await olga.mailing_client("79120000002")

        assert ids(await ivan.nodes("MailingClients")) == [mine["id"]]
        assert await ivan.nodes("MailingClients", filter={"ownerId": olga.id}) == []
        assert ids(await boss.nodes("MailingClients")) == [mine["id"], theirs["id"]]
        of_olga = await boss.query("MailingClients", first=10, filter={"ownerId": olga.id})
        assert (ids(of_olga["nodes"]), of_olga["totalCount"]) == ([theirs["id"]], 1)

    @pytest.mark.parametrize(
        ("filter", "message"),
        [
            ({"ownerId": gid("MailingClient", 1)}, "Not a User id."),
            ({"tag": "a\x00b"}, "Null characters are not allowed."),
        ],
        ids=["owner of another type", "NUL"],
    )
    async def test_bad_filters_are_refused(
        self, ivan: Owner, filter: dict[str, Any], message: str
    ) -> None:
        codes, messages = await ivan.refused("MailingClients", first=5, filter=filter)

        assert (codes, messages) == (["BAD_USER_INPUT"], [message])


class TestMailings:
    async def test_newest_start_first_both_ways(self, ivan: Owner) -> None:
        early = await ivan.mailing(start=START - timedelta(days=1))
        late = await ivan.mailing(start=START + timedelta(days=1))
        tie_old = await ivan.mailing()
        tie_new = await ivan.mailing()
        order = ids([late, tie_new, tie_old, early])

        first = await ivan.query("Mailings", first=3)
        rest = await ivan.query("Mailings", first=3, after=first["pageInfo"]["endCursor"])
        last = await ivan.query("Mailings", last=2)
        back = await ivan.query("Mailings", last=2, before=last["pageInfo"]["startCursor"])

        assert (ids(first["nodes"]), first["totalCount"]) == (order[:3], 4)
        assert (ids(rest["nodes"]), rest["pageInfo"]["hasNextPage"]) == (order[3:], False)
        assert ids(last["nodes"]) == order[2:]
        assert (ids(back["nodes"]), back["pageInfo"]["hasPreviousPage"]) == (order[:2], False)

    async def test_active_is_the_window_open_now(self, ivan: Owner) -> None:
        now = datetime.now(UTC)
        over = await ivan.mailing(start=now - timedelta(days=2))
        open_now = await ivan.mailing(start=now - timedelta(hours=1), hours=2)
        coming = await ivan.mailing(start=now + timedelta(days=2))

        active = await ivan.nodes("Mailings", filter={"active": True})
        inactive = await ivan.nodes("Mailings", filter={"active": False})

        assert ids(active) == [open_now["id"]]
        assert ids(inactive) == [coming["id"], over["id"]]

    async def test_owners(self, ivan: Owner, olga: Owner, boss: Owner) -> None:
        mine = await ivan.mailing()
        theirs = await olga.mailing(start=START + timedelta(hours=1))

        assert ids(await ivan.nodes("Mailings")) == [mine["id"]]
        assert await ivan.nodes("Mailings", filter={"ownerId": olga.id}) == []
        assert ids(await boss.nodes("Mailings")) == [theirs["id"], mine["id"]]
        assert ids(await boss.nodes("Mailings", filter={"ownerId": ivan.id})) == [mine["id"]]

    async def test_the_filter_is_typed(self, runtime: Runtime, ivan: Owner) -> None:
        """A number a legacy client stored is shown as its digits; a filter not given is null."""
        async with runtime.uow() as uow:
            legacy = await mailing.create_mailing(
                uow,
                actor=SYSTEM,
                start_time=START,
                end_time=START + timedelta(hours=1),
                message_text="Hi",
                filter_params={"operator_code": 999},
                owner_id=ivan.user_id,
            )
        made = await ivan.mailing(filter={"tag": "", "operatorCode": "912"})

        [shown] = [m for m in await ivan.nodes("Mailings") if m["id"] == gid("Mailing", legacy.id)]

        assert shown["filter"] == {"tag": None, "operatorCode": "999"}
        assert made["filter"] == {"tag": "", "operatorCode": "912"}

    async def test_bad_pages_are_refused(self, ivan: Owner) -> None:
        bad_time = await ivan.refused("Mailings", after=cursor("yesterday", "1"))
        no_utc = await ivan.refused(
            "Mailings", last=1, before=cursor("0001-01-01T00:00+05:00", "1")
        )
        owner = await ivan.refused("Mailings", filter={"ownerId": "nope"})

        assert bad_time == (["BAD_USER_INPUT"], ["Invalid cursor."])
        assert no_utc == (["BAD_USER_INPUT"], ["Invalid cursor."])
        assert owner == (["BAD_USER_INPUT"], ["Not a User id."])


class TestLookups:
    async def test_node_answers_what_the_viewer_sees(
        self, ivan: Owner, olga: Owner, boss: Owner
    ) -> None:
        client = await ivan.mailing_client("79120000001")
        made = await ivan.mailing()

        for name, thing in (("MailingClientNode", client), ("MailingNode", made)):
            assert await ivan.query(name, id=thing["id"]) == {
                "__typename": name.removesuffix("Node"),
                **thing,
            }
            assert await boss.query(name, id=thing["id"]) is not None
            assert await olga.query(name, id=thing["id"]) is None

    async def test_unknown_and_foreign_ids_are_null(self, ivan: Owner) -> None:
        client = await ivan.mailing_client("79120000001")
        key = raw(client["id"])

        for found in (
            gid("MailingClient", key + 1000),
            gid("MailingClient", 2**40),
            gid("MailingClient", "x"),
            gid("Mailing", key),
        ):
            assert await ivan.query("MailingClientNode", id=found) is None

    async def test_the_owner_is_a_user(self, ivan: Owner, boss: Owner) -> None:
        client = await ivan.mailing_client("79120000001")

        assert client["ownerId"] == ivan.id
        assert client["owner"]["id"] == ivan.id
        shown = await boss.query("MailingClientNode", id=client["id"])
        assert shown["owner"] == client["owner"]

    async def test_the_guests_workspace_has_no_visible_owner(
        self, runtime: Runtime, boss: Owner
    ) -> None:
        async with runtime.uow() as uow:
            made = await mailing.create_client(
                uow, actor=Guest(mailing.GROUP), phone_number="79120000001"
            )

        shown = await boss.query("MailingClientNode", id=gid("MailingClient", made.id))

        assert shown["owner"] is None
        assert shown["ownerId"] == gid("User", made.owner_id)


class TestAnonymous:
    @pytest.mark.parametrize("name", ["MailingClients", "Mailings"])
    async def test_lists_are_refused(self, http: httpx.AsyncClient, name: str) -> None:
        body = await Caller(http, None).call(name, {"first": 5})

        assert error_codes(body) == ["UNAUTHENTICATED"]

    async def test_node_is_refused(self, http: httpx.AsyncClient, ivan: Owner) -> None:
        client = await ivan.mailing_client("79120000001")

        body = await Caller(http, None).call("MailingClientNode", {"id": client["id"]})

        assert error_codes(body) == ["UNAUTHENTICATED"]
