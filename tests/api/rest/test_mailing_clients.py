"""Legacy 003 ``/api/v1/clients/``: a user's clients as DRF's ModelViewSet served them, each
user's apart, and the guests' shared workspace when the group is open (docs/rest.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.access import System
from domain.accounts.service import find_service_user
from domain.mailing.service import GUEST_OWNER
from tests.api.rest.factories import PASSWORD, basic_header, create_user, with_and_without_slash
from tests.api.rest.mailing_factories import (
    BLANK,
    CLIENTS,
    NO_CLIENT,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    NOT_NULL,
    PHONE_MESSAGE,
    PHONE_TAKEN,
    REQUIRED,
    admin_signed_in,
    fresh_phone,
    new_client,
    opened,
    signed_in,
)
from tests.conftest import app_client

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

FIELDS = {"id", "phone_number", "operator_code", "tag", "timezone"}


@pytest.fixture
async def me(http: httpx.AsyncClient) -> dict[str, str]:
    return await signed_in(http)


def at(client: dict[str, Any] | int | str) -> str:
    key = client["id"] if isinstance(client, dict) else client
    return f"{CLIENTS}{key}/"


class TestCreate:
    @pytest.mark.parametrize("path", with_and_without_slash(CLIENTS))
    async def test_creates_with_the_defaults(
        self, http: httpx.AsyncClient, me: dict[str, str], path: str
    ) -> None:
        response = await http.post(
            path, json={"phone_number": "79991234567", "tag": "vip"}, headers=me
        )

        assert response.status_code == 201, response.text
        body = response.json()
        assert isinstance(body["id"], int)
        assert body == {
            "id": body["id"],
            "phone_number": "79991234567",
            "operator_code": "999",
            "tag": "vip",
            "timezone": "UTC",
        }

    async def test_takes_the_timezone_and_ignores_read_only_and_unknown_fields(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        body = {
            "phone_number": "79121234567",
            "timezone": "Europe/Moscow",
            "operator_code": "000",
            "id": 999999,
            "owner": "someone",
        }

        made = await new_client(http, me, **body)

        assert made["operator_code"] == "912"
        assert made["id"] != 999999
        assert (made["timezone"], made["tag"]) == ("Europe/Moscow", "")
        assert set(made) == FIELDS

    async def test_a_phone_as_a_number_is_its_text_and_whitespace_is_trimmed(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        # DRF's CharField: numbers are taken as their text, surrounding whitespace dropped.
        number = await new_client(http, me, phone_number=79031234567, tag="  vip \n")
        spaced = await new_client(http, me, phone_number=" 79041234567\t")

        assert (number["phone_number"], number["operator_code"]) == ("79031234567", "903")
        assert number["tag"] == "vip"
        assert spaced["phone_number"] == "79041234567"

    @pytest.mark.parametrize(
        "phone",
        [
            "89991234567",
            "7999123456",
            "799912345678",
            "+79991234567",
            "7999123456a",
            "7999 123 45 67",
            "7٩٩٩١٢٣٤٥٦٧",  # Arabic-Indic digits: \\d would take them, the rule does not
            7.5,
        ],
    )
    async def test_a_phone_not_7_and_ten_digits_is_the_legacy_message(
        self, http: httpx.AsyncClient, me: dict[str, str], phone: object
    ) -> None:
        response = await http.post(CLIENTS, json={"phone_number": phone}, headers=me)

        assert response.status_code == 400
        assert response.json() == {"phone_number": PHONE_MESSAGE}

    @pytest.mark.parametrize(
        ("body", "errors"),
        [
            pytest.param({}, {"phone_number": REQUIRED}, id="missing"),
            pytest.param({"phone_number": ""}, {"phone_number": BLANK}, id="empty"),
            pytest.param({"phone_number": "   "}, {"phone_number": BLANK}, id="whitespace"),
            pytest.param({"phone_number": None}, {"phone_number": NOT_NULL}, id="null"),
            pytest.param(
                {"phone_number": True, "tag": ["vip"], "timezone": None},
                {
                    "phone_number": ["Not a valid string."],
                    "tag": ["Not a valid string."],
                    "timezone": NOT_NULL,
                },
                id="wrong_types",
            ),
            pytest.param(
                {"phone_number": "123", "tag": "x" * 256, "timezone": "Mars/Olympus"},
                {
                    "phone_number": PHONE_MESSAGE,
                    "tag": ["Ensure this field has no more than 255 characters."],
                    "timezone": ['"Mars/Olympus" is not a valid choice.'],
                },
                id="every_rule_at_once",
            ),
            pytest.param(
                {"phone_number": {"a": 1}, "timezone": ""},
                {"phone_number": ["Not a valid string."], "timezone": BLANK},
                id="type_and_rule_at_once",
            ),
            pytest.param(
                {"phone_number": "79991234567", "tag": "v\x00ip"},
                {"tag": ["Null characters are not allowed."]},
                id="nul",
            ),
        ],
    )
    async def test_field_errors_name_every_bad_field(
        self,
        http: httpx.AsyncClient,
        me: dict[str, str],
        body: dict[str, Any],
        errors: dict[str, list[str]],
    ) -> None:
        response = await http.post(CLIENTS, json=body, headers=me)

        assert response.status_code == 400
        assert response.json() == errors
        assert (await http.get(CLIENTS, headers=me)).json() == []

    async def test_a_phone_is_unique_per_owner(self, http: httpx.AsyncClient) -> None:
        mine, theirs = await signed_in(http), await signed_in(http)
        phone = fresh_phone()
        await new_client(http, mine, phone_number=phone)

        again = await http.post(CLIENTS, json={"phone_number": phone}, headers=mine)
        elsewhere = await http.post(CLIENTS, json={"phone_number": phone}, headers=theirs)

        assert again.status_code == 400
        assert again.json() == {"phone_number": PHONE_TAKEN}
        assert elsewhere.status_code == 201

    @pytest.mark.parametrize(
        ("content", "expected"),
        [
            pytest.param(b"{nope", "JSON parse error - ", id="not_json"),
            pytest.param(b'{"phone_number": "\xff"}', "JSON parse error - ", id="not_utf8"),
            pytest.param(b"[" * 100_000, "JSON parse error - ", id="deeply_nested"),
        ],
    )
    async def test_a_malformed_body_is_a_parse_error(
        self, http: httpx.AsyncClient, me: dict[str, str], content: bytes, expected: str
    ) -> None:
        headers = {**me, "Content-Type": "application/json"}

        response = await http.post(CLIENTS, content=content, headers=headers)

        assert response.status_code == 400
        assert response.json()["detail"].startswith(expected)

    @pytest.mark.parametrize(("body", "kind"), [([], "list"), ("79991234567", "str"), (7, "int")])
    async def test_a_body_that_is_no_object_is_refused(
        self, http: httpx.AsyncClient, me: dict[str, str], body: object, kind: str
    ) -> None:
        response = await http.post(CLIENTS, json=body, headers=me)

        assert response.status_code == 400
        message = f"Invalid data. Expected a dictionary, but got {kind}."
        assert response.json() == {"non_field_errors": [message]}

    async def test_takes_a_form(self, http: httpx.AsyncClient, me: dict[str, str]) -> None:
        response = await http.post(
            CLIENTS, data={"phone_number": "79161234567", "tag": "form"}, headers=me
        )

        assert response.status_code == 201, response.text
        assert response.json()["operator_code"] == "916"


class TestList:
    @pytest.mark.parametrize("path", with_and_without_slash(CLIENTS))
    async def test_a_user_sees_their_own_by_id(
        self, http: httpx.AsyncClient, runtime: Runtime, path: str
    ) -> None:
        mine, theirs = await signed_in(http), await signed_in(http)
        first = await new_client(http, mine, tag="a")
        other = await new_client(http, theirs)
        second = await new_client(http, mine, tag="b")
        admin = await admin_signed_in(http, runtime)

        listed = await http.get(path, headers=mine)
        everyone = await http.get(path, headers=admin)

        assert listed.status_code == 200
        assert listed.json() == [first, second]
        assert everyone.json() == [first, other, second]

    async def test_a_new_user_has_none(self, http: httpx.AsyncClient, me: dict[str, str]) -> None:
        response = await http.get(CLIENTS, headers=me)

        assert (response.status_code, response.json()) == (200, [])

    async def test_head_answers_as_get_without_a_body(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        response = await http.head(CLIENTS, headers=me)

        assert (response.status_code, response.content) == (200, b"")


class TestOne:
    @pytest.mark.parametrize("slash", ["/", ""])
    async def test_get(self, http: httpx.AsyncClient, me: dict[str, str], slash: str) -> None:
        made = await new_client(http, me, tag="vip")

        response = await http.get(at(made).rstrip("/") + slash, headers=me)

        assert (response.status_code, response.json()) == (200, made)

    async def test_another_owners_client_is_not_found_but_admins_see_it(
        self, http: httpx.AsyncClient, runtime: Runtime, me: dict[str, str]
    ) -> None:
        theirs = await new_client(http, await signed_in(http))
        admin = await admin_signed_in(http, runtime)

        for method in ("GET", "PUT", "PATCH", "DELETE"):
            refused = await http.request(
                method, at(theirs), json={"phone_number": fresh_phone()}, headers=me
            )
            assert (refused.status_code, refused.json()) == (404, NO_CLIENT), method
        seen = await http.get(at(theirs), headers=admin)
        assert (seen.status_code, seen.json()) == (200, theirs)

    @pytest.mark.parametrize("key", ["2147483647", "2147483648", "9" * 40, "0"])
    async def test_an_id_no_client_has_is_not_found(
        self, http: httpx.AsyncClient, me: dict[str, str], key: str
    ) -> None:
        response = await http.get(at(key), headers=me)

        assert (response.status_code, response.json()) == (404, NO_CLIENT)

    @pytest.mark.parametrize(
        "key", ["abc", "1.0", "-1", "+1", "1e3", "%20" + "1", "٣", "9" * 51, "1%00"]
    )
    async def test_an_id_that_is_no_number_names_nothing(
        self, http: httpx.AsyncClient, me: dict[str, str], key: str
    ) -> None:
        for method in ("GET", "PUT", "PATCH", "DELETE"):
            response = await http.request(method, at(key), headers=me)
            assert (response.status_code, response.json()) == (404, NOT_FOUND), method

    async def test_put_needs_the_phone_and_keeps_what_it_does_not_send(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        made = await new_client(http, me, tag="vip", timezone="Asia/Tokyo")

        missing = await http.put(at(made), json={"tag": "premium"}, headers=me)
        same_phone = await http.put(
            at(made), json={"phone_number": made["phone_number"], "tag": "premium"}, headers=me
        )

        assert (missing.status_code, missing.json()) == (400, {"phone_number": REQUIRED})
        assert same_phone.status_code == 200, same_phone.text
        # DRF's full update sets what it is sent; fields left out keep their values.
        assert same_phone.json() == made | {"tag": "premium"}

    async def test_a_new_phone_recomputes_the_operator_code(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        made = await new_client(http, me, phone_number=fresh_phone("999"))

        put = await http.put(
            at(made), json={"phone_number": "79261234567", "operator_code": "111"}, headers=me
        )
        patched = await http.patch(at(made), json={"phone_number": "79051234567"}, headers=me)

        assert (put.json()["phone_number"], put.json()["operator_code"]) == ("79261234567", "926")
        assert patched.json() == made | {"phone_number": "79051234567", "operator_code": "905"}
        assert (await http.get(at(made), headers=me)).json() == patched.json()

    async def test_patch_changes_only_what_it_sends(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        made = await new_client(http, me, tag="vip")

        tag = await http.patch(at(made), json={"tag": "premium"}, headers=me)
        zone = await http.patch(at(made), json={"timezone": "Europe/Berlin"}, headers=me)
        nothing = await http.patch(at(made), json={}, headers=me)
        read_only = await http.patch(at(made), json={"operator_code": "000"}, headers=me)

        assert tag.json() == made | {"tag": "premium"}
        assert zone.json() == made | {"tag": "premium", "timezone": "Europe/Berlin"}
        assert nothing.json() == zone.json()
        assert read_only.json() == zone.json()

    async def test_changes_are_checked_as_on_create(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        made = await new_client(http, me)
        taken = await new_client(http, me)

        bad = await http.patch(at(made), json={"phone_number": "7", "tag": 5}, headers=me)
        conflict = await http.patch(
            at(made), json={"phone_number": taken["phone_number"]}, headers=me
        )
        null = await http.put(at(made), json={"phone_number": None}, headers=me)
        not_object = await http.patch(at(made), json=["tag"], headers=me)

        assert (bad.status_code, bad.json()) == (400, {"phone_number": PHONE_MESSAGE})
        assert (conflict.status_code, conflict.json()) == (400, {"phone_number": PHONE_TAKEN})
        assert (null.status_code, null.json()) == (400, {"phone_number": NOT_NULL})
        assert not_object.status_code == 400
        assert (await http.get(at(made), headers=me)).json() == made

    async def test_an_unknown_id_is_not_found_before_the_body_is_read(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        headers = {**me, "Content-Type": "application/json"}

        response = await http.patch(at(2**31 - 1), content=b"{nope", headers=headers)

        assert (response.status_code, response.json()) == (404, NO_CLIENT)

    async def test_delete(self, http: httpx.AsyncClient, me: dict[str, str]) -> None:
        made = await new_client(http, me)

        deleted = await http.delete(at(made), headers=me)
        again = await http.delete(at(made), headers=me)

        assert (deleted.status_code, deleted.content) == (204, b"")
        assert (again.status_code, again.json()) == (404, NO_CLIENT)
        assert (await http.get(CLIENTS, headers=me)).json() == []

    async def test_another_owner_cannot_delete(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        owner = await signed_in(http)
        theirs = await new_client(http, owner)

        await http.delete(at(theirs), headers=me)

        assert (await http.get(at(theirs), headers=owner)).json() == theirs

    @pytest.mark.parametrize(
        ("method", "path"),
        [("POST", "/api/v1/clients/1/"), ("PUT", CLIENTS), ("DELETE", CLIENTS)],
    )
    async def test_methods_not_offered(
        self, http: httpx.AsyncClient, me: dict[str, str], method: str, path: str
    ) -> None:
        response = await http.request(method, path, headers=me)

        assert response.status_code == 405
        assert response.json() == {"detail": f'Method "{method}" not allowed.'}


class TestAccess:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", CLIENTS),
            ("POST", CLIENTS),
            ("GET", "/api/v1/clients/1/"),
            ("PUT", "/api/v1/clients/1/"),
            ("PATCH", "/api/v1/clients/1/"),
            ("DELETE", "/api/v1/clients/1"),
        ],
    )
    async def test_anonymous_is_refused_while_the_group_is_closed(
        self, http: httpx.AsyncClient, method: str, path: str
    ) -> None:
        response = await http.request(method, path, json={"phone_number": fresh_phone()})

        assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'

    async def test_basic_credentials_are_no_sign_in_here(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        user = await create_user(runtime)
        headers = {"Authorization": basic_header(user.username, PASSWORD)}

        response = await http.get(CLIENTS, headers=headers)

        assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)

    async def test_a_bad_token_is_refused_even_when_open(self, settings: Settings) -> None:
        async with opened(settings) as client:
            response = await client.get(CLIENTS, headers={"Authorization": "Bearer nope"})

        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"

    async def test_guests_of_the_open_group_share_one_workspace_apart_from_users(
        self, settings: Settings
    ) -> None:
        async with opened(settings) as client:
            user = await signed_in(client)
            guests = await new_client(client, {}, tag="guests")
            users = await new_client(client, user, phone_number=guests["phone_number"])

            seen_by_guests = await client.get(CLIENTS)
            seen_by_user = await client.get(CLIENTS, headers=user)
            guest_reaches_user = await client.get(at(users))
            changed = await client.patch(at(guests), json={"tag": "shared"})

        assert seen_by_guests.json() == [guests]
        assert seen_by_user.json() == [users]
        assert (guest_reaches_user.status_code, guest_reaches_user.json()) == (404, NO_CLIENT)
        assert changed.json() == guests | {"tag": "shared"}

    async def test_a_signed_in_user_needs_no_open_group(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        made = await new_client(http, me)

        assert (await http.get(at(made), headers=me)).status_code == 200


SYSTEM = System("tests")


class TestGuestWorkspaceAtStart:
    async def test_made_when_tghub_starts_with_the_group_open(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        async with runtime.uow() as uow:
            before = await find_service_user(uow, actor=SYSTEM, username=GUEST_OWNER)
        async with opened(settings), runtime.uow() as uow:
            after = await find_service_user(uow, actor=SYSTEM, username=GUEST_OWNER)

        assert before is None
        assert after is not None

    async def test_not_made_when_the_group_is_closed(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        closed = settings.model_copy(update={"legacy_open": []})
        async with app_client(closed), runtime.uow() as uow:
            found = await find_service_user(uow, actor=SYSTEM, username=GUEST_OWNER)

        assert found is None
