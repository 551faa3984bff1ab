"""Legacy 000 ``/telegram-users/``: the bot's clients, their filters, the ``by-*`` routes, and
who may call them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.access import System
from domain.accounts import service as accounts
from domain.tracking import service as tracking
from domain.tracking.model import TrackerSetting
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
NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
MISSING = {"detail": "No TelegramUser matches the given query."}
FIELDS = {
    "id",
    "telegram_id",
    "telegram_user_id",
    "role",
    "max_users",
    "current_users",
    "timezone",
    "theme",
    "created_at",
    "updated_at",
}


async def admin_basic(runtime: Runtime) -> dict[str, str]:
    admin = await create_admin(runtime)
    return {"Authorization": basic_header(admin.username, PASSWORD)}


async def create(http: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await http.post("/telegram-users/", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
async def admin(runtime: Runtime) -> dict[str, str]:
    return await admin_basic(runtime)


class TestCreate:
    async def test_creates_with_the_defaults_and_both_id_names(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        for path in with_and_without_slash("/telegram-users/"):
            response = await http.post(path, json={"telegram_id": 1001}, headers=admin)
            assert response.status_code == 201, path
            body = response.json()
            assert set(body) == FIELDS
            assert body | {"id": 0, "created_at": "", "updated_at": ""} == {
                "id": 0,
                "telegram_id": 1001,
                "telegram_user_id": 1001,
                "role": "user",
                "max_users": 5,
                "current_users": 0,
                "timezone": "UTC",
                "theme": "light",
                "created_at": "",
                "updated_at": "",
            }
            assert body["created_at"].endswith("+00:00")
            await http.delete(f"/telegram-users/{body['id']}/", headers=admin)

    async def test_takes_the_readme_name_and_every_field(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        body = await create(
            http,
            admin,
            telegram_user_id="77",
            role="vip",
            max_users=10,
            timezone="Europe/Moscow",
            theme="dark",
        )

        assert (body["telegram_id"], body["role"], body["max_users"]) == (77, "vip", 10)
        assert (body["timezone"], body["theme"]) == ("Europe/Moscow", "dark")

    async def test_the_telegram_id_is_required(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.post("/telegram-users/", json={"role": "vip"}, headers=admin)

        assert response.status_code == 400
        assert response.json() == {"telegram_id": ["This field is required."]}

    async def test_wrong_types_are_field_errors(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        body = {"telegram_id": "abc", "max_users": True, "timezone": ["UTC"], "role": None}

        response = await http.post("/telegram-users/", json=body, headers=admin)

        assert response.status_code == 400
        assert response.json() == {
            "telegram_id": ["A valid integer is required."],
            "max_users": ["A valid integer is required."],
            "timezone": ["Not a valid string."],
            "role": ["This field may not be null."],
        }

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("role", "god", '"god" is not a valid choice.'),
            ("theme", "blue", '"blue" is not a valid choice.'),
            ("max_users", -1, "Ensure this value is greater than or equal to 0."),
            (
                "telegram_id",
                2**63,
                "Ensure this value is less than or equal to 9223372036854775807.",
            ),
            ("timezone", "", "This field may not be blank."),
        ],
    )
    async def test_values_outside_the_rules_are_field_errors(
        self, http: httpx.AsyncClient, admin: dict[str, str], field: str, value: Any, message: str
    ) -> None:
        body = {"telegram_id": 5, field: value}

        response = await http.post("/telegram-users/", json=body, headers=admin)

        assert response.status_code == 400
        assert response.json() == {field: [message]}

    async def test_a_duplicate_telegram_id_is_a_field_error(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        await create(http, admin, telegram_id=42)

        response = await http.post("/telegram-users/", json={"telegram_id": 42}, headers=admin)

        assert response.status_code == 400
        assert response.json() == {
            "telegram_id": ["telegram user with this telegram id already exists."]
        }

    async def test_a_malformed_body_is_a_parse_error(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        headers = {**admin, "Content-Type": "application/json"}

        response = await http.post("/telegram-users/", content=b"{nope", headers=headers)

        assert response.status_code == 400
        assert response.json()["detail"].startswith("JSON parse error - ")


class TestList:
    async def test_a_bare_array_by_id_with_exact_filters(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        first = await create(http, admin, telegram_id=300, role="vip")
        second = await create(http, admin, telegram_id=100)
        third = await create(http, admin, telegram_id=200, role="vip")

        async def ids(**query: Any) -> list[int]:
            response = await http.get("/telegram-users", params=query, headers=admin)
            assert response.status_code == 200, response.text
            return [user["id"] for user in response.json()]

        assert await ids() == [first["id"], second["id"], third["id"]]
        assert await ids(role="vip") == [first["id"], third["id"]]
        assert await ids(telegram_id=100) == [second["id"]]
        assert await ids(telegram_user_id=200) == [third["id"]]
        assert await ids(id=first["id"], role="vip") == [first["id"]]
        assert await ids(id=2**40) == []
        assert await ids(telegram_id=2**70) == []
        assert await ids(unknown="x", telegram_id="") == await ids()

    @pytest.mark.parametrize(
        ("query", "answer"),
        [
            ({"id": "x"}, {"id": ["Enter a number."]}),
            ({"telegram_id": "1e3"}, {"telegram_id": ["Enter a number."]}),
            (
                {"role": "god"},
                {"role": ["Select a valid choice. god is not one of the available choices."]},
            ),
        ],
    )
    async def test_a_wrong_filter_is_a_400(
        self,
        http: httpx.AsyncClient,
        admin: dict[str, str],
        query: dict[str, str],
        answer: dict[str, Any],
    ) -> None:
        response = await http.get("/telegram-users/", params=query, headers=admin)

        assert response.status_code == 400
        assert response.json() == answer


class TestOne:
    async def test_get_patch_put_delete(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await create(http, admin, telegram_id=1)
        path = f"/telegram-users/{user['id']}/"

        got = await http.get(path.rstrip("/"), headers=admin)
        assert got.json() == user
        patched = await http.patch(path, json={"theme": "dark", "max_users": "7"}, headers=admin)
        assert (patched.json()["theme"], patched.json()["max_users"]) == ("dark", 7)
        put = await http.put(path, json={"telegram_user_id": 2, "role": "admin"}, headers=admin)
        assert (put.json()["telegram_id"], put.json()["role"]) == (2, "admin")
        deleted = await http.delete(path, headers=admin)
        assert (deleted.status_code, deleted.content) == (204, b"")
        gone = await http.get(path, headers=admin)
        assert (gone.status_code, gone.json()) == (404, MISSING)

    async def test_put_needs_the_telegram_id(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await create(http, admin, telegram_id=1)

        response = await http.put(f"/telegram-users/{user['id']}/", json={}, headers=admin)

        assert response.status_code == 400
        assert response.json() == {"telegram_id": ["This field is required."]}

    async def test_a_bad_patch_changes_nothing(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await create(http, admin, telegram_id=1)
        path = f"/telegram-users/{user['id']}/"

        response = await http.patch(path, json={"theme": "dark", "role": "god"}, headers=admin)

        assert response.status_code == 400
        assert (await http.get(path, headers=admin)).json()["theme"] == "light"

    @pytest.mark.parametrize(
        ("user_id", "answer"),
        [("123456", MISSING), (str(2**40), MISSING), ("abc", {"detail": "Not found."})],
    )
    async def test_unknown_ids_are_404(
        self, http: httpx.AsyncClient, admin: dict[str, str], user_id: str, answer: Any
    ) -> None:
        for method in ("GET", "PATCH", "PUT", "DELETE"):
            response = await http.request(
                method, f"/telegram-users/{user_id}/", json={"telegram_id": 1}, headers=admin
            )
            assert (response.status_code, response.json()) == (404, answer), method

    async def test_deleting_frees_the_trackers_slots(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await create(http, admin, telegram_id=1)
        async with runtime.uow() as uow:
            tracker = await tracking.create_tracker(
                uow,
                runtime.secrets,
                actor=SYSTEM,
                telegram_id=9,
                api_id=9,
                api_hash="0" * 32,
                is_active=True,
                is_auth=True,
            )
        async with runtime.uow() as uow:
            setting = await tracking.create_setting(
                uow,
                runtime.secrets,
                actor=SYSTEM,
                tracker_id=tracker.id,
                phone_number="+79990001234",
                max_users=2,
            )
        async with runtime.uow() as uow:
            await tracking.track_user(uow, actor=SYSTEM, telegram_user_id=user["id"], username="a")

        response = await http.delete(f"/telegram-users/{user['id']}", headers=admin)

        assert response.status_code == 204
        async with runtime.uow() as uow:
            fresh = await uow.session.get(TrackerSetting, setting.id, populate_existing=True)
            assert fresh is not None
            assert fresh.current_users == 0


class TestByTelegramId:
    async def test_patch_and_delete(self, http: httpx.AsyncClient, admin: dict[str, str]) -> None:
        user = await create(http, admin, telegram_id=555)

        for path in with_and_without_slash("/telegram-users/by-telegram-id/555/"):
            patched = await http.patch(path, json={"role": "vip"}, headers=admin)
            assert (patched.status_code, patched.json()["id"]) == (200, user["id"]), path
            assert patched.json()["role"] == "vip"
        deleted = await http.delete("/telegram-users/by-telegram-id/555/", headers=admin)
        assert (deleted.status_code, deleted.content) == (204, b"")
        again = await http.delete("/telegram-users/by-telegram-id/555/", headers=admin)
        assert (again.status_code, again.json()) == (404, MISSING)

    async def test_a_non_number_is_not_found(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.patch("/telegram-users/by-telegram-id/x/", json={}, headers=admin)

        assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


class TestByRole:
    async def test_patch_updates_every_user_of_the_role(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        vips = [await create(http, admin, telegram_id=n, role="vip") for n in (1, 2)]
        plain = await create(http, admin, telegram_id=3)

        for path in with_and_without_slash("/telegram-users/by-role/vip/"):
            response = await http.patch(path, json={"max_users": 20}, headers=admin)
            assert (response.status_code, response.json()) == (200, {"detail": "Users updated"})
        listed = (await http.get("/telegram-users/", headers=admin)).json()
        limits = {user["id"]: user["max_users"] for user in listed}
        assert limits == {vips[0]["id"]: 20, vips[1]["id"]: 20, plain["id"]: 5}

    async def test_delete_counts_what_it_deleted(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        for n in (1, 2):
            await create(http, admin, telegram_id=n, role="banned")
        kept = await create(http, admin, telegram_id=3)

        response = await http.delete("/telegram-users/by-role/banned/", headers=admin)

        assert (response.status_code, response.json()) == (200, {"deleted_count": 2})
        listed = (await http.get("/telegram-users/", headers=admin)).json()
        assert [user["id"] for user in listed] == [kept["id"]]
        again = await http.delete("/telegram-users/by-role/banned", headers=admin)
        assert again.json() == {"deleted_count": 0}

    async def test_an_unknown_role_or_bad_change_is_a_400(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        unknown = await http.delete("/telegram-users/by-role/god/", headers=admin)
        assert (unknown.status_code, unknown.json()) == (
            400,
            {"role": ['"god" is not a valid choice.']},
        )
        bad = await http.patch(
            "/telegram-users/by-role/vip/", json={"max_users": -3}, headers=admin
        )
        assert (bad.status_code, bad.json()) == (
            400,
            {"max_users": ["Ensure this value is greater than or equal to 0."]},
        )


class TestAccess:
    async def test_anonymous_is_asked_for_basic_credentials(self, http: httpx.AsyncClient) -> None:
        for path in with_and_without_slash("/telegram-users/"):
            response = await http.get(path)

            assert response.status_code == 401, path
            assert response.json() == NOT_AUTHENTICATED
            assert response.headers["www-authenticate"] == 'Basic realm="tghub"'

    async def test_a_plain_user_is_refused(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        user = await create_user(runtime)
        basic = {"Authorization": basic_header(user.username, PASSWORD)}
        async with runtime.uow() as uow:
            pair = await accounts.login(
                uow, runtime.auth, username=user.username, password=PASSWORD
            )
        bearer = {"Authorization": f"Bearer {pair.access}"}

        for headers in (basic, bearer):
            response = await http.post("/telegram-users/", json={"telegram_id": 1}, headers=headers)
            assert (response.status_code, response.json()) == (403, FORBIDDEN)

    async def test_a_wrong_password_is_unauthenticated(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        admin = await create_admin(runtime)
        headers = {"Authorization": basic_header(admin.username, "wrong")}

        response = await http.get("/telegram-users/", headers=headers)

        assert response.status_code == 401
        assert response.json() == {"detail": "No active account found with the given credentials"}

    async def test_an_admin_token_works_too(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        admin = await create_admin(runtime)
        async with runtime.uow() as uow:
            pair = await accounts.login(
                uow, runtime.auth, username=admin.username, password=PASSWORD
            )

        response = await http.get(
            "/telegram-users/", headers={"Authorization": f"Bearer {pair.access}"}
        )

        assert (response.status_code, response.json()) == (200, [])

    async def test_an_open_group_lets_anonymous_callers_in_but_not_plain_users(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        user = await create_user(runtime)
        plain = {"Authorization": basic_header(user.username, PASSWORD)}
        opened = settings.model_copy(update={"legacy_open": ["seeonline"]})
        async with app_client(opened) as client:
            created = await client.post("/telegram-users/", json={"telegram_id": 8})
            assert created.status_code == 201
            path = f"/telegram-users/{created.json()['id']}/"
            assert (await client.patch(path, json={"role": "vip"})).status_code == 200
            assert (await client.delete("/telegram-users/by-role/vip/")).json() == {
                "deleted_count": 1
            }
            refused = await client.get("/telegram-users/", headers=plain)
            assert (refused.status_code, refused.json()) == (403, FORBIDDEN)


class TestHead:
    async def test_head_reads_without_a_body(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await create(http, admin, telegram_id=1)

        for path in ("/telegram-users/", f"/telegram-users/{user['id']}/"):
            response = await http.head(path, headers=admin)
            assert (response.status_code, response.content) == (200, b""), path
