"""Tracking mutations over GraphQL (admins): trackers, their settings, clients and tracked
users; each mutation's success, its validation and id errors, slot refusals, not found, and
who may call it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.graphql.tracking_support import (
    Caller,
    admin_caller,
    api_credentials,
    field_errors,
    fresh_phone,
    fresh_telegram_id,
    gid,
    user_caller,
)

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    return await admin_caller(runtime, http)


def not_found(payload: dict[str, Any], type_name: str) -> None:
    assert payload["__typename"] == "NotFoundError", payload
    assert (payload["code"], payload["message"]) == (
        "not_found",
        f"No {type_name} matches the given query.",
    )


def refused_variables(body: dict[str, Any]) -> bool:
    """GraphQL itself refused the variables: no data, the error names the variable."""
    [error] = body["errors"]
    return body.get("data") is None and "has invalid value" in error["message"]


def conflict(payload: dict[str, Any], code: str) -> str:
    assert payload["__typename"] == "ConflictError", payload
    assert payload["code"] == code
    message: str = payload["message"]
    return message


# Ids an input may get wrong in form (each a ValidationError on the field), for a Tracker id.
def wrong_ids(type_name: str) -> list[Any]:
    return [
        pytest.param(gid("TrackingClient" if type_name != "TrackingClient" else "Tracker", 1),
                     id="another_type"),
        pytest.param("1", id="a_bare_number"),
        pytest.param(gid(type_name, "abc"), id="not_a_number"),
        pytest.param(gid(type_name, "007"), id="not_canonical"),
        pytest.param("not an id at all", id="text"),
    ]  # fmt: skip


class TestTrackers:
    async def test_create_shows_the_tracker_but_never_its_api_hash(self, admin: Caller) -> None:
        credentials = api_credentials()
        telegram_id = fresh_telegram_id()
        payload = await admin.succeeded(
            "CreateTracker", telegramId=str(telegram_id), isActive=True, **credentials
        )
        tracker = payload["tracker"]
        assert tracker["id"].startswith("VHJhY2tlcj")  # base64("Tracker:…")
        assert {k: tracker[k] for k in ("telegramId", "apiId", "isActive", "isAuth")} == {
            "telegramId": str(telegram_id),
            "apiId": credentials["apiId"],
            "isActive": True,
            "isAuth": False,
        }
        # Without a setting: no phone, no slots, no Telegram account yet.
        assert [tracker[k] for k in ("setting", "phoneNumber", "maxUsers", "currentUsers")] == [
            None,
            None,
            None,
            None,
        ]
        assert tracker["telegramAccountId"] is None
        node = (await admin.call("TrackerNode", {"id": tracker["id"]}))["data"]["node"]
        assert node == {"__typename": "Tracker", **tracker}
        assert credentials["apiHash"] not in json.dumps(admin.bodies)

    async def test_create_refuses_blank_and_taken_values(self, admin: Caller) -> None:
        blank = await admin.mutate("CreateTracker", telegramId="1", apiId=1, apiHash="   ")
        assert field_errors(blank) == {"apiHash": ["This field may not be blank."]}

        first = await admin.tracker()
        again = await admin.mutate(
            "CreateTracker", telegramId=first["telegramId"], **api_credentials()
        )
        assert field_errors(again) == {
            "telegramId": ["tracker account with this telegram id already exists."]
        }
        same_api = await admin.mutate(
            "CreateTracker", telegramId=str(fresh_telegram_id()), apiId=first["apiId"],
            apiHash=api_credentials()["apiHash"],
        )  # fmt: skip
        assert field_errors(same_api) == {
            "apiId": ["tracker account with this api id already exists."]
        }

    async def test_a_telegram_id_past_64_bits_is_refused_by_graphql(self, admin: Caller) -> None:
        body = await admin.call(
            "CreateTracker", {"input": {"telegramId": str(2**63), **api_credentials()}}
        )
        assert refused_variables(body)

    async def test_update_changes_the_fields_given(self, admin: Caller) -> None:
        tracker = await admin.tracker()
        payload = await admin.succeeded(
            "UpdateTracker", trackerId=tracker["id"], isActive=True, isAuth=True
        )
        changed = payload["tracker"]
        assert (changed["isActive"], changed["isAuth"]) == (True, True)
        assert changed["telegramId"] == tracker["telegramId"]
        assert changed["updatedAt"] >= tracker["updatedAt"]

        new_hash = api_credentials()["apiHash"]
        await admin.succeeded("UpdateTracker", trackerId=tracker["id"], apiHash=new_hash)
        assert new_hash not in json.dumps(admin.bodies)

    async def test_update_validates_and_finds(self, admin: Caller) -> None:
        tracker = await admin.tracker()
        blank = await admin.mutate("UpdateTracker", trackerId=tracker["id"], apiHash="")
        assert field_errors(blank) == {"apiHash": ["This field may not be blank."]}
        not_found(await admin.mutate("UpdateTracker", trackerId=gid("Tracker", 2**31)), "Tracker")
        not_found(await admin.mutate("UpdateTracker", trackerId=gid("Tracker", 10**19)), "Tracker")

    @pytest.mark.parametrize("bad_id", wrong_ids("Tracker"))
    async def test_wrong_form_ids_are_validation_errors(self, admin: Caller, bad_id: str) -> None:
        for name in ("UpdateTracker", "DeleteTracker"):
            payload = await admin.mutate(name, trackerId=bad_id)
            assert field_errors(payload) == {"trackerId": ["Not a Tracker id."]}, name
        payload = await admin.mutate(
            "CreateTrackerSetting", trackerId=bad_id, phoneNumber=fresh_phone()
        )
        assert field_errors(payload) == {"trackerId": ["Not a Tracker id."]}

    async def test_delete_moves_its_users_to_the_others_first(self, admin: Caller) -> None:
        leaving = await admin.ready_tracker(max_users=5)
        client = await admin.client()
        watched = [await admin.tracked(client, f"user{i}") for i in range(2)]
        staying = await admin.ready_tracker(max_users=5)

        payload = await admin.succeeded("DeleteTracker", trackerId=leaving["id"])

        assert payload["trackerId"] == leaving["id"]
        assert (await admin.call("TrackerNode", {"id": leaving["id"]}))["data"]["node"] is None
        moved = await admin.nodes("TrackedUsers")
        assert {t["id"]: t["trackerId"] for t in moved} == {t["id"]: staying["id"] for t in watched}
        node = (await admin.call("TrackerNode", {"id": staying["id"]}))["data"]["node"]
        assert node["currentUsers"] == 2

    async def test_delete_refuses_when_its_users_do_not_fit(self, admin: Caller) -> None:
        leaving = await admin.ready_tracker(max_users=5)
        client = await admin.client()
        await admin.tracked(client, "first")
        await admin.tracked(client, "second")
        await admin.ready_tracker(max_users=1)

        payload = await admin.mutate("DeleteTracker", trackerId=leaving["id"])

        message = conflict(payload, "not_enough_slots")
        assert message == "Недостаточно свободных слотов, чтобы перевесить всех TrackedUser."
        node = (await admin.call("TrackerNode", {"id": leaving["id"]}))["data"]["node"]
        assert node["currentUsers"] == 2

    async def test_delete_an_unknown_tracker(self, admin: Caller) -> None:
        not_found(await admin.mutate("DeleteTracker", trackerId=gid("Tracker", 99999)), "Tracker")


class TestTrackerSettings:
    async def test_create_links_the_tracker_to_its_phones_telegram_account(
        self, admin: Caller
    ) -> None:
        tracker = await admin.tracker()
        phone = fresh_phone()
        payload = await admin.succeeded(
            "CreateTrackerSetting", trackerId=tracker["id"], phoneNumber=phone, maxUsers=3
        )
        setting, linked = payload["setting"], payload["tracker"]
        assert {
            k: setting[k] for k in ("trackerId", "phoneNumber", "maxUsers", "currentUsers")
        } == {
            "trackerId": tracker["id"],
            "phoneNumber": phone,
            "maxUsers": 3,
            "currentUsers": 0,
        }
        assert (linked["phoneNumber"], linked["maxUsers"], linked["currentUsers"]) == (phone, 3, 0)
        assert linked["setting"] == setting
        assert linked["telegramAccountId"] is not None
        account = (await admin.call("TelegramAccounts", {"first": 10}))["data"]["telegramAccounts"]
        assert [a["id"] for a in account["nodes"]] == [linked["telegramAccountId"]]
        assert [a["phone"] for a in account["nodes"]] == [phone]
        node = (await admin.call("TrackingNode", {"id": setting["id"]}))["data"]["node"]
        assert node == {"__typename": "TrackerSetting", **setting}

    async def test_create_validates(self, admin: Caller) -> None:
        tracker = await admin.tracker()
        payload = await admin.mutate(
            "CreateTrackerSetting", trackerId=tracker["id"], phoneNumber="", maxUsers=-1
        )
        assert field_errors(payload) == {
            "phoneNumber": ["This field may not be blank."],
            "maxUsers": ["Ensure this value is greater than or equal to 0."],
        }
        taken = await admin.ready_tracker()
        again = await admin.mutate(
            "CreateTrackerSetting", trackerId=tracker["id"], phoneNumber=taken["phoneNumber"]
        )
        assert "phoneNumber" in field_errors(again)
        second = await admin.mutate(
            "CreateTrackerSetting", trackerId=taken["id"], phoneNumber=fresh_phone()
        )
        assert field_errors(second) == {
            "trackerId": ["tracker setting with this tracker account already exists."]
        }

    async def test_credentials_telegram_cannot_use_are_the_inputs_whole_concern(
        self, admin: Caller
    ) -> None:
        tracker = await admin.tracker(apiHash="not-hexadecimal")
        payload = await admin.mutate(
            "CreateTrackerSetting", trackerId=tracker["id"], phoneNumber=fresh_phone()
        )
        assert field_errors(payload) == {
            "nonFieldErrors": [
                "The tracker's api_hash is the 32 hexadecimal digits my.telegram.org shows."
            ]
        }

    async def test_create_for_an_unknown_tracker(self, admin: Caller) -> None:
        payload = await admin.mutate(
            "CreateTrackerSetting", trackerId=gid("Tracker", 99999), phoneNumber=fresh_phone()
        )
        not_found(payload, "Tracker")

    async def test_update_and_delete(self, admin: Caller) -> None:
        tracker = await admin.ready_tracker(max_users=2)
        setting_id = tracker["setting"]["id"]
        phone = fresh_phone()
        payload = await admin.succeeded(
            "UpdateTrackerSetting", settingId=setting_id, maxUsers=7, phoneNumber=phone
        )
        assert (payload["setting"]["maxUsers"], payload["setting"]["phoneNumber"]) == (7, phone)
        assert payload["tracker"]["maxUsers"] == 7
        # The new phone has an account of its own now.
        assert payload["tracker"]["telegramAccountId"] != tracker["telegramAccountId"]

        invalid = await admin.mutate("UpdateTrackerSetting", settingId=setting_id, maxUsers=-5)
        assert field_errors(invalid) == {
            "maxUsers": ["Ensure this value is greater than or equal to 0."]
        }

        deleted = await admin.succeeded("DeleteTrackerSetting", settingId=setting_id)
        assert deleted["settingId"] == setting_id
        node = (await admin.call("TrackerNode", {"id": tracker["id"]}))["data"]["node"]
        assert (node["setting"], node["maxUsers"]) == (None, None)
        assert node["telegramAccountId"] == payload["tracker"]["telegramAccountId"]

    @pytest.mark.parametrize("name", ["UpdateTrackerSetting", "DeleteTrackerSetting"])
    async def test_unknown_and_wrong_ids(self, admin: Caller, name: str) -> None:
        not_found(
            await admin.mutate(name, settingId=gid("TrackerSetting", 99999)), "TrackerSetting"
        )
        tracker = await admin.ready_tracker()
        wrong = await admin.mutate(
            name, settingId=tracker["id"]
        )  # the tracker's, not its setting's
        assert field_errors(wrong) == {"settingId": ["Not a TrackerSetting id."]}


class TestTrackingClients:
    async def test_create_with_defaults_and_with_values(self, admin: Caller) -> None:
        telegram_id = str(fresh_telegram_id())
        plain = await admin.client(telegramId=telegram_id)
        assert {k: v for k, v in plain.items() if k not in {"id", "createdAt", "updatedAt"}} == {
            "telegramId": telegram_id,
            "role": "USER",
            "maxUsers": 5,
            "currentUsers": 0,
            "timezone": "UTC",
            "theme": "LIGHT",
        }
        vip = await admin.client(role="VIP", theme="DARK", maxUsers=50, timezone="Europe/Moscow")
        assert (vip["role"], vip["theme"], vip["maxUsers"], vip["timezone"]) == (
            "VIP",
            "DARK",
            50,
            "Europe/Moscow",
        )
        node = (await admin.call("TrackingNode", {"id": vip["id"]}))["data"]["node"]
        assert node == {"__typename": "TrackingClient", **vip}

    async def test_create_validates(self, admin: Caller) -> None:
        payload = await admin.mutate(
            "CreateTrackingClient", telegramId="5", maxUsers=-1, timezone=" "
        )
        assert field_errors(payload) == {
            "maxUsers": ["Ensure this value is greater than or equal to 0."],
            "timezone": ["This field may not be blank."],
        }
        first = await admin.client()
        again = await admin.mutate("CreateTrackingClient", telegramId=first["telegramId"])
        assert field_errors(again) == {
            "telegramId": ["telegram user with this telegram id already exists."]
        }
        wrong_role = {"input": {"telegramId": "6", "role": "OWNER"}}
        assert refused_variables(await admin.call("CreateTrackingClient", wrong_role))

    async def test_update(self, admin: Caller) -> None:
        client = await admin.client()
        payload = await admin.succeeded(
            "UpdateTrackingClient", clientId=client["id"], role="BANNED", maxUsers=0
        )
        assert (payload["client"]["role"], payload["client"]["maxUsers"]) == ("BANNED", 0)
        assert payload["client"]["theme"] == "LIGHT"
        invalid = await admin.mutate("UpdateTrackingClient", clientId=client["id"], timezone="")
        assert field_errors(invalid) == {"timezone": ["This field may not be blank."]}

    async def test_delete_takes_their_tracked_users_and_frees_the_slots(
        self, admin: Caller
    ) -> None:
        tracker = await admin.ready_tracker(max_users=3)
        client = await admin.client()
        tracked = await admin.tracked(client, "durov")

        payload = await admin.succeeded("DeleteTrackingClient", clientId=client["id"])

        assert payload["clientId"] == client["id"]
        for node_id in (client["id"], tracked["id"]):
            assert (await admin.call("TrackingNode", {"id": node_id}))["data"]["node"] is None
        node = (await admin.call("TrackerNode", {"id": tracker["id"]}))["data"]["node"]
        assert node["currentUsers"] == 0

    @pytest.mark.parametrize("name", ["UpdateTrackingClient", "DeleteTrackingClient"])
    async def test_unknown_and_wrong_ids(self, admin: Caller, name: str) -> None:
        not_found(await admin.mutate(name, clientId=gid("TrackingClient", 99999)), "TrackingClient")
        wrong = await admin.mutate(name, clientId=gid("Tracker", 1))
        assert field_errors(wrong) == {"clientId": ["Not a TrackingClient id."]}


class TestTrackedUsers:
    async def test_create_takes_the_least_loaded_tracker_and_moves_both_counters(
        self, admin: Caller
    ) -> None:
        busy = await admin.ready_tracker(max_users=10)
        client = await admin.client()
        await admin.tracked(client, "first", trackerId=busy["id"])
        quiet = await admin.ready_tracker(max_users=10)

        tracked = await admin.tracked(client, "second", visibleOnline=False)

        assert {k: tracked[k] for k in ("username", "visibleOnline", "hiddenReason")} == {
            "username": "second",
            "visibleOnline": False,
            "hiddenReason": None,
        }
        assert (tracked["trackerId"], tracked["clientId"]) == (quiet["id"], client["id"])
        client_now = (await admin.call("TrackingNode", {"id": client["id"]}))["data"]["node"]
        assert client_now["currentUsers"] == 2
        for tracker in (busy, quiet):
            node = (await admin.call("TrackerNode", {"id": tracker["id"]}))["data"]["node"]
            assert node["currentUsers"] == 1
        node = (await admin.call("TrackingNode", {"id": tracked["id"]}))["data"]["node"]
        assert node == {"__typename": "TrackedUser", **tracked}

    async def test_create_validates_the_username(self, admin: Caller) -> None:
        await admin.ready_tracker()
        client = await admin.client()
        blank = await admin.mutate("CreateTrackedUser", clientId=client["id"], username=" ")
        assert field_errors(blank) == {"username": ["This field may not be blank."]}
        long = await admin.mutate("CreateTrackedUser", clientId=client["id"], username="x" * 33)
        assert field_errors(long) == {
            "username": ["Ensure this field has no more than 32 characters."]
        }

    async def test_create_with_unknown_or_wrong_ids(self, admin: Caller) -> None:
        tracker = await admin.ready_tracker()
        client = await admin.client()
        unknown_client = await admin.mutate(
            "CreateTrackedUser", clientId=gid("TrackingClient", 99999), username="x"
        )
        not_found(unknown_client, "TrackingClient")
        unknown_tracker = await admin.mutate(
            "CreateTrackedUser", clientId=client["id"], username="x",
            trackerId=gid("Tracker", 99999),
        )  # fmt: skip
        not_found(unknown_tracker, "Tracker")
        swapped = await admin.mutate(
            "CreateTrackedUser", clientId=tracker["id"], username="x", trackerId=client["id"]
        )
        assert field_errors(swapped) == {"clientId": ["Not a TrackingClient id."]}
        wrong_tracker = await admin.mutate(
            "CreateTrackedUser", clientId=client["id"], username="x", trackerId=client["id"]
        )
        assert field_errors(wrong_tracker) == {"trackerId": ["Not a Tracker id."]}

    async def test_slot_refusals(self, admin: Caller) -> None:
        full = await admin.ready_tracker(max_users=1)
        client = await admin.client(maxUsers=1)
        await admin.tracked(client, "first")

        over_limit = await admin.mutate("CreateTrackedUser", clientId=client["id"], username="b")
        assert conflict(over_limit, "tracking_user_limit") == (
            "Лимит отслеживаемых пользователей для данного TelegramUser исчерпан."
        )
        roomy = await admin.client()
        no_tracker = await admin.mutate("CreateTrackedUser", clientId=roomy["id"], username="c")
        assert conflict(no_tracker, "no_free_tracker") == (
            "Не удалось найти свободный аккаунт для привязки."
        )
        asked = await admin.mutate(
            "CreateTrackedUser", clientId=roomy["id"], username="c", trackerId=full["id"]
        )
        conflict(asked, "no_free_tracker")

    async def test_update_and_move_to_another_tracker(self, admin: Caller) -> None:
        first = await admin.ready_tracker(max_users=1)
        client = await admin.client()
        tracked = await admin.tracked(client, "durov")
        second = await admin.ready_tracker(max_users=1)

        payload = await admin.succeeded(
            "UpdateTrackedUser", trackedUserId=tracked["id"], username="pavel",
            visibleOnline=False, trackerId=second["id"],
        )  # fmt: skip

        changed = payload["trackedUser"]
        assert (changed["username"], changed["visibleOnline"]) == ("pavel", False)
        assert changed["trackerId"] == second["id"]
        counts = [
            (await admin.call("TrackerNode", {"id": t["id"]}))["data"]["node"]["currentUsers"]
            for t in (first, second)
        ]
        assert counts == [0, 1]

        other = await admin.tracked(client, "other")  # on the first, the only one free
        full = await admin.mutate(
            "UpdateTrackedUser", trackedUserId=other["id"], trackerId=second["id"]
        )
        conflict(full, "no_free_tracker")
        blank = await admin.mutate("UpdateTrackedUser", trackedUserId=other["id"], username="")
        assert field_errors(blank) == {"username": ["This field may not be blank."]}
        unknown_tracker = await admin.mutate(
            "UpdateTrackedUser", trackedUserId=other["id"], trackerId=gid("Tracker", 99999)
        )
        not_found(unknown_tracker, "Tracker")

    async def test_delete_frees_both_slots(self, admin: Caller) -> None:
        tracker = await admin.ready_tracker()
        client = await admin.client()
        tracked = await admin.tracked(client, "durov")

        payload = await admin.succeeded("DeleteTrackedUser", trackedUserId=tracked["id"])

        assert payload["trackedUserId"] == tracked["id"]
        assert (await admin.call("TrackingNode", {"id": tracked["id"]}))["data"]["node"] is None
        client_now = (await admin.call("TrackingNode", {"id": client["id"]}))["data"]["node"]
        tracker_now = (await admin.call("TrackerNode", {"id": tracker["id"]}))["data"]["node"]
        assert (client_now["currentUsers"], tracker_now["currentUsers"]) == (0, 0)

    @pytest.mark.parametrize("name", ["UpdateTrackedUser", "DeleteTrackedUser"])
    async def test_unknown_and_wrong_ids(self, admin: Caller, name: str) -> None:
        not_found(await admin.mutate(name, trackedUserId=gid("TrackedUser", 99999)), "TrackedUser")
        wrong = await admin.mutate(name, trackedUserId=gid("OnlineStatusEntry", 1))
        assert field_errors(wrong) == {"trackedUserId": ["Not a TrackedUser id."]}


# Each mutation with an input GraphQL accepts: refused before any work for non-admins.
SOME_ID = gid("Tracker", 1)
MUTATIONS: dict[str, dict[str, Any]] = {
    "CreateTracker": {"telegramId": "1", "apiId": 1, "apiHash": "x"},
    "UpdateTracker": {"trackerId": SOME_ID},
    "DeleteTracker": {"trackerId": SOME_ID},
    "CreateTrackerSetting": {"trackerId": SOME_ID, "phoneNumber": "+79990000001"},
    "UpdateTrackerSetting": {"settingId": SOME_ID},
    "DeleteTrackerSetting": {"settingId": SOME_ID},
    "CreateTrackingClient": {"telegramId": "1"},
    "UpdateTrackingClient": {"clientId": SOME_ID},
    "DeleteTrackingClient": {"clientId": SOME_ID},
    "CreateTrackedUser": {"clientId": SOME_ID, "username": "x"},
    "UpdateTrackedUser": {"trackedUserId": SOME_ID},
    "DeleteTrackedUser": {"trackedUserId": SOME_ID},
}


class TestWhoMayCall:
    @pytest.mark.parametrize("name", MUTATIONS)
    async def test_only_admins(self, http: httpx.AsyncClient, name: str) -> None:
        user = await user_caller(http)
        assert await user.mutate(name, **MUTATIONS[name]) == {"refused": ["FORBIDDEN"]}
        anonymous = Caller(http, None)
        assert await anonymous.mutate(name, **MUTATIONS[name]) == {"refused": ["UNAUTHENTICATED"]}

    async def test_a_refused_call_changes_nothing(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        user = await user_caller(http)
        await user.mutate("CreateTrackingClient", telegramId="42")
        admin = await admin_caller(runtime, http)
        assert await admin.nodes("TrackingClients") == []


class TestUnstorableText:
    """Text PostgreSQL cannot hold is a field error, never a 500."""

    async def test_each_text_input(self, admin: Caller) -> None:
        nul = "a\x00b"
        tracker = await admin.ready_tracker()
        client = await admin.client()
        tracked = await admin.tracked(client, "durov")
        calls: list[tuple[str, dict[str, Any], str]] = [
            ("CreateTracker", {"telegramId": "9", "apiId": 9, "apiHash": nul}, "apiHash"),
            ("UpdateTracker", {"trackerId": tracker["id"], "apiHash": nul}, "apiHash"),
            ("CreateTrackerSetting", {"trackerId": tracker["id"], "phoneNumber": nul},
             "phoneNumber"),
            ("UpdateTrackerSetting", {"settingId": tracker["setting"]["id"], "phoneNumber": nul},
             "phoneNumber"),
            ("CreateTrackingClient", {"telegramId": "9", "timezone": nul}, "timezone"),
            ("UpdateTrackingClient", {"clientId": client["id"], "timezone": nul}, "timezone"),
            ("CreateTrackedUser", {"clientId": client["id"], "username": nul}, "username"),
            ("UpdateTrackedUser", {"trackedUserId": tracked["id"], "username": nul}, "username"),
        ]  # fmt: skip
        for name, fields, field in calls:
            payload = await admin.mutate(name, **fields)
            assert field_errors(payload) == {field: ["Null characters are not allowed."]}, name
