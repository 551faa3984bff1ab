"""Login is rate limited per username and client address, in GraphQL and the legacy routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import app_client, graphql
from tghub.embedded import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from domain.settings import Settings

LIMIT = 3
PASSWORD = "secret123"


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    strict = settings.model_copy(update={"login_attempts_per_minute": LIMIT})
    async with app_client(strict) as client:
        for username in ("ivan", "olga"):
            variables = {"input": {"username": username, "password": PASSWORD}}
            await graphql(client, "Register", variables)
        yield client


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, Any]:
    variables = {"input": {"username": username, "password": password}}
    payload: dict[str, Any] = (await graphql(client, "Login", variables))["data"]["login"]
    return payload


class TestLogin:
    async def test_attempts_over_the_limit_are_refused_even_with_the_right_password(
        self, limited: httpx.AsyncClient
    ) -> None:
        for _ in range(LIMIT):
            assert (await login(limited, "ivan", "wrong-guess"))["code"] == "invalid_credentials"

        payload = await login(limited, "ivan", PASSWORD)

        assert payload["__typename"] == "RateLimitedError"
        assert payload["code"] == "rate_limited"
        assert 0 < payload["retryAfter"] <= 60

    async def test_another_username_is_not_affected(self, limited: httpx.AsyncClient) -> None:
        for _ in range(LIMIT + 1):
            await login(limited, "ivan", "wrong-guess")

        assert (await login(limited, "olga", PASSWORD))["__typename"] == "LoginSuccess"

    async def test_username_case_does_not_reset_the_count(self, limited: httpx.AsyncClient) -> None:
        for name in ("ivan", "IVAN", "Ivan"):
            await login(limited, name, "wrong-guess")

        assert (await login(limited, "iVaN", PASSWORD))["__typename"] == "RateLimitedError"


class TestObtainTokens:
    async def test_legacy_route_answers_429_with_retry_after(
        self, limited: httpx.AsyncClient
    ) -> None:
        body = {"username": "ivan", "password": "wrong-guess"}
        for _ in range(LIMIT):
            assert (await limited.post("/api/token/", json=body)).status_code == 401

        response = await limited.post("/api/auth/", json={**body, "password": PASSWORD})

        assert response.status_code == 429
        assert response.json() == {"detail": "Too many login attempts; try again later."}
        assert 1 <= int(response.headers["Retry-After"]) <= 61


class TestRedisOutage:
    async def test_login_fails_closed_when_the_counter_is_unreachable(
        self, settings: Settings
    ) -> None:
        dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
        body = {"username": "ivan", "password": PASSWORD}
        async with app_client(dead) as client:
            rest = await client.post("/api/token/", json=body)
            graph = await graphql(client, "Login", {"input": body})

        assert rest.status_code == 503
        assert rest.json() == {"detail": "Rate limiting is unavailable; try again later."}
        assert graph["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
