"""Legacy 000 ``/tracked-users/``: the usernames clients watch, the slot rules' answers, the
filters and ``by-username``, and who may call them."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pytest

from domain.access import System
from domain.tracking import service as tracking
from domain.tracking.model import TelegramUser, TrackerSetting
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
MISSING = {"detail": "No TrackedUser matches the given query."}
USER_LIMIT = {"detail": "Лимит отслеживаемых пользователей для данного TelegramUser исчерпан."}
NO_TRACKER = {"detail": "Не удалось найти свободный аккаунт для привязки."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
_numbers = itertools.count(1)


@pytest.fixture
async def admin(runtime: Runtime) -> dict[str, str]:
    user = await create_admin(runtime)
    return {"Authorization": basic_header(user.username, PASSWORD)}


async def tracker(runtime: Runtime, *, max_users: int = 3, usable: bool = True) -> tuple[int, int]:
    """An active, authorised tracker with a setting of ``max_users`` slots: (id, telegram id)."""
    n = next(_numbers)
    async with runtime.uow() as uow:
        created = await tracking.create_tracker(
            uow,
            runtime.secrets,
            actor=SYSTEM,
            telegram_id=5000 + n,
            api_id=n,
            api_hash=f"{n:032x}",
            is_active=usable,
            is_auth=usable,
        )
    async with runtime.uow() as uow:
        await tracking.create_setting(
            uow,
            runtime.secrets,
            actor=SYSTEM,
            tracker_id=created.id,
            phone_number=f"+7999100{n:04d}",
            max_users=max_users,
        )
    return created.id, created.telegram_id


async def client(runtime: Runtime, *, max_users: int = 5) -> tuple[int, int]:
    """A Telegram user (a client of the bot): (id, telegram id)."""
    telegram_id = 9000 + next(_numbers)
    async with runtime.uow() as uow:
        created = await tracking.create_telegram_user(
            uow, actor=SYSTEM, telegram_id=telegram_id, max_users=max_users
        )
    return created.id, telegram_id


async def track(http: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await http.post("/tracked-users/", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def counters(runtime: Runtime, tracker_id: int, owner_id: int) -> tuple[int, int]:
    """(the tracker's current_users, the client's current_users), as committed."""
    async with runtime.uow() as uow:
        setting = (
            await uow.session.execute(
                TrackerSetting.__table__.select().where(
                    TrackerSetting.tracker_account_id == tracker_id
                )
            )
        ).one()
        owner = await uow.session.get(TelegramUser, owner_id, populate_existing=True)
        assert owner is not None
        return setting.current_users, owner.current_users


class TestCreate:
    async def test_goes_to_a_free_tracker_and_moves_both_counters(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        tracker_id, _ = await tracker(runtime)
        owner_id, _ = await client(runtime)

        for path in with_and_without_slash("/tracked-users/"):
            body = {"telegram_user_id": owner_id, "username": f"durov{path[-1]}"}
            response = await http.post(path, json=body, headers=admin)
            assert response.status_code == 201, response.text
            created = response.json()
            assert set(created) == {
                "id",
                "tracker_account_id",
                "telegram_user_id",
                "username",
                "visible_online",
                "created_at",
                "updated_at",
            }
            assert (created["tracker_account_id"], created["telegram_user_id"]) == (
                tracker_id,
                owner_id,
            )
            assert created["visible_online"] is True
        assert await counters(runtime, tracker_id, owner_id) == (2, 2)

    async def test_the_clients_limit_is_the_legacy_400(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        await tracker(runtime)
        owner_id, _ = await client(runtime, max_users=1)
        await track(http, admin, telegram_user_id=owner_id, username="a")

        response = await http.post(
            "/tracked-users/", json={"telegram_user_id": owner_id, "username": "b"}, headers=admin
        )

        assert (response.status_code, response.json()) == (400, USER_LIMIT)

    async def test_no_free_tracker_is_the_legacy_400(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        full, _ = await tracker(runtime, max_users=1)
        await tracker(runtime, usable=False)
        owner_id, _ = await client(runtime)
        await track(http, admin, telegram_user_id=owner_id, username="a")

        for body in (
            {"telegram_user_id": owner_id, "username": "b"},
            {"telegram_user_id": owner_id, "username": "b", "tracker_account_id": full},
            {"telegram_user_id": owner_id, "username": "b", "tracker_account_id": 2**40},
        ):
            response = await http.post("/tracked-users/", json=body, headers=admin)
            assert (response.status_code, response.json()) == (400, NO_TRACKER), body

    @pytest.mark.parametrize(
        ("body", "answer"),
        [
            (
                {},
                {
                    "telegram_user_id": ["This field is required."],
                    "username": ["This field is required."],
                },
            ),
            (
                {"telegram_user_id": "x", "username": "a", "visible_online": "maybe"},
                {
                    "telegram_user_id": ["Incorrect type. Expected pk value, received str."],
                    "visible_online": ["Must be a valid boolean."],
                },
            ),
            (
                {"telegram_user_id": 123456, "username": "a"},
                {"telegram_user_id": ['Invalid pk "123456" - object does not exist.']},
            ),
            (
                {"telegram_user_id": 2**40, "username": "a"},
                {"telegram_user_id": [f'Invalid pk "{2**40}" - object does not exist.']},
            ),
        ],
    )
    async def test_bad_fields_are_field_errors(
        self,
        runtime: Runtime,
        http: httpx.AsyncClient,
        admin: dict[str, str],
        body: dict[str, Any],
        answer: dict[str, Any],
    ) -> None:
        await tracker(runtime)

        response = await http.post("/tracked-users/", json=body, headers=admin)

        assert (response.status_code, response.json()) == (400, answer)

    async def test_a_long_username_is_a_field_error(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        await tracker(runtime)
        owner_id, _ = await client(runtime)

        response = await http.post(
            "/tracked-users/",
            json={"telegram_user_id": owner_id, "username": "x" * 33},
            headers=admin,
        )

        assert response.status_code == 400
        assert response.json() == {
            "username": ["Ensure this field has no more than 32 characters."]
        }


class TestList:
    async def test_a_bare_array_by_id_with_the_filters(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        small, small_tg = await tracker(runtime, max_users=1)
        await tracker(runtime, max_users=5)
        alice, alice_tg = await client(runtime)
        bob, _ = await client(runtime)
        first = await track(
            http, admin, telegram_user_id=alice, username="x", tracker_account_id=small
        )
        second = await track(http, admin, telegram_user_id=bob, username="x", visible_online=False)
        third = await track(http, admin, telegram_user_id=alice, username="y")

        async def ids(**query: Any) -> list[int]:
            response = await http.get("/tracked-users", params=query, headers=admin)
            assert response.status_code == 200, response.text
            return [tracked["id"] for tracked in response.json()]

        assert await ids() == [first["id"], second["id"], third["id"]]
        assert await ids(username="x") == [first["id"], second["id"]]
        assert await ids(visible_online="false") == [second["id"]]
        assert await ids(visible_online="true", username="x") == [first["id"]]
        assert await ids(telegram_user__telegram_id=alice_tg) == [first["id"], third["id"]]
        assert await ids(tracker_account__telegram_id=small_tg) == [first["id"]]
        assert await ids(id=third["id"], whatever="1") == [third["id"]]
        assert await ids(id=2**40) == []

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"id": "x"}, "id"),
            ({"tracker_account__telegram_id": "1.5"}, "tracker_account__telegram_id"),
        ],
    )
    async def test_a_wrong_number_is_a_400(
        self, http: httpx.AsyncClient, admin: dict[str, str], query: dict[str, str], field: str
    ) -> None:
        response = await http.get("/tracked-users/", params=query, headers=admin)

        assert (response.status_code, response.json()) == (400, {field: ["Enter a number."]})

    async def test_a_wrong_boolean_is_a_400(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.get("/tracked-users/?visible_online=maybe", headers=admin)

        assert response.status_code == 400
        assert list(response.json()) == ["visible_online"]


class TestOne:
    async def test_get_patch_put_delete(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        tracker_id, _ = await tracker(runtime)
        owner_id, _ = await client(runtime)
        tracked = await track(http, admin, telegram_user_id=owner_id, username="a")
        path = f"/tracked-users/{tracked['id']}/"

        assert (await http.get(path, headers=admin)).json() == tracked
        patched = await http.patch(path, json={"visible_online": "false"}, headers=admin)
        assert patched.json()["visible_online"] is False
        put = await http.put(
            path, json={"telegram_user_id": owner_id, "username": "b"}, headers=admin
        )
        assert (put.status_code, put.json()["username"]) == (200, "b")
        deleted = await http.delete(path.rstrip("/"), headers=admin)
        assert (deleted.status_code, deleted.content) == (204, b"")
        assert await counters(runtime, tracker_id, owner_id) == (0, 0)
        gone = await http.get(path, headers=admin)
        assert (gone.status_code, gone.json()) == (404, MISSING)

    async def test_reassigning_takes_a_free_slot_and_moves_the_counters(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        first, _ = await tracker(runtime)
        owner_id, _ = await client(runtime)
        tracked = await track(http, admin, telegram_user_id=owner_id, username="a")
        second, _ = await tracker(runtime, max_users=5)
        full, _ = await tracker(runtime, max_users=0)
        path = f"/tracked-users/{tracked['id']}/"

        moved = await http.patch(path, json={"tracker_account_id": second}, headers=admin)
        refused = await http.patch(path, json={"tracker_account_id": full}, headers=admin)

        assert (moved.status_code, moved.json()["tracker_account_id"]) == (200, second)
        assert (refused.status_code, refused.json()) == (400, NO_TRACKER)
        assert (await counters(runtime, first, owner_id))[0] == 0
        assert await counters(runtime, second, owner_id) == (1, 1)

    async def test_put_needs_its_fields_and_keeps_the_owner(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        await tracker(runtime)
        owner_id, _ = await client(runtime)
        other_id, _ = await client(runtime)
        tracked = await track(http, admin, telegram_user_id=owner_id, username="a")
        path = f"/tracked-users/{tracked['id']}/"

        empty = await http.put(path, json={}, headers=admin)
        moved = await http.patch(path, json={"telegram_user_id": other_id}, headers=admin)

        assert (empty.status_code, set(empty.json())) == (400, {"telegram_user_id", "username"})
        assert (moved.status_code, list(moved.json())) == (400, ["telegram_user_id"])

    @pytest.mark.parametrize(
        ("tracked_id", "answer"),
        [("999999", MISSING), (str(2**40), MISSING), ("x", {"detail": "Not found."})],
    )
    async def test_unknown_ids_are_404(
        self, http: httpx.AsyncClient, admin: dict[str, str], tracked_id: str, answer: Any
    ) -> None:
        for method in ("GET", "PATCH", "PUT", "DELETE"):
            response = await http.request(method, f"/tracked-users/{tracked_id}/", headers=admin)
            assert (response.status_code, response.json()) == (404, answer), method


class TestByUsername:
    async def test_patch_and_delete(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        await tracker(runtime)
        owner_id, _ = await client(runtime)
        tracked = await track(http, admin, telegram_user_id=owner_id, username="Pavel_D")

        for path in with_and_without_slash("/tracked-users/by-username/Pavel_D/"):
            response = await http.patch(path, json={"visible_online": False}, headers=admin)
            assert (response.status_code, response.json()["id"]) == (200, tracked["id"]), path
        deleted = await http.delete("/tracked-users/by-username/Pavel_D/", headers=admin)
        assert (deleted.status_code, deleted.content) == (204, b"")
        again = await http.delete("/tracked-users/by-username/Pavel_D/", headers=admin)
        assert (again.status_code, again.json()) == (404, MISSING)

    async def test_a_username_several_clients_track_needs_ids(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        await tracker(runtime)
        for _ in range(2):
            owner_id, _ = await client(runtime)
            await track(http, admin, telegram_user_id=owner_id, username="shared")

        response = await http.delete("/tracked-users/by-username/shared/", headers=admin)

        assert response.status_code == 400
        assert response.json() == {
            "detail": "Several tracked users have this username; use their ids."
        }


class TestAccess:
    async def test_anonymous_and_plain_users_are_refused(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        user = await create_user(runtime)
        plain = {"Authorization": basic_header(user.username, PASSWORD)}

        anonymous = await http.get("/tracked-users/")
        refused = await http.get("/tracked-users/", headers=plain)

        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Basic realm="tghub"'
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN)

    async def test_an_open_group_lets_anonymous_callers_in(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        await tracker(runtime)
        owner_id, _ = await client(runtime)
        opened = settings.model_copy(update={"legacy_open": ["seeonline"]})
        async with app_client(opened) as anonymous:
            body = {"telegram_user_id": owner_id, "username": "a"}
            created = await anonymous.post("/tracked-users/", json=body)
            listed = await anonymous.get("/tracked-users/")

        assert created.status_code == 201
        assert [tracked["id"] for tracked in listed.json()] == [created.json()["id"]]


class TestOddNames:
    @pytest.mark.parametrize(
        "path",
        [
            "/tracked-users/by-username/a%00b/",
            "/tracker-settings/by-phone-number/%2B7%00/",
            "/online-statuses/by-tracked-username/x%00/",
        ],
    )
    async def test_a_name_no_row_can_hold_is_not_found(
        self, http: httpx.AsyncClient, admin: dict[str, str], path: str
    ) -> None:
        response = await http.delete(path, headers=admin)

        assert (response.status_code, response.json()) == (404, {"detail": "Not found."})

    async def test_the_readme_names_of_the_telegram_id_filters(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        _, tracker_tg = await tracker(runtime)
        owner_id, owner_tg = await client(runtime)
        tracked = await track(http, admin, telegram_user_id=owner_id, username="a")

        for query in (
            {"tracker_account__telegram_user_id": tracker_tg},
            {"telegram_user__telegram_user_id": owner_tg},
        ):
            response = await http.get("/tracked-users/", params=query, headers=admin)
            assert [t["id"] for t in response.json()] == [tracked["id"]], query
        settings = await http.get(
            "/tracker-settings/",
            params={"tracker_account__telegram_user_id": tracker_tg},
            headers=admin,
        )
        assert len(settings.json()) == 1
