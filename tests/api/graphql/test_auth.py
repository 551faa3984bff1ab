"""register, login, refreshToken, logout and viewer over real HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.api.graphql.factories import (
    PASSWORD,
    Tokens,
    decode,
    error_codes,
    expired,
    login,
    refresh,
    register,
    register_and_login,
    rotate,
    sign,
    tampered,
    unsigned,
)
from tests.conftest import graphql, module_settings_with

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

FORGERIES: dict[str, Callable[[str], str]] = {
    "expired": expired,
    "tampered": tampered,
    "alg-none": unsigned,
    "wrong-key": lambda token: sign(decode(token), key="another-signing-key-long-enough-0123"),
}


# Theft detection as it is without the grace window (which has tests of its own):
# presenting a rotated refresh token again revokes the family at once.
module_settings = module_settings_with(refresh_grace_seconds=0)


async def register_with(http: httpx.AsyncClient, **fields: str) -> dict[str, Any]:
    defaults = {"username": "ivan", "password": PASSWORD, "firstName": "", "lastName": ""}
    body = await graphql(http, "Register", {"input": {**defaults, **fields}})
    payload: dict[str, Any] = body["data"]["register"]
    return payload


def field_errors(payload: dict[str, Any]) -> dict[str, list[str]]:
    assert payload["__typename"] == "ValidationError", payload
    assert payload["code"] == "invalid"
    return {error["field"]: error["messages"] for error in payload["fields"]}


async def assert_unauthenticated_viewer(http: httpx.AsyncClient, token: str) -> None:
    body = await graphql(http, "Viewer", token=token)
    assert body["data"] == {"viewer": None}
    assert error_codes(body) == ["UNAUTHENTICATED"]


class TestRegister:
    async def test_returns_the_new_user(self, http: httpx.AsyncClient) -> None:
        payload = await register_with(http, username="ivan", firstName="Ivan", lastName="Petrov")

        assert payload["__typename"] == "RegisterSuccess"
        user = payload["user"]
        assert user["id"]
        assert {k: user[k] for k in ("username", "firstName", "lastName", "bio", "role")} == {
            "username": "ivan",
            "firstName": "Ivan",
            "lastName": "Petrov",
            "bio": None,
            "role": "USER",
        }
        assert user["isOnline"] is False
        assert user["lastOnlineAt"] is None

    @pytest.mark.parametrize("username", ["1ivan", "iv an", "", "a" * 21, "ivan!"])
    async def test_rejects_a_bad_username(self, http: httpx.AsyncClient, username: str) -> None:
        payload = await register_with(http, username=username)

        assert list(field_errors(payload)) == ["username"]

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("short1", "This password is too short. It must contain at least 8 characters."),
            ("1234567890", "This password is entirely numeric."),
            ("x" * 129, "Ensure this field has no more than 128 characters."),
        ],
    )
    async def test_rejects_a_bad_password(
        self, http: httpx.AsyncClient, password: str, message: str
    ) -> None:
        payload = await register_with(http, password=password)

        errors = field_errors(payload)
        assert list(errors) == ["password"]
        assert message in errors["password"]

    async def test_rejects_bad_names_field_by_field(self, http: httpx.AsyncClient) -> None:
        payload = await register_with(http, firstName="Ivan2", lastName="P" * 21)

        assert field_errors(payload) == {
            "firstName": ["Only letters are allowed."],
            "lastName": ["Ensure this field has no more than 20 characters."],
        }

    async def test_reports_every_invalid_field_at_once(self, http: httpx.AsyncClient) -> None:
        payload = await register_with(http, username="1ivan", password="123", firstName="x1")

        assert set(field_errors(payload)) == {"username", "password", "firstName"}

    async def test_rejects_null_characters_instead_of_failing(
        self, http: httpx.AsyncClient
    ) -> None:
        payload = await register_with(http, username="iv\x00an", bio="a\x00b")

        assert field_errors(payload) == {
            "username": ["Null characters are not allowed."],
            "bio": ["Null characters are not allowed."],
        }

    async def test_rejects_a_taken_username(self, http: httpx.AsyncClient) -> None:
        await register(http, "ivan")

        payload = await register_with(http, username="ivan")

        assert field_errors(payload) == {"username": ["A user with that username already exists."]}


class TestLogin:
    async def test_returns_a_bearer_token_pair(self, http: httpx.AsyncClient) -> None:
        await register(http, "ivan")

        body = await graphql(http, "Login", {"input": {"username": "ivan", "password": PASSWORD}})

        payload = body["data"]["login"]
        assert payload["__typename"] == "LoginSuccess"
        assert payload["tokenType"] == "Bearer"
        tokens = Tokens(payload["accessToken"], payload["refreshToken"])
        assert tokens.claims["token_type"] == "access"
        assert decode(tokens.refresh)["token_type"] == "refresh"

    async def test_rejects_a_wrong_password(self, http: httpx.AsyncClient) -> None:
        await register(http, "ivan")

        body = await graphql(
            http, "Login", {"input": {"username": "ivan", "password": "wrong-password"}}
        )

        assert body["data"]["login"] == {
            "__typename": "AuthenticationError",
            "message": "No active account found with the given credentials",
            "code": "invalid_credentials",
        }

    async def test_a_null_character_in_the_username_is_just_wrong_credentials(
        self, http: httpx.AsyncClient
    ) -> None:
        variables = {"input": {"username": "iv\x00an", "password": PASSWORD}}

        body = await graphql(http, "Login", variables)

        assert body["data"]["login"]["code"] == "invalid_credentials"

    async def test_rejects_an_unknown_username_the_same_way(self, http: httpx.AsyncClient) -> None:
        body = await graphql(http, "Login", {"input": {"username": "nobody", "password": PASSWORD}})

        assert body["data"]["login"]["__typename"] == "AuthenticationError"
        assert body["data"]["login"]["code"] == "invalid_credentials"

    async def test_each_login_starts_a_separate_session(self, http: httpx.AsyncClient) -> None:
        first = await register_and_login(http, "ivan")
        second = await login(http, "ivan")

        assert first.session_id != second.session_id
        assert first.user_id == second.user_id


class TestViewer:
    async def test_returns_the_authenticated_user(self, http: httpx.AsyncClient) -> None:
        registered = await register(http, "ivan", first_name="Ivan")
        tokens = await login(http, "ivan")

        body = await graphql(http, "Viewer", token=tokens.access)

        assert "errors" not in body
        viewer = body["data"]["viewer"]
        # The authenticated request itself is activity: the viewer is online now.
        assert viewer["isOnline"] is True
        assert viewer["lastOnlineAt"] is not None
        assert {**viewer, "isOnline": False, "lastOnlineAt": None} == registered

    async def test_is_null_without_a_token(self, http: httpx.AsyncClient) -> None:
        body = await graphql(http, "Viewer")

        assert body == {"data": {"viewer": None}}

    async def test_is_unauthenticated_with_a_garbage_token(self, http: httpx.AsyncClient) -> None:
        await assert_unauthenticated_viewer(http, "not-a-jwt")

    @pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
    async def test_is_unauthenticated_with_a_forged_token(
        self, http: httpx.AsyncClient, forge: Callable[[str], str]
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        await assert_unauthenticated_viewer(http, forge(tokens.access))

    async def test_refuses_a_refresh_token_as_credentials(self, http: httpx.AsyncClient) -> None:
        tokens = await register_and_login(http, "ivan")

        await assert_unauthenticated_viewer(http, tokens.refresh)


class TestRefreshToken:
    async def test_rotates_both_tokens(self, http: httpx.AsyncClient) -> None:
        tokens = await register_and_login(http, "ivan")

        rotated = await rotate(http, tokens)

        assert rotated.access != tokens.access
        assert rotated.refresh != tokens.refresh
        assert rotated.session_id == tokens.session_id
        assert rotated.claims["gen"] == tokens.claims["gen"] + 1
        body = await graphql(http, "ViewerId", token=rotated.access)
        assert body["data"]["viewer"]["id"]

    async def test_old_access_token_stops_working(self, http: httpx.AsyncClient) -> None:
        tokens = await register_and_login(http, "ivan")

        await rotate(http, tokens)

        await assert_unauthenticated_viewer(http, tokens.access)

    async def test_used_refresh_token_is_rejected(self, http: httpx.AsyncClient) -> None:
        tokens = await register_and_login(http, "ivan")
        await rotate(http, tokens)

        payload = await refresh(http, tokens.refresh)

        assert payload == {
            "__typename": "AuthenticationError",
            "message": "Token is invalid or expired",
            "code": "token_not_valid",
        }

    async def test_reusing_a_rotated_refresh_token_revokes_the_family(
        self, http: httpx.AsyncClient
    ) -> None:
        tokens = await register_and_login(http, "ivan")
        rotated = await rotate(http, tokens)

        await refresh(http, tokens.refresh)

        await assert_unauthenticated_viewer(http, rotated.access)
        assert (await refresh(http, rotated.refresh))["__typename"] == "AuthenticationError"

    async def test_reuse_leaves_other_sessions_alive(self, http: httpx.AsyncClient) -> None:
        stolen = await register_and_login(http, "ivan")
        other = await login(http, "ivan")
        await rotate(http, stolen)

        await refresh(http, stolen.refresh)

        body = await graphql(http, "ViewerId", token=other.access)
        assert body["data"]["viewer"]["id"]

    async def test_rejects_an_access_token(self, http: httpx.AsyncClient) -> None:
        tokens = await register_and_login(http, "ivan")

        payload = await refresh(http, tokens.access)

        assert payload["__typename"] == "AuthenticationError"

    @pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
    async def test_rejects_a_forged_refresh_token(
        self, http: httpx.AsyncClient, forge: Callable[[str], str]
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        payload = await refresh(http, forge(tokens.refresh))

        assert payload["__typename"] == "AuthenticationError"
        assert payload["code"] == "token_not_valid"
        # A forgery is not a reuse: the genuine token still rotates.
        assert (await refresh(http, tokens.refresh))["__typename"] == "RefreshTokenSuccess"


class TestLogout:
    async def test_revokes_the_access_token(self, http: httpx.AsyncClient) -> None:
        tokens = await register_and_login(http, "ivan")

        body = await graphql(http, "Logout", token=tokens.access)

        assert body == {"data": {"logout": {"__typename": "LogoutSuccess", "revoked": True}}}
        await assert_unauthenticated_viewer(http, tokens.access)

    async def test_revokes_the_refresh_token(self, http: httpx.AsyncClient) -> None:
        tokens = await register_and_login(http, "ivan")

        await graphql(http, "Logout", token=tokens.access)

        assert (await refresh(http, tokens.refresh))["__typename"] == "AuthenticationError"

    async def test_leaves_other_sessions_alive(self, http: httpx.AsyncClient) -> None:
        leaving = await register_and_login(http, "ivan")
        staying = await login(http, "ivan")

        await graphql(http, "Logout", token=leaving.access)

        body = await graphql(http, "ViewerId", token=staying.access)
        assert body["data"]["viewer"]["id"]

    async def test_requires_a_token(self, http: httpx.AsyncClient) -> None:
        body = await graphql(http, "Logout")

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]

    async def test_refuses_an_already_revoked_token(self, http: httpx.AsyncClient) -> None:
        tokens = await register_and_login(http, "ivan")
        await graphql(http, "Logout", token=tokens.access)

        body = await graphql(http, "Logout", token=tokens.access)

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]
