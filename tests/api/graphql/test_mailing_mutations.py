"""The mailing mutations: clients and mailings made, changed and deleted in the viewer's
workspace; the legacy messages word for word as field errors; another owner's ids are
NotFoundError; only admins create for someone else; anonymous callers are refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.graphql.mailing_support import PHONE_MESSAGE, START, Owner, admin, ids, user
from tests.api.graphql.tracking_support import Caller, field_errors, gid, raw

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

NO_CLIENT = "No MailingClient matches the given query."
NO_MAILING = "No Mailing matches the given query."
TIME = "Datetime value out of range."  # DRF's words, as the REST routes answer
NOBODY = gid("User", "00000000-0000-0000-0000-00000000abcd")
WINDOW = {"startTime": START.isoformat(), "endTime": (START + timedelta(hours=1)).isoformat()}


@pytest.fixture
async def ivan(http: httpx.AsyncClient) -> Owner:
    return await user(http, "ivan")


@pytest.fixture
async def olga(http: httpx.AsyncClient) -> Owner:
    return await user(http, "olga")


@pytest.fixture
async def boss(runtime: Runtime, http: httpx.AsyncClient) -> Owner:
    return await admin(runtime, http)


def error(payload: dict[str, Any]) -> tuple[str, str, str]:
    return payload["__typename"], payload["code"], payload["message"]


class TestCreateClient:
    async def test_defaults_and_the_operator_code(self, ivan: Owner) -> None:
        made = await ivan.mailing_client("79123456789")

        assert {k: made[k] for k in ("phoneNumber", "operatorCode", "tag", "timezone")} == {
            "phoneNumber": "79123456789",
            "operatorCode": "912",
            "tag": "",
            "timezone": "UTC",
        }
        assert (made["ownerId"], made["owner"]["id"]) == (ivan.id, ivan.id)
        assert made["createdAt"] == made["updatedAt"]
        assert ids(await ivan.nodes("MailingClients")) == [made["id"]]

    async def test_every_field(self, ivan: Owner) -> None:
        made = await ivan.mailing_client("79251234567", tag="vip", timezone="Europe/Moscow")

        assert (made["tag"], made["timezone"], made["operatorCode"]) == (
            "vip",
            "Europe/Moscow",
            "925",
        )

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"phoneNumber": "89123456789"}, {"phoneNumber": [PHONE_MESSAGE]}),
            ({"phoneNumber": "7912345678\x00"}, {"phoneNumber": [PHONE_MESSAGE]}),
            (
                {"phoneNumber": "79123456789", "timezone": "Mars/Base"},
                {"timezone": ['"Mars/Base" is not a valid choice.']},
            ),
            (
                {"phoneNumber": "79123456789", "timezone": ""},
                {"timezone": ["This field may not be blank."]},
            ),
            (
                {"phoneNumber": "79123456789", "tag": "x" * 256},
                {"tag": ["Ensure this field has no more than 255 characters."]},
            ),
            (
                {"phoneNumber": "bad", "tag": "a\x00"},
                {"phoneNumber": [PHONE_MESSAGE], "tag": ["Null characters are not allowed."]},
            ),
        ],
        ids=["phone", "NUL phone", "timezone", "blank timezone", "long tag", "two fields"],
    )
    async def test_the_legacy_field_errors(
        self, ivan: Owner, fields: dict[str, Any], expected: dict[str, list[str]]
    ) -> None:
        payload = await ivan.mutate("CreateMailingClient", **fields)

        assert field_errors(payload) == expected
        assert await ivan.nodes("MailingClients") == []

    async def test_a_phone_once_per_owner(self, ivan: Owner, olga: Owner) -> None:
        await ivan.mailing_client("79123456789")

        again = await ivan.mutate("CreateMailingClient", phoneNumber="79123456789")
        theirs = await olga.mailing_client("79123456789")

        assert field_errors(again) == {
            "phoneNumber": ["client with this phone number already exists."]
        }
        assert theirs["ownerId"] == olga.id

    async def test_a_user_names_only_themself(self, ivan: Owner, olga: Owner) -> None:
        for_olga = await ivan.mutate(
            "CreateMailingClient", phoneNumber="79123456789", ownerId=olga.id
        )
        # Nobody's id is refused alike: a user learns nothing of who exists.
        for_nobody = await ivan.mutate(
            "CreateMailingClient", phoneNumber="79123456789", ownerId=NOBODY
        )
        for_me = await ivan.mailing_client("79123456789", ownerId=ivan.id)

        assert error(for_olga) == (
            "PermissionDeniedError",
            "permission_denied",
            "Only admins may create for another user.",
        )
        assert error(for_nobody) == error(for_olga)
        assert for_me["ownerId"] == ivan.id
        assert await olga.nodes("MailingClients") == []

    async def test_an_admin_creates_in_anyones_workspace(self, boss: Owner, ivan: Owner) -> None:
        own = await boss.mailing_client("79123456789")
        for_ivan = await boss.mailing_client("79123456789", ownerId=ivan.id)

        assert own["ownerId"] == boss.id
        assert for_ivan["ownerId"] == ivan.id
        assert ids(await ivan.nodes("MailingClients")) == [for_ivan["id"]]

    async def test_an_unknown_owner_is_not_found(self, boss: Owner) -> None:
        payload = await boss.mutate(
            "CreateMailingClient", phoneNumber="79123456789", ownerId=NOBODY
        )

        assert error(payload) == ("NotFoundError", "not_found", "No User matches the given query.")

    async def test_an_owner_id_of_another_type_is_invalid(self, boss: Owner) -> None:
        payload = await boss.mutate(
            "CreateMailingClient", phoneNumber="79123456789", ownerId=gid("MailingClient", 1)
        )

        assert field_errors(payload) == {"ownerId": ["Not a User id."]}


class TestUpdateClient:
    async def test_a_new_phone_recomputes_the_operator_code(self, ivan: Owner) -> None:
        made = await ivan.mailing_client("79123456789", tag="vip")

        payload = await ivan.succeeded(
            "UpdateMailingClient", mailingClientId=made["id"], phoneNumber="79251234567"
        )

        changed = payload["mailingClient"]
        assert (changed["phoneNumber"], changed["operatorCode"], changed["tag"]) == (
            "79251234567",
            "925",
            "vip",
        )
        assert changed["createdAt"] == made["createdAt"]
        assert datetime.fromisoformat(changed["updatedAt"]) > datetime.fromisoformat(
            made["updatedAt"]
        )

    async def test_fields_left_out_stay(self, ivan: Owner) -> None:
        made = await ivan.mailing_client("79123456789", tag="vip", timezone="Asia/Tokyo")

        payload = await ivan.succeeded("UpdateMailingClient", mailingClientId=made["id"], tag="")

        changed = payload["mailingClient"]
        assert (changed["tag"], changed["timezone"], changed["phoneNumber"]) == (
            "",
            "Asia/Tokyo",
            "79123456789",
        )

    async def test_the_own_phone_again_is_no_conflict(self, ivan: Owner) -> None:
        made = await ivan.mailing_client("79123456789")
        other = await ivan.mailing_client("79120000000")

        same = await ivan.mutate(
            "UpdateMailingClient", mailingClientId=made["id"], phoneNumber="79123456789"
        )
        taken = await ivan.mutate(
            "UpdateMailingClient", mailingClientId=other["id"], phoneNumber="79123456789"
        )

        assert same["__typename"] == "UpdateMailingClientSuccess"
        assert field_errors(taken) == {
            "phoneNumber": ["client with this phone number already exists."]
        }

    async def test_a_bad_field_changes_nothing(self, ivan: Owner) -> None:
        made = await ivan.mailing_client("79123456789")

        payload = await ivan.mutate(
            "UpdateMailingClient", mailingClientId=made["id"], phoneNumber="7", tag="vip"
        )

        assert field_errors(payload) == {"phoneNumber": [PHONE_MESSAGE]}
        assert await ivan.query("MailingClientNode", id=made["id"]) == {
            "__typename": "MailingClient",
            **made,
        }

    async def test_another_owners_client_is_not_found(
        self, ivan: Owner, olga: Owner, boss: Owner
    ) -> None:
        theirs = await olga.mailing_client("79123456789")

        by_ivan = await ivan.mutate("UpdateMailingClient", mailingClientId=theirs["id"], tag="x")
        by_boss = await boss.succeeded(
            "UpdateMailingClient", mailingClientId=theirs["id"], tag="seen"
        )
        missing = await ivan.mutate(
            "UpdateMailingClient", mailingClientId=gid("MailingClient", 2**40), tag="x"
        )

        assert error(by_ivan) == ("NotFoundError", "not_found", NO_CLIENT)
        assert error(missing) == ("NotFoundError", "not_found", NO_CLIENT)
        assert by_boss["mailingClient"]["ownerId"] == olga.id
        [kept] = await olga.nodes("MailingClients")
        assert kept["tag"] == "seen"

    async def test_an_id_of_another_type_is_invalid(self, ivan: Owner) -> None:
        payload = await ivan.mutate("UpdateMailingClient", mailingClientId=gid("Mailing", 1))

        assert field_errors(payload) == {"mailingClientId": ["Not a MailingClient id."]}


class TestDeleteClient:
    async def test_delete(self, ivan: Owner) -> None:
        made = await ivan.mailing_client("79123456789")

        payload = await ivan.succeeded("DeleteMailingClient", mailingClientId=made["id"])
        again = await ivan.mutate("DeleteMailingClient", mailingClientId=made["id"])

        assert payload["mailingClientId"] == made["id"]
        assert error(again) == ("NotFoundError", "not_found", NO_CLIENT)
        assert await ivan.query("MailingClientNode", id=made["id"]) is None

    async def test_another_owners_client_is_not_found(
        self, ivan: Owner, olga: Owner, boss: Owner
    ) -> None:
        theirs = await olga.mailing_client("79123456789")
        other = await olga.mailing_client("79120000000")

        by_ivan = await ivan.mutate("DeleteMailingClient", mailingClientId=theirs["id"])
        by_boss = await boss.mutate("DeleteMailingClient", mailingClientId=other["id"])

        assert error(by_ivan) == ("NotFoundError", "not_found", NO_CLIENT)
        assert by_boss["__typename"] == "DeleteMailingClientSuccess"
        assert ids(await olga.nodes("MailingClients")) == [theirs["id"]]

    async def test_an_id_of_another_type_is_invalid(self, ivan: Owner) -> None:
        payload = await ivan.mutate("DeleteMailingClient", mailingClientId="79123456789")

        assert field_errors(payload) == {"mailingClientId": ["Not a MailingClient id."]}


class TestCreateMailing:
    async def test_kept_as_sent(self, ivan: Owner) -> None:
        made = await ivan.mailing(text="Sale!", filter={"tag": "vip", "operatorCode": "999"})

        assert (made["startTime"], made["endTime"], made["messageText"]) == (
            WINDOW["startTime"],
            WINDOW["endTime"],
            "Sale!",
        )
        assert made["filter"] == {"tag": "vip", "operatorCode": "999"}
        assert (made["ownerId"], made["owner"]["id"]) == (ivan.id, ivan.id)
        assert await ivan.query("MailingNode", id=made["id"]) == {"__typename": "Mailing", **made}

    async def test_a_time_without_offset_is_utc_and_a_past_window_is_taken(
        self, ivan: Owner
    ) -> None:
        payload = await ivan.succeeded(
            "CreateMailing",
            startTime="2001-01-01T09:00:00",
            endTime="2001-01-01T10:00:00",
            messageText="Old",
            filter={"operatorCode": "912"},
        )

        made = payload["mailing"]
        assert (made["startTime"], made["filter"]) == (
            "2001-01-01T09:00:00+00:00",
            {"tag": None, "operatorCode": "912"},
        )

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"endTime": WINDOW["startTime"]}, ["The start date exceeds the end date"]),
            (
                {"filter": {}},
                ["At least one filter parameter (tag or operator_code) must be specified"],
            ),
            (
                {"filter": {"tag": None, "operatorCode": None}},
                ["At least one filter parameter (tag or operator_code) must be specified"],
            ),
            (
                {"endTime": WINDOW["startTime"], "filter": {}},
                ["The start date exceeds the end date"],
            ),
        ],
        ids=["end at start", "no filter", "null filters", "first problem only"],
    )
    async def test_the_legacy_non_field_errors(
        self, ivan: Owner, fields: dict[str, Any], expected: list[str]
    ) -> None:
        given = {**WINDOW, "messageText": "Hi", "filter": {"tag": "vip"}, **fields}

        payload = await ivan.mutate("CreateMailing", **given)

        assert field_errors(payload) == {"nonFieldErrors": expected}
        assert payload["message"] == expected[0]
        assert await ivan.nodes("Mailings") == []

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"messageText": "  "}, {"messageText": ["This field may not be blank."]}),
            ({"messageText": "a\x00"}, {"messageText": ["Null characters are not allowed."]}),
            ({"filter": {"tag": "a\x00"}}, {"filter": ["Null characters are not allowed."]}),
            (
                {"startTime": "0001-01-01T00:00:00+05:00", "endTime": "9999-12-31T23:00:00-05:00"},
                {"startTime": [TIME], "endTime": [TIME]},
            ),
        ],
        ids=["blank text", "NUL text", "NUL filter", "times UTC cannot hold"],
    )
    async def test_field_errors_come_first(
        self, ivan: Owner, fields: dict[str, Any], expected: dict[str, list[str]]
    ) -> None:
        # The window is wrong too: the legacy validate ran only once the fields were valid.
        given = {**WINDOW, "endTime": WINDOW["startTime"], "messageText": "Hi", **fields}
        given.setdefault("filter", {"tag": "vip"})

        payload = await ivan.mutate("CreateMailing", **given)

        assert field_errors(payload) == expected

    async def test_owners(self, ivan: Owner, olga: Owner, boss: Owner) -> None:
        for_olga = await ivan.mutate(
            "CreateMailing", **WINDOW, messageText="Hi", filter={"tag": "x"}, ownerId=olga.id
        )
        by_boss = await boss.mailing(ownerId=olga.id)
        unknown = await boss.mutate(
            "CreateMailing",
            **WINDOW,
            messageText="Hi",
            filter={"tag": "x"},
            ownerId=NOBODY,
        )

        assert error(for_olga)[:2] == ("PermissionDeniedError", "permission_denied")
        assert by_boss["ownerId"] == olga.id
        assert error(unknown) == ("NotFoundError", "not_found", "No User matches the given query.")
        assert ids(await olga.nodes("Mailings")) == [by_boss["id"]]


class TestUpdateMailing:
    async def test_fields_given_change_and_a_new_filter_replaces_the_old(self, ivan: Owner) -> None:
        made = await ivan.mailing(filter={"tag": "vip", "operatorCode": "912"})

        payload = await ivan.succeeded(
            "UpdateMailing", mailingId=made["id"], messageText="New", filter={"tag": "new"}
        )

        changed = payload["mailing"]
        assert (changed["messageText"], changed["filter"], changed["startTime"]) == (
            "New",
            {"tag": "new", "operatorCode": None},
            made["startTime"],
        )

    async def test_checked_as_a_whole(self, ivan: Owner) -> None:
        made = await ivan.mailing()
        too_early = (START - timedelta(hours=1)).isoformat()

        moved = await ivan.mutate("UpdateMailing", mailingId=made["id"], endTime=too_early)
        emptied = await ivan.mutate("UpdateMailing", mailingId=made["id"], filter={})
        blank = await ivan.mutate("UpdateMailing", mailingId=made["id"], messageText="")

        assert field_errors(moved) == {"nonFieldErrors": ["The start date exceeds the end date"]}
        assert field_errors(emptied) == {
            "nonFieldErrors": [
                "At least one filter parameter (tag or operator_code) must be specified"
            ]
        }
        assert field_errors(blank) == {"messageText": ["This field may not be blank."]}
        assert await ivan.query("MailingNode", id=made["id"]) == {"__typename": "Mailing", **made}

    async def test_both_ends_moved_at_once(self, ivan: Owner) -> None:
        made = await ivan.mailing()
        later = START + timedelta(days=1)

        payload = await ivan.succeeded(
            "UpdateMailing",
            mailingId=made["id"],
            startTime=later.isoformat(),
            endTime=(later + timedelta(hours=2)).isoformat(),
        )

        assert payload["mailing"]["startTime"] == later.isoformat()

    async def test_another_owners_mailing_is_not_found(
        self, ivan: Owner, olga: Owner, boss: Owner
    ) -> None:
        theirs = await olga.mailing()

        by_ivan = await ivan.mutate("UpdateMailing", mailingId=theirs["id"], messageText="x")
        by_boss = await boss.succeeded("UpdateMailing", mailingId=theirs["id"], messageText="Hey")
        wrong_type = await ivan.mutate("UpdateMailing", mailingId=gid("MailingClient", 1))

        assert error(by_ivan) == ("NotFoundError", "not_found", NO_MAILING)
        assert by_boss["mailing"]["messageText"] == "Hey"
        assert field_errors(wrong_type) == {"mailingId": ["Not a Mailing id."]}


class TestDeleteMailing:
    async def test_delete(self, ivan: Owner, olga: Owner) -> None:
        made = await ivan.mailing()
        theirs = await olga.mailing()

        by_olga = await olga.mutate("DeleteMailing", mailingId=made["id"])
        payload = await ivan.succeeded("DeleteMailing", mailingId=made["id"])
        again = await ivan.mutate("DeleteMailing", mailingId=made["id"])
        past_integers = await ivan.mutate("DeleteMailing", mailingId=gid("Mailing", 2**40))

        assert error(by_olga) == ("NotFoundError", "not_found", NO_MAILING)
        assert payload["mailingId"] == made["id"]
        assert error(again) == ("NotFoundError", "not_found", NO_MAILING)
        assert error(past_integers) == ("NotFoundError", "not_found", NO_MAILING)
        assert await ivan.nodes("Mailings") == []
        assert ids(await olga.nodes("Mailings")) == [theirs["id"]]

    async def test_an_admin_deletes_anyones(self, olga: Owner, boss: Owner) -> None:
        theirs = await olga.mailing()

        await boss.succeeded("DeleteMailing", mailingId=theirs["id"])

        assert await olga.nodes("Mailings") == []


class TestAnonymous:
    @pytest.mark.parametrize(
        ("name", "fields"),
        [
            ("CreateMailingClient", {"phoneNumber": "79123456789"}),
            ("UpdateMailingClient", {"mailingClientId": "x"}),
            ("DeleteMailingClient", {"mailingClientId": "x"}),
            ("CreateMailing", {**WINDOW, "messageText": "Hi", "filter": {"tag": "x"}}),
            ("UpdateMailing", {"mailingId": "x"}),
            ("DeleteMailing", {"mailingId": "x"}),
        ],
    )
    async def test_refused(
        self, http: httpx.AsyncClient, ivan: Owner, name: str, fields: dict[str, Any]
    ) -> None:
        anonymous = Caller(http, None)

        assert await anonymous.mutate(name, **fields) == {"refused": ["UNAUTHENTICATED"]}
        assert await ivan.nodes("MailingClients") == []
        assert await ivan.nodes("Mailings") == []

    async def test_an_anonymous_delete_leaves_the_row(
        self, http: httpx.AsyncClient, ivan: Owner
    ) -> None:
        made = await ivan.mailing_client("79123456789")

        refused = await Caller(http, None).mutate("DeleteMailingClient", mailingClientId=made["id"])

        assert refused == {"refused": ["UNAUTHENTICATED"]}
        assert raw(made["id"]) > 0
        assert ids(await ivan.nodes("MailingClients")) == [made["id"]]
