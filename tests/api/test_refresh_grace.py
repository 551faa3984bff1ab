"""Concurrent refreshes: a just-rotated refresh token gets the current pair for a short grace
window (single-page apps refresh from two requests at once), in GraphQL and the legacy routes;
reuse after the window still revokes the family."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.graphql.factories import Tokens, register_and_login
from tests.api.graphql.factories import refresh as graphql_refresh
from tests.api.rest.factories import claims_of, token_pair
from tests.conftest import app_client, graphql

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import httpx

    from domain.settings import Settings

LEGACY_REFRESH = ["/api/auth/refresh/", "/api/token/refresh"]


async def viewer_id(http: httpx.AsyncClient, access: str) -> str | None:
    body = await graphql(http, "ViewerId", token=access)
    assert "errors" not in body, body
    viewer: dict[str, Any] | None = body["data"]["viewer"]
    return None if viewer is None else str(viewer["id"])


async def graphql_pair(http: httpx.AsyncClient, token: str) -> Tokens | None:
    payload = await graphql_refresh(http, token)
    if payload["__typename"] != "RefreshTokenSuccess":
        assert payload["code"] == "token_not_valid", payload
        return None
    return Tokens(access=payload["accessToken"], refresh=payload["refreshToken"])


def legacy_pair(path: str) -> Callable[[httpx.AsyncClient, str], Awaitable[Tokens | None]]:
    async def pair(http: httpx.AsyncClient, token: str) -> Tokens | None:
        response = await http.post(path, json={"refresh": token})
        if response.status_code != 200:
            assert response.status_code == 401, response.text
            return None
        body = response.json()
        return Tokens(access=body["access"], refresh=body["refresh"])

    return pair


REFRESHES = {
    "graphql": graphql_pair,
    **{f"legacy {path}": legacy_pair(path) for path in LEGACY_REFRESH},
}


async def logged_in(http: httpx.AsyncClient) -> Tokens:
    pair = await token_pair(http)
    return Tokens(access=pair["access"], refresh=pair["refresh"])


@pytest.mark.parametrize("how", list(REFRESHES))
class TestConcurrentRefresh:
    async def test_both_requests_get_the_current_pair_and_stay_logged_in(
        self, http: httpx.AsyncClient, how: str
    ) -> None:
        tokens = await logged_in(http)

        first, second = await asyncio.gather(*(REFRESHES[how](http, tokens.refresh) for _ in "ab"))

        assert first is not None
        assert second is not None
        assert first.refresh == second.refresh != tokens.refresh
        user_id = await viewer_id(http, first.access)
        assert user_id is not None
        assert await viewer_id(http, second.access) == user_id

    async def test_a_late_twin_within_the_window_gets_the_pair_the_first_one_got(
        self, http: httpx.AsyncClient, how: str
    ) -> None:
        tokens = await logged_in(http)
        rotated = await REFRESHES[how](http, tokens.refresh)
        twin = await REFRESHES[how](http, tokens.refresh)

        assert rotated is not None
        assert twin is not None
        assert twin.refresh == rotated.refresh
        assert claims_of(twin.access)["gen"] == claims_of(rotated.access)["gen"]
        # The pair answered is the current one: it rotates on as usual.
        assert await REFRESHES[how](http, twin.refresh) is not None

    async def test_an_older_token_is_still_theft_and_revokes_the_family(
        self, http: httpx.AsyncClient, how: str
    ) -> None:
        tokens = await logged_in(http)
        second = await REFRESHES[how](http, tokens.refresh)
        assert second is not None
        third = await REFRESHES[how](http, second.refresh)
        assert third is not None

        assert await REFRESHES[how](http, tokens.refresh) is None
        assert await viewer_id_or_refused(http, third.access) is None
        assert await REFRESHES[how](http, third.refresh) is None


async def viewer_id_or_refused(http: httpx.AsyncClient, access: str) -> str | None:
    body = await graphql(http, "ViewerId", token=access)
    if "errors" in body:
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
        return None
    return str(body["data"]["viewer"]["id"])


class TestAfterTheWindow:
    @pytest.mark.parametrize("how", list(REFRESHES))
    async def test_reuse_revokes_the_family(self, settings: Settings, how: str) -> None:
        short = settings.model_copy(update={"refresh_grace_seconds": 1})
        async with app_client(short) as http:
            tokens = await logged_in(http)
            rotated = await REFRESHES[how](http, tokens.refresh)
            assert rotated is not None
            await until_past(claims_of(rotated.refresh)["iat"] + 2)  # the window has passed

            assert await REFRESHES[how](http, tokens.refresh) is None
            assert await viewer_id_or_refused(http, rotated.access) is None
            assert await REFRESHES[how](http, rotated.refresh) is None

    async def test_zero_turns_the_window_off(self, settings: Settings) -> None:
        strict = settings.model_copy(update={"refresh_grace_seconds": 0})
        async with app_client(strict) as http:
            tokens = await register_and_login(http, "ivan")
            rotated = await graphql_pair(http, tokens.refresh)
            assert rotated is not None

            assert await graphql_pair(http, tokens.refresh) is None
            assert await viewer_id_or_refused(http, rotated.access) is None


async def until_past(timestamp: float) -> None:
    """Waits until the wall clock passes ``timestamp`` (a lower bound: later is as good)."""
    await asyncio.sleep(max(timestamp - time.time(), 0) + 0.01)
