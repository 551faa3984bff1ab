"""Legacy 000 ``/tracker-accounts/`` and ``/tracker-settings/``: the api hash never shown, the
session never shown, the filters, the ``by-*`` routes, the evacuation rule, who may call."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pytest

from domain.access import System
from domain.tracking import service as tracking
from tests.api.rest.factories import (
    PASSWORD,
    basic_header,
    create_admin,
    create_user,
    with_and_without_slash,
)
from tests.conftest import app_client

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

SYSTEM = System("tests")
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NO_TRACKER = {"detail": "No TrackerAccount matches the given query."}
NO_SETTING = {"detail": "No TrackerSetting matches the given query."}
_numbers = itertools.count(1)


@pytest.fixture
async def admin(runtime: Runtime) -> dict[str, str]:
    user = await create_admin(runtime)
    return {"Authorization": basic_header(user.username, PASSWORD)}


def tracker_body(**overrides: Any) -> dict[str, Any]:
    n = next(_numbers)
    return {"telegram_id": 7000 + n, "api_id": 100 + n, "api_hash": f"{n:032x}"} | overrides


async def post(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def phone() -> str:
    return f"+7999200{next(_numbers):04d}"


class TestTrackerAccounts:
    async def test_create_masks_the_api_hash_and_shows_both_id_names(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        for path in with_and_without_slash("/tracker-accounts/"):
            body = tracker_body()
            created = await post(http, path, admin, body)
            assert set(created) == {
                "id",
                "telegram_id",
                "telegram_user_id",
                "api_id",
                "api_hash",
                "is_active",
                "is_auth",
                "created_at",
                "updated_at",
            }
            assert created["telegram_id"] == created["telegram_user_id"] == body["telegram_id"]
            assert created["api_hash"] == "********"
            assert (created["is_active"], created["is_auth"]) == (False, False)

    async def test_required_fields_types_and_duplicates(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        empty = await http.post("/tracker-accounts/", json={}, headers=admin)
        assert (empty.status_code, set(empty.json())) == (
            400,
            {"telegram_id", "api_id", "api_hash"},
        )
        wrong = await http.post(
            "/tracker-accounts/",
            json=tracker_body(api_id="x", is_active="perhaps"),
            headers=admin,
        )
        assert wrong.json() == {
            "api_id": ["A valid integer is required."],
            "is_active": ["Must be a valid boolean."],
        }
        body = tracker_body()
        await post(http, "/tracker-accounts/", admin, body)
        again = await http.post(
            "/tracker-accounts/", json=tracker_body(api_hash=body["api_hash"]), headers=admin
        )
        assert (again.status_code, again.json()) == (
            400,
            {"api_hash": ["tracker account with this api hash already exists."]},
        )

    async def test_list_filters(self, http: httpx.AsyncClient, admin: dict[str, str]) -> None:
        first = await post(http, "/tracker-accounts/", admin, tracker_body(is_active=True))
        second = await post(http, "/tracker-accounts/", admin, tracker_body(telegram_user_id=1))

        async def ids(**query: Any) -> list[int]:
            response = await http.get("/tracker-accounts", params=query, headers=admin)
            assert response.status_code == 200, response.text
            return [tracker["id"] for tracker in response.json()]

        assert await ids() == [first["id"], second["id"]]
        assert await ids(is_active="true") == [first["id"]]
        assert await ids(is_active="false", is_auth="false") == [second["id"]]
        assert await ids(telegram_user_id=first["telegram_id"]) == [first["id"]]
        assert await ids(id=second["id"], other="x") == [second["id"]]
        bad = await http.get("/tracker-accounts/?telegram_id=abc", headers=admin)
        assert (bad.status_code, bad.json()) == (400, {"telegram_id": ["Enter a number."]})

    async def test_get_patch_put_delete_and_by_telegram_id(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        created = await post(http, "/tracker-accounts/", admin, tracker_body())
        path = f"/tracker-accounts/{created['id']}/"

        assert (await http.get(path, headers=admin)).json() == created
        patched = await http.patch(path, json={"is_auth": True}, headers=admin)
        assert patched.json()["is_auth"] is True
        bad_put = await http.put(path, json={"api_id": 5}, headers=admin)
        assert (bad_put.status_code, set(bad_put.json())) == (400, {"telegram_id", "api_hash"})
        by_tg = f"/tracker-accounts/by-telegram-id/{created['telegram_id']}/"
        renamed = await http.patch(by_tg, json={"api_hash": "f" * 32}, headers=admin)
        assert (renamed.status_code, renamed.json()["api_hash"]) == (200, "********")
        deleted = await http.delete(by_tg, headers=admin)
        assert (deleted.status_code, deleted.content) == (204, b"")
        gone = await http.get(path, headers=admin)
        assert (gone.status_code, gone.json()) == (404, NO_TRACKER)
        unknown = await http.delete(by_tg.rstrip("/"), headers=admin)
        assert (unknown.status_code, unknown.json()) == (404, NO_TRACKER)

    async def test_deleting_a_tracker_whose_users_cannot_move_is_refused(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        created = await post(
            http, "/tracker-accounts/", admin, tracker_body(is_active=True, is_auth=True)
        )
        await post(
            http,
            "/tracker-settings/",
            admin,
            {"tracker_account_id": created["id"], "phone_number": phone(), "max_users": 2},
        )
        async with runtime.uow() as uow:
            owner = await tracking.create_telegram_user(uow, actor=SYSTEM, telegram_id=1)
        async with runtime.uow() as uow:
            await tracking.track_user(uow, actor=SYSTEM, telegram_user_id=owner.id, username="a")

        response = await http.delete(f"/tracker-accounts/{created['id']}/", headers=admin)

        assert response.status_code == 400
        assert response.json() == {
            "detail": "Недостаточно свободных слотов, чтобы перевесить всех TrackedUser."
        }


class TestTrackerSettings:
    async def test_create_never_shows_a_session(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        tracker = await post(http, "/tracker-accounts/", admin, tracker_body())
        number = phone()

        for path in with_and_without_slash("/tracker-settings/")[:1]:
            created = await post(
                http,
                path,
                admin,
                {
                    "tracker_account_id": tracker["id"],
                    "phone_number": number,
                    "session_string": "s",
                },
            )
            assert created | {"id": 0, "created_at": "", "updated_at": ""} == {
                "id": 0,
                "tracker_account_id": tracker["id"],
                "phone_number": number,
                "session_string": None,
                "max_users": 0,
                "current_users": 0,
                "created_at": "",
                "updated_at": "",
            }

    async def test_bad_fields(self, http: httpx.AsyncClient, admin: dict[str, str]) -> None:
        tracker = await post(http, "/tracker-accounts/", admin, tracker_body())

        empty = await http.post("/tracker-settings/", json={}, headers=admin)
        unknown = await http.post(
            "/tracker-settings/",
            json={"tracker_account_id": 999999, "phone_number": phone()},
            headers=admin,
        )
        negative = await http.post(
            "/tracker-settings/",
            json={"tracker_account_id": tracker["id"], "phone_number": phone(), "max_users": -1},
            headers=admin,
        )

        assert (empty.status_code, set(empty.json())) == (
            400,
            {"tracker_account_id", "phone_number"},
        )
        assert unknown.json() == {
            "tracker_account_id": ['Invalid pk "999999" - object does not exist.']
        }
        assert negative.json() == {
            "max_users": ["Ensure this value is greater than or equal to 0."]
        }

    async def test_filters_and_the_by_routes(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        tracker = await post(http, "/tracker-accounts/", admin, tracker_body())
        number = phone()
        created = await post(
            http,
            "/tracker-settings/",
            admin,
            {"tracker_account_id": tracker["id"], "phone_number": number},
        )
        listed = await http.get(
            "/tracker-settings/",
            params={"tracker_account__telegram_id": tracker["telegram_id"]},
            headers=admin,
        )
        by_phone = await http.get(
            "/tracker-settings/", params={"phone_number": number}, headers=admin
        )
        assert (
            [s["id"] for s in listed.json()]
            == [s["id"] for s in by_phone.json()]
            == [created["id"]]
        )

        patched = await http.patch(
            f"/tracker-settings/by-phone-number/{number}/", json={"max_users": 9}, headers=admin
        )
        assert (patched.status_code, patched.json()["max_users"]) == (200, 9)
        by_tracker = f"/tracker-settings/by-tracker-telegram-id/{tracker['telegram_id']}/"
        again = await http.patch(by_tracker, json={"max_users": "4"}, headers=admin)
        assert again.json()["max_users"] == 4
        moved = await http.patch(
            f"/tracker-settings/{created['id']}/", json={"tracker_account_id": 0}, headers=admin
        )
        assert (moved.status_code, list(moved.json())) == (400, ["tracker_account_id"])
        deleted = await http.delete(by_tracker, headers=admin)
        assert (deleted.status_code, deleted.content) == (204, b"")
        gone = await http.delete(f"/tracker-settings/by-phone-number/{number}", headers=admin)
        assert (gone.status_code, gone.json()) == (404, NO_SETTING)


class TestAccess:
    @pytest.mark.parametrize("path", ["/tracker-accounts/", "/tracker-settings/"])
    async def test_anonymous_and_plain_users_are_refused(
        self, runtime: Runtime, http: httpx.AsyncClient, path: str
    ) -> None:
        user = await create_user(runtime)
        plain = {"Authorization": basic_header(user.username, PASSWORD)}

        anonymous = await http.get(path)
        refused = await http.get(path, headers=plain)

        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Basic realm="tghub"'
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN)

    async def test_an_open_group_lets_anonymous_callers_set_trackers_up(
        self, settings: Settings
    ) -> None:
        opened = settings.model_copy(update={"legacy_open": ["seeonline"]})
        async with app_client(opened) as anonymous:
            tracker = await anonymous.post("/tracker-accounts/", json=tracker_body())
            assert tracker.status_code == 201, tracker.text
            body = {"tracker_account_id": tracker.json()["id"], "phone_number": phone()}
            setting = await anonymous.post("/tracker-settings/", json=body)
            assert setting.status_code == 201, setting.text
            assert (await anonymous.get("/tracker-settings/")).status_code == 200
