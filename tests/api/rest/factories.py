"""Builders shared by the legacy REST tests: users, credentials and hand-made JWTs."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt

from domain.access import System
from domain.accounts import service
from domain.accounts.rules import UsernamePolicy
from tests import canaries
from tests.conftest import TEST_SECRET

if TYPE_CHECKING:
    import httpx

    from domain.accounts.model import User
    from domain.bootstrap import Runtime

PASSWORD = canaries.PASSWORD
_counter = itertools.count(1)


def unique_username(prefix: str = "user") -> str:
    """A fresh name that passes both the strict (001) and the Django (003) username rules."""
    return f"{prefix}{next(_counter)}"


def with_and_without_slash(path: str) -> list[str]:
    """The documented path and its bare form; both must answer without a redirect."""
    return [path, path.rstrip("/")]


# --- users -----------------------------------------------------------------------------------


async def create_user(
    runtime: Runtime, *, username: str | None = None, password: str = PASSWORD
) -> User:
    async with runtime.uow() as uow:
        return await service.register_user(
            uow,
            runtime.auth,
            username=username or unique_username(),
            password=password,
            policy=UsernamePolicy.DJANGO,
        )


async def create_admin(
    runtime: Runtime, *, username: str | None = None, password: str = PASSWORD
) -> User:
    async with runtime.uow() as uow:
        return await service.ensure_admin(
            uow,
            runtime.auth.hasher,
            actor=System("tests"),
            username=username or unique_username("admin"),
            password=password,
        )


def messenger_registration(**overrides: Any) -> dict[str, Any]:
    """A valid seed-001 registration body; ``overrides`` replace (or, as None, drop) fields."""
    body: dict[str, Any] = {
        "username": unique_username(),
        "password": PASSWORD,
        "first_name": "Ivan",
        "last_name": "Petrov",
        "bio": "Programmer in VK",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def mailing_registration(**overrides: Any) -> dict[str, Any]:
    """A valid seed-003 registration body; ``overrides`` replace (or, as None, drop) fields."""
    body: dict[str, Any] = {"username": unique_username(), "password": PASSWORD}
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


async def registered(http: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Register through ``POST /api/register/`` and return the credentials used."""
    body = messenger_registration(**overrides)
    response = await http.post("/api/register/", json=body)
    assert response.status_code == 201, response.text
    return body


async def token_pair(
    http: httpx.AsyncClient, *, path: str = "/api/auth/", **overrides: Any
) -> dict[str, str]:
    """Register a fresh user and log in: the ``{"access", "refresh"}`` pair."""
    body = await registered(http, **overrides)
    response = await http.post(
        path, json={"username": body["username"], "password": body["password"]}
    )
    assert response.status_code == 200, response.text
    pair: dict[str, str] = response.json()
    return pair


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# --- tokens ----------------------------------------------------------------------------------


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def resigned(token: str, *, key: str = TEST_SECRET, **changes: Any) -> str:
    """The token's real claims, with ``changes`` applied, signed HS256 with ``key``."""
    claims = claims_of(token) | changes
    return jwt.encode(claims, key=key, algorithm="HS256")


def expired(token: str) -> str:
    """The token's real claims, validly signed, but issued two days ago and expired yesterday."""
    now = datetime.now(UTC)
    return resigned(
        token,
        iat=int((now - timedelta(days=2)).timestamp()),
        exp=int((now - timedelta(days=1)).timestamp()),
    )


def unsigned(token: str) -> str:
    """The token's real claims under ``{"alg": "none"}`` with an empty signature."""
    return f"{_b64url_json({'alg': 'none', 'typ': 'JWT'})}.{_b64url_json(claims_of(token))}."


def tampered_signature(token: str) -> str:
    """The same header and claims with the signature's bytes altered."""
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0xFF
    return f"{header}.{payload}.{_b64url(bytes(raw))}"


def tampered_payload(token: str) -> str:
    """The original signature over claims that now name another subject."""
    header, _, signature = token.split(".")
    claims = claims_of(token) | {"sub": "00000000-0000-0000-0000-000000000000"}
    return f"{header}.{_b64url_json(claims)}.{signature}"


def foreign_key(token: str) -> str:
    """The token's real claims signed with a key the server does not hold."""
    return resigned(token, key="another-signing-key-that-is-long-enough-42")


def without_token_type(token: str) -> str:
    """Validly signed and unexpired, but missing a claim every tghub token carries."""
    claims = claims_of(token)
    del claims["token_type"]
    return jwt.encode(claims, key=TEST_SECRET, algorithm="HS256")


BAD_TOKENS = {
    "garbage": lambda token: "not-a-jwt",
    "tampered_signature": tampered_signature,
    "tampered_payload": tampered_payload,
    "foreign_key": foreign_key,
    "expired": expired,
    "alg_none": unsigned,
    "missing_claim": without_token_type,
}
