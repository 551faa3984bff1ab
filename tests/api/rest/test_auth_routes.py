"""Legacy auth routes of seeds 001 and 003 over real HTTP (docs/rest.md: conventions, 001, 003)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api.rest.factories import (
    BAD_TOKENS,
    PASSWORD,
    claims_of,
    mailing_registration,
    messenger_registration,
    registered,
    resigned,
    token_pair,
    unique_username,
    with_and_without_slash,
)
from tests.conftest import module_settings_with

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

# Theft detection as it is without the grace window (which has tests of its own):
# presenting a rotated refresh token again revokes the family at once.
module_settings = module_settings_with(refresh_grace_seconds=0)

MESSENGER_REGISTER = with_and_without_slash("/api/register/")
MAILING_REGISTER = with_and_without_slash("/api/v1/users/register/")
OBTAIN = [*with_and_without_slash("/api/auth/"), *with_and_without_slash("/api/token/")]
REFRESH = [
    *with_and_without_slash("/api/auth/refresh/"),
    *with_and_without_slash("/api/token/refresh/"),
]
VERIFY = with_and_without_slash("/api/token/verify/")
ALL_ROUTES = [*MESSENGER_REGISTER, *MAILING_REGISTER, *OBTAIN, *REFRESH, *VERIFY]

USER_KEYS = {
    "id",
    "username",
    "first_name",
    "last_name",
    "bio",
    "avatar",
    "is_online",
    "last_online_at",
}
NO_ACCOUNT = {"detail": "No active account found with the given credentials"}
TOKEN_NOT_VALID = {"detail": "Token is invalid or expired", "code": "token_not_valid"}
REQUIRED = ["This field is required."]
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
TAKEN = {"username": ["A user with that username already exists."]}


def assert_token_not_valid(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == TOKEN_NOT_VALID
    assert response.headers["www-authenticate"] == 'Bearer realm="api"'


async def refresh(
    http: httpx.AsyncClient, token: str, path: str = "/api/auth/refresh/"
) -> httpx.Response:
    return await http.post(path, json={"refresh": token})


async def verify(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post("/api/token/verify/", json={"token": token})


class TestRoutes:
    @pytest.mark.parametrize("path", ALL_ROUTES)
    async def test_post_is_answered_without_redirect(
        self, http: httpx.AsyncClient, path: str
    ) -> None:
        response = await http.post(path, json={})

        assert response.status_code == 400, response.text

    @pytest.mark.parametrize("path", ALL_ROUTES)
    async def test_get_is_not_allowed(self, http: httpx.AsyncClient, path: str) -> None:
        response = await http.get(path)

        assert response.status_code == 405


class TestMessengerRegister:
    @pytest.mark.parametrize("path", MESSENGER_REGISTER)
    async def test_creates_user_and_answers_user_json(
        self, http: httpx.AsyncClient, path: str
    ) -> None:
        body = messenger_registration()

        response = await http.post(path, json=body)

        assert response.status_code == 201, response.text
        user = response.json()
        assert set(user) == USER_KEYS
        assert user["username"] == body["username"]
        assert user["first_name"] == "Ivan"
        assert user["last_name"] == "Petrov"
        assert user["bio"] == "Programmer in VK"
        assert user["avatar"] is None
        assert user["is_online"] is False
        assert user["last_online_at"] is None
        assert len(user["id"]) == 36

    async def test_optional_fields_default_to_empty_names_and_null_bio(
        self, http: httpx.AsyncClient
    ) -> None:
        body = messenger_registration(first_name=None, last_name=None, bio=None)

        response = await http.post("/api/register/", json=body)

        assert response.status_code == 201, response.text
        user = response.json()
        assert (user["first_name"], user["last_name"], user["bio"]) == ("", "", None)

    async def test_registered_user_can_log_in(self, http: httpx.AsyncClient) -> None:
        body = await registered(http)

        response = await http.post(
            "/api/auth/", json={"username": body["username"], "password": body["password"]}
        )

        assert response.status_code == 200, response.text

    async def test_accepts_urlencoded_form(self, http: httpx.AsyncClient) -> None:
        body = messenger_registration()

        response = await http.post("/api/register/", data=body)

        assert response.status_code == 201, response.text
        assert response.json()["username"] == body["username"]
        assert response.json()["first_name"] == "Ivan"

    async def test_accepts_multipart_form(self, http: httpx.AsyncClient) -> None:
        """A browser FormData post: text fields plus the optional ``avatar`` file part."""
        body = messenger_registration()

        response = await http.post(
            "/api/register/", data=body, files={"avatar": ("me.png", PNG_BYTES, "image/png")}
        )

        assert response.status_code == 201, response.text
        assert response.json()["username"] == body["username"]
        assert response.json()["bio"] == "Programmer in VK"

    async def test_malformed_multipart(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/api/register/", content=b"garbage", headers={"content-type": "multipart/form-data"}
        )

        assert response.status_code == 400
        assert list(response.json()) == ["detail"]

    @pytest.mark.parametrize("field", ["first_name", "last_name", "bio", "password"])
    async def test_null_character_is_refused(self, http: httpx.AsyncClient, field: str) -> None:
        response = await http.post(
            "/api/register/", json=messenger_registration(**{field: "Iv\u0000an12345"})
        )

        assert response.status_code == 400
        assert response.json() == {field: ["Null characters are not allowed."]}

    async def test_duplicate_username_is_rejected(self, http: httpx.AsyncClient) -> None:
        first = await registered(http)

        response = await http.post(
            "/api/register/", json=messenger_registration(username=first["username"])
        )

        assert response.status_code == 400
        assert response.json() == TAKEN

    @pytest.mark.parametrize("username", ["a", "Ivan2024", "A" * 20])
    async def test_accepts_valid_username(self, http: httpx.AsyncClient, username: str) -> None:
        response = await http.post("/api/register/", json=messenger_registration(username=username))

        assert response.status_code == 201, response.text

    @pytest.mark.parametrize(
        "username",
        [
            pytest.param("a" * 21, id="too_long"),
            pytest.param("1ivan", id="starts_with_digit"),
            pytest.param("ivan_petrov", id="underscore"),
            pytest.param("ivan.petrov", id="dot"),
            pytest.param("ivan@mail", id="at_sign"),
            pytest.param("ivan petrov", id="space"),
            pytest.param("иван", id="cyrillic"),
        ],
    )
    async def test_rejects_invalid_username(self, http: httpx.AsyncClient, username: str) -> None:
        response = await http.post("/api/register/", json=messenger_registration(username=username))

        assert response.status_code == 400
        assert list(response.json()) == ["username"]

    @pytest.mark.parametrize("field", ["first_name", "last_name"])
    @pytest.mark.parametrize("name", ["Иван", "A" * 20])
    async def test_accepts_letters_only_name(
        self, http: httpx.AsyncClient, field: str, name: str
    ) -> None:
        response = await http.post("/api/register/", json=messenger_registration(**{field: name}))

        assert response.status_code == 201, response.text
        assert response.json()[field] == name

    @pytest.mark.parametrize("field", ["first_name", "last_name"])
    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("A" * 21, id="too_long"),
            pytest.param("Ivan2", id="digit"),
            pytest.param("Ivan Petrov", id="space"),
            pytest.param("Jean-Luc", id="hyphen"),
        ],
    )
    async def test_rejects_invalid_name(
        self, http: httpx.AsyncClient, field: str, name: str
    ) -> None:
        response = await http.post("/api/register/", json=messenger_registration(**{field: name}))

        assert response.status_code == 400
        assert list(response.json()) == [field]

    @pytest.mark.parametrize(
        "password",
        [
            pytest.param("abc1234", id="seven_chars"),
            pytest.param("12345678", id="all_digits"),
        ],
    )
    async def test_rejects_weak_password(self, http: httpx.AsyncClient, password: str) -> None:
        response = await http.post("/api/register/", json=messenger_registration(password=password))

        assert response.status_code == 400
        assert list(response.json()) == ["password"]

    async def test_accepts_eight_character_password(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/api/register/", json=messenger_registration(password="abcdefgh")
        )

        assert response.status_code == 201, response.text

    async def test_reports_every_invalid_field(self, http: httpx.AsyncClient) -> None:
        body = messenger_registration(
            username="1x", password="123", first_name="X1", last_name="Y2"
        )

        response = await http.post("/api/register/", json=body)

        assert response.status_code == 400
        assert set(response.json()) == {"username", "password", "first_name", "last_name"}

    @pytest.mark.parametrize("field", ["username", "password"])
    async def test_missing_required_field(self, http: httpx.AsyncClient, field: str) -> None:
        response = await http.post("/api/register/", json=messenger_registration(**{field: None}))

        assert response.status_code == 400
        assert response.json() == {field: REQUIRED}

    async def test_empty_body_lists_both_required_fields(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/register/", json={})

        assert response.status_code == 400
        assert response.json() == {"username": REQUIRED, "password": REQUIRED}

    async def test_blank_username(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/register/", json=messenger_registration(username=""))

        assert response.status_code == 400
        assert response.json() == {"username": ["This field may not be blank."]}

    async def test_non_string_first_name(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/register/", json=messenger_registration(first_name=["a"]))

        assert response.status_code == 400
        assert list(response.json()) == ["first_name"]

    async def test_malformed_json(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/api/register/",
            content=b'{"username": "ivan", ',
            headers={"content-type": "application/json"},
        )

        assert response.status_code == 400
        assert list(response.json()) == ["detail"]
        assert response.json()["detail"].startswith("JSON parse error")

    async def test_json_list_body(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/register/", json=[messenger_registration()])

        assert response.status_code == 400
        assert response.json() == {
            "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
        }


class TestMailingRegister:
    @pytest.mark.parametrize("path", MAILING_REGISTER)
    async def test_answers_username_only(self, http: httpx.AsyncClient, path: str) -> None:
        body = mailing_registration()

        response = await http.post(path, json=body)

        assert response.status_code == 201, response.text
        assert response.json() == {"username": body["username"]}

    async def test_registered_user_can_obtain_tokens(self, http: httpx.AsyncClient) -> None:
        body = mailing_registration(username="mailer.bot@example+1")
        assert (await http.post("/api/v1/users/register/", json=body)).status_code == 201

        response = await http.post("/api/token/", json=body)

        assert response.status_code == 200, response.text
        assert set(response.json()) == {"access", "refresh"}

    @pytest.mark.parametrize(
        "username",
        [
            pytest.param("ivan_petrov", id="underscore"),
            pytest.param("ivan.petrov@mail.ru", id="email_like"),
            pytest.param("a+b-c", id="plus_and_minus"),
            pytest.param("1ivan", id="leading_digit"),
            pytest.param("иван", id="unicode_letters"),
            pytest.param("u" * 150, id="max_length"),
        ],
    )
    async def test_accepts_django_username(self, http: httpx.AsyncClient, username: str) -> None:
        response = await http.post(
            "/api/v1/users/register/", json=mailing_registration(username=username)
        )

        assert response.status_code == 201, response.text
        assert response.json() == {"username": username}

    @pytest.mark.parametrize(
        "username",
        [
            pytest.param("u" * 151, id="too_long"),
            pytest.param("ivan petrov", id="space"),
            pytest.param("ivan!", id="exclamation"),
            pytest.param("ivan/petrov", id="slash"),
            pytest.param("ivan\n", id="trailing_newline"),
        ],
    )
    async def test_rejects_invalid_username(self, http: httpx.AsyncClient, username: str) -> None:
        response = await http.post(
            "/api/v1/users/register/", json=mailing_registration(username=username)
        )

        assert response.status_code == 400
        assert list(response.json()) == ["username"]

    @pytest.mark.parametrize(
        "password",
        [
            pytest.param("abc1234", id="seven_chars"),
            pytest.param("12345678", id="all_digits"),
        ],
    )
    async def test_rejects_weak_password(self, http: httpx.AsyncClient, password: str) -> None:
        response = await http.post(
            "/api/v1/users/register/", json=mailing_registration(password=password)
        )

        assert response.status_code == 400
        assert list(response.json()) == ["password"]

    async def test_duplicate_username_is_rejected(self, http: httpx.AsyncClient) -> None:
        body = mailing_registration()
        assert (await http.post("/api/v1/users/register/", json=body)).status_code == 201

        response = await http.post("/api/v1/users/register/", json=body)

        assert response.status_code == 400
        assert response.json() == TAKEN

    async def test_username_taken_through_the_other_legacy_service(
        self, http: httpx.AsyncClient
    ) -> None:
        first = await registered(http)

        response = await http.post(
            "/api/v1/users/register/", json=mailing_registration(username=first["username"])
        )

        assert response.status_code == 400
        assert response.json() == TAKEN

    @pytest.mark.parametrize("field", ["username", "password"])
    async def test_missing_required_field(self, http: httpx.AsyncClient, field: str) -> None:
        response = await http.post(
            "/api/v1/users/register/", json=mailing_registration(**{field: None})
        )

        assert response.status_code == 400
        assert response.json() == {field: REQUIRED}

    async def test_malformed_json(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/api/v1/users/register/",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )

        assert response.status_code == 400
        assert list(response.json()) == ["detail"]

    async def test_json_list_body(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/v1/users/register/", json=[mailing_registration()])

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]


class TestObtainTokens:
    @pytest.mark.parametrize("path", OBTAIN)
    async def test_answers_access_and_refresh(self, http: httpx.AsyncClient, path: str) -> None:
        body = await registered(http)

        response = await http.post(
            path, json={"username": body["username"], "password": body["password"]}
        )

        assert response.status_code == 200, response.text
        assert set(response.json()) == {"access", "refresh"}

    async def test_access_lives_one_hour(self, http: httpx.AsyncClient) -> None:
        claims = claims_of((await token_pair(http))["access"])

        assert claims["exp"] - claims["iat"] == 3600
        assert claims["token_type"] == "access"

    async def test_refresh_lives_one_day(self, http: httpx.AsyncClient) -> None:
        claims = claims_of((await token_pair(http))["refresh"])

        assert claims["exp"] - claims["iat"] == 24 * 3600
        assert claims["token_type"] == "refresh"

    async def test_tokens_name_the_user(self, http: httpx.AsyncClient) -> None:
        body = messenger_registration()
        user = (await http.post("/api/register/", json=body)).json()

        response = await http.post(
            "/api/auth/", json={"username": body["username"], "password": body["password"]}
        )

        assert claims_of(response.json()["access"])["sub"] == user["id"]
        assert claims_of(response.json()["refresh"])["sub"] == user["id"]

    async def test_accepts_form_encoded_credentials(self, http: httpx.AsyncClient) -> None:
        body = await registered(http)

        response = await http.post(
            "/api/token/", data={"username": body["username"], "password": body["password"]}
        )

        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("path", OBTAIN)
    async def test_wrong_password(self, http: httpx.AsyncClient, path: str) -> None:
        body = await registered(http)

        response = await http.post(
            path, json={"username": body["username"], "password": "wrong-password-1"}
        )

        assert response.status_code == 401
        assert response.json() == NO_ACCOUNT

    @pytest.mark.parametrize("path", OBTAIN)
    async def test_unknown_user(self, http: httpx.AsyncClient, path: str) -> None:
        response = await http.post(
            path, json={"username": unique_username("ghost"), "password": PASSWORD}
        )

        assert response.status_code == 401
        assert response.json() == NO_ACCOUNT

    async def test_username_is_case_sensitive(self, http: httpx.AsyncClient) -> None:
        body = await registered(http, username="Ivan")

        response = await http.post("/api/auth/", json={"username": "ivan", "password": PASSWORD})

        assert body["username"] == "Ivan"
        assert response.status_code == 401
        assert response.json() == NO_ACCOUNT

    @pytest.mark.parametrize("field", ["username", "password"])
    async def test_missing_field(self, http: httpx.AsyncClient, field: str) -> None:
        credentials = {"username": "ivan", "password": PASSWORD}
        del credentials[field]

        response = await http.post("/api/auth/", json=credentials)

        assert response.status_code == 400
        assert response.json() == {field: REQUIRED}

    async def test_null_character_in_username(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/api/auth/", json={"username": "iv\u0000an", "password": PASSWORD}
        )

        assert response.status_code == 400
        assert response.json() == {"username": ["Null characters are not allowed."]}

    async def test_malformed_json(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/api/token/", content=b'{"username":', headers={"content-type": "application/json"}
        )

        assert response.status_code == 400
        assert list(response.json()) == ["detail"]

    async def test_json_list_body(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/token/", json=["ivan", PASSWORD])

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]

    async def test_each_login_starts_its_own_family(self, http: httpx.AsyncClient) -> None:
        body = await registered(http)
        credentials = {"username": body["username"], "password": body["password"]}

        first = (await http.post("/api/auth/", json=credentials)).json()
        second = (await http.post("/api/auth/", json=credentials)).json()

        assert claims_of(first["refresh"])["sid"] != claims_of(second["refresh"])["sid"]


class TestRefreshTokens:
    @pytest.mark.parametrize("path", REFRESH)
    async def test_answers_a_new_pair(self, http: httpx.AsyncClient, path: str) -> None:
        pair = await token_pair(http)

        response = await refresh(http, pair["refresh"], path)

        assert response.status_code == 200, response.text
        rotated = response.json()
        assert set(rotated) == {"access", "refresh"}
        assert rotated["access"] != pair["access"]
        assert rotated["refresh"] != pair["refresh"]

    async def test_rotated_pair_works(self, http: httpx.AsyncClient) -> None:
        rotated = (await refresh(http, (await token_pair(http))["refresh"])).json()

        assert (await verify(http, rotated["access"])).status_code == 200
        assert (await refresh(http, rotated["refresh"])).status_code == 200

    async def test_rotated_refresh_lives_one_day(self, http: httpx.AsyncClient) -> None:
        rotated = (await refresh(http, (await token_pair(http))["refresh"])).json()

        claims = claims_of(rotated["refresh"])
        assert claims["exp"] - claims["iat"] == 24 * 3600
        assert claims_of(rotated["access"])["exp"] - claims_of(rotated["access"])["iat"] == 3600

    async def test_accepts_form_encoded_refresh(self, http: httpx.AsyncClient) -> None:
        pair = await token_pair(http)

        response = await http.post("/api/token/refresh/", data={"refresh": pair["refresh"]})

        assert response.status_code == 200, response.text

    async def test_used_refresh_token_is_rejected(self, http: httpx.AsyncClient) -> None:
        pair = await token_pair(http)
        assert (await refresh(http, pair["refresh"])).status_code == 200

        assert_token_not_valid(await refresh(http, pair["refresh"]))

    async def test_old_access_token_stops_working_after_refresh(
        self, http: httpx.AsyncClient
    ) -> None:
        pair = await token_pair(http)
        assert (await refresh(http, pair["refresh"])).status_code == 200

        assert_token_not_valid(await verify(http, pair["access"]))

    async def test_reuse_revokes_the_rotated_refresh_token(self, http: httpx.AsyncClient) -> None:
        pair = await token_pair(http)
        rotated = (await refresh(http, pair["refresh"])).json()
        assert_token_not_valid(await refresh(http, pair["refresh"]))

        assert_token_not_valid(await refresh(http, rotated["refresh"]))

    async def test_reuse_revokes_the_rotated_access_token(self, http: httpx.AsyncClient) -> None:
        pair = await token_pair(http)
        rotated = (await refresh(http, pair["refresh"])).json()
        assert_token_not_valid(await refresh(http, pair["refresh"]))

        assert_token_not_valid(await verify(http, rotated["access"]))

    async def test_reuse_after_several_rotations_revokes_the_family(
        self, http: httpx.AsyncClient
    ) -> None:
        pair = await token_pair(http)
        second = (await refresh(http, pair["refresh"])).json()
        third = (await refresh(http, second["refresh"])).json()
        assert_token_not_valid(await refresh(http, pair["refresh"]))

        assert_token_not_valid(await refresh(http, third["refresh"]))
        assert_token_not_valid(await verify(http, third["access"]))

    async def test_reuse_leaves_other_families_alone(self, http: httpx.AsyncClient) -> None:
        body = await registered(http)
        credentials = {"username": body["username"], "password": body["password"]}
        stolen = (await http.post("/api/auth/", json=credentials)).json()
        other = (await http.post("/api/auth/", json=credentials)).json()
        assert (await refresh(http, stolen["refresh"])).status_code == 200
        assert_token_not_valid(await refresh(http, stolen["refresh"]))

        assert (await verify(http, other["access"])).status_code == 200
        assert (await refresh(http, other["refresh"])).status_code == 200

    async def test_reuse_is_detected_across_legacy_spellings(self, http: httpx.AsyncClient) -> None:
        pair = await token_pair(http, path="/api/token/")
        rotated = (await refresh(http, pair["refresh"], "/api/token/refresh/")).json()
        assert_token_not_valid(await refresh(http, pair["refresh"], "/api/auth/refresh"))

        assert_token_not_valid(await refresh(http, rotated["refresh"], "/api/token/refresh"))

    async def test_access_token_is_not_a_refresh_token(self, http: httpx.AsyncClient) -> None:
        pair = await token_pair(http)

        assert_token_not_valid(await refresh(http, pair["access"]))

    @pytest.mark.parametrize("make_bad", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
    async def test_bad_token(self, http: httpx.AsyncClient, make_bad: Callable[[str], str]) -> None:
        pair = await token_pair(http)

        assert_token_not_valid(await refresh(http, make_bad(pair["refresh"])))

    async def test_rejected_bad_token_leaves_the_family_alive(
        self, http: httpx.AsyncClient
    ) -> None:
        pair = await token_pair(http)
        assert_token_not_valid(await refresh(http, BAD_TOKENS["expired"](pair["refresh"])))

        assert (await refresh(http, pair["refresh"])).status_code == 200

    async def test_resigned_with_server_key_is_accepted(self, http: httpx.AsyncClient) -> None:
        """Control for the forged-token cases: the factories alone do not break a token."""
        pair = await token_pair(http)

        response = await refresh(http, resigned(pair["refresh"]))

        assert response.status_code == 200, response.text

    async def test_missing_refresh(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/auth/refresh/", json={})

        assert response.status_code == 400
        assert response.json() == {"refresh": REQUIRED}

    async def test_malformed_json(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/api/auth/refresh/", content=b"{", headers={"content-type": "application/json"}
        )

        assert response.status_code == 400
        assert list(response.json()) == ["detail"]

    async def test_json_list_body(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/token/refresh/", json=["token"])

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]


class TestVerifyToken:
    @pytest.mark.parametrize("path", VERIFY)
    async def test_live_access_token(self, http: httpx.AsyncClient, path: str) -> None:
        pair = await token_pair(http, path="/api/token/")

        response = await http.post(path, json={"token": pair["access"]})

        assert response.status_code == 200, response.text
        assert response.json() == {}

    async def test_live_refresh_token(self, http: httpx.AsyncClient) -> None:
        pair = await token_pair(http)

        response = await verify(http, pair["refresh"])

        assert response.status_code == 200, response.text
        assert response.json() == {}

    async def test_verify_does_not_consume_the_refresh_token(self, http: httpx.AsyncClient) -> None:
        pair = await token_pair(http)
        assert (await verify(http, pair["refresh"])).status_code == 200

        assert (await refresh(http, pair["refresh"])).status_code == 200

    async def test_accepts_form_encoded_token(self, http: httpx.AsyncClient) -> None:
        pair = await token_pair(http)

        response = await http.post("/api/token/verify/", data={"token": pair["access"]})

        assert response.status_code == 200, response.text

    async def test_used_refresh_token(self, http: httpx.AsyncClient) -> None:
        pair = await token_pair(http)
        assert (await refresh(http, pair["refresh"])).status_code == 200

        assert_token_not_valid(await verify(http, pair["refresh"]))

    @pytest.mark.parametrize("kind", ["access", "refresh"])
    @pytest.mark.parametrize("make_bad", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
    async def test_bad_token(
        self, http: httpx.AsyncClient, make_bad: Callable[[str], str], kind: str
    ) -> None:
        pair = await token_pair(http)

        assert_token_not_valid(await verify(http, make_bad(pair[kind])))

    async def test_resigned_with_server_key_is_accepted(self, http: httpx.AsyncClient) -> None:
        """Control for the forged-token cases: the factories alone do not break a token."""
        pair = await token_pair(http)

        response = await verify(http, resigned(pair["access"]))

        assert response.status_code == 200, response.text

    async def test_missing_token(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/token/verify/", json={})

        assert response.status_code == 400
        assert response.json() == {"token": REQUIRED}

    async def test_malformed_json(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/api/token/verify/", content=b"]", headers={"content-type": "application/json"}
        )

        assert response.status_code == 400
        assert list(response.json()) == ["detail"]

    async def test_json_list_body(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/token/verify/", json=["token"])

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]
