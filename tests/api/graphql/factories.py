"""Factories and small helpers shared by the GraphQL tests: accounts, tokens, raw documents."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from tests import canaries
from tests.conftest import TEST_SECRET, graphql

if TYPE_CHECKING:
    import httpx

PASSWORD = canaries.PASSWORD


@dataclass(frozen=True)
class Tokens:
    """One login's token pair, with the claims tests look at."""

    access: str
    refresh: str

    @property
    def claims(self) -> dict[str, Any]:
        return decode(self.access)

    @property
    def session_id(self) -> str:
        return str(self.claims["sid"])

    @property
    def user_id(self) -> str:
        return str(self.claims["sub"])


def decode(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, TEST_SECRET, algorithms=["HS256"])
    return claims


def sign(claims: dict[str, Any], *, key: str = TEST_SECRET) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


def expired(token: str) -> str:
    """The same claims, validly signed, but expired a minute ago."""
    now = int(time.time())
    return sign({**decode(token), "iat": now - 3600, "exp": now - 60})


def unsigned(token: str) -> str:
    """The same claims under ``alg: none`` with an empty signature, built by hand."""

    def b64(part: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(decode(token))}."


def tampered(token: str) -> str:
    """The signed header and signature of ``token`` around a payload naming another user."""
    header, _, signature = token.split(".")
    claims = {**decode(token), "sub": "00000000-0000-0000-0000-000000000001"}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


async def register(
    http: httpx.AsyncClient,
    username: str,
    *,
    password: str = PASSWORD,
    first_name: str = "",
    last_name: str = "",
) -> dict[str, Any]:
    """Registers a user and returns it (the ``RegisterSuccess.user`` fields)."""
    body = await graphql(
        http,
        "Register",
        {
            "input": {
                "username": username,
                "password": password,
                "firstName": first_name,
                "lastName": last_name,
            }
        },
    )
    payload = body["data"]["register"]
    assert payload["__typename"] == "RegisterSuccess", payload
    user: dict[str, Any] = payload["user"]
    return user


async def login(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> Tokens:
    body = await graphql(http, "Login", {"input": {"username": username, "password": password}})
    payload = body["data"]["login"]
    assert payload["__typename"] == "LoginSuccess", payload
    return Tokens(access=payload["accessToken"], refresh=payload["refreshToken"])


async def register_and_login(
    http: httpx.AsyncClient, username: str, *, first_name: str = "", last_name: str = ""
) -> Tokens:
    await register(http, username, first_name=first_name, last_name=last_name)
    return await login(http, username)


async def refresh(http: httpx.AsyncClient, refresh_token: str) -> dict[str, Any]:
    """The ``refreshToken`` payload (``RefreshTokenSuccess`` or ``AuthenticationError``)."""
    body = await graphql(http, "RefreshToken", {"input": {"refreshToken": refresh_token}})
    payload: dict[str, Any] = body["data"]["refreshToken"]
    return payload


async def rotate(http: httpx.AsyncClient, tokens: Tokens) -> Tokens:
    payload = await refresh(http, tokens.refresh)
    assert payload["__typename"] == "RefreshTokenSuccess", payload
    return Tokens(access=payload["accessToken"], refresh=payload["refreshToken"])


async def post_document(
    http: httpx.AsyncClient,
    query: str,
    *,
    operation_name: str | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """Posts an ad-hoc document (for the ones codegen/operations must never contain)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = {"query": query, "operationName": operation_name}
    response = await http.post("/graphql", json=request, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_codes(body: dict[str, Any]) -> list[str | None]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
