"""The original dashboard single-page app, served on tghub's origin, calls the read-only
``/api/...`` routes with relative paths and no credentials of its own: after an admin signs
in to the pages, their session cookie is accepted there, and nowhere that changes things."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from resolvers.pages.session import SESSION_COOKIE
from tests.api.graphql.factories import login
from tests.api.pages.helpers import add_log, signed_in_admin
from tests.api.rest.factories import PASSWORD, create_user

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

READS = [
    "/api/queue_length",
    "/api/stats",
    "/api/stats/history?period=week",
    "/api/logs",
    "/api/logs/csv",
    "/api/accounts",
]


@pytest.mark.parametrize("path", READS)
async def test_the_pages_session_reads_the_dashboards_routes(
    http: httpx.AsyncClient, runtime: Runtime, path: str
) -> None:
    await signed_in_admin(http, runtime)

    response = await http.get(path)

    assert response.status_code == 200, response.text


async def test_the_stats_are_the_legacy_shape(http: httpx.AsyncClient, runtime: Runtime) -> None:
    await signed_in_admin(http, runtime)
    await add_log(runtime, "+79991234567")

    response = await http.get("/api/stats")

    assert response.json() == {
        "invited": 1,
        "link_sent": 0,
        "failed": 0,
        "skipped": 0,
        "queue_length": 0,
    }


async def test_without_the_cookie_basic_is_asked_for(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/stats")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


async def test_an_ended_session_reads_nothing(http: httpx.AsyncClient, runtime: Runtime) -> None:
    csrf = await signed_in_admin(http, runtime)
    cookie = http.cookies[SESSION_COOKIE]
    await http.post("/logout", data={"csrf_token": csrf})
    http.cookies.set(SESSION_COOKIE, cookie)

    response = await http.get("/api/stats")

    assert response.status_code == 401


async def test_credentials_presented_win_over_the_cookie(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A caller that sends credentials is judged by them, cookie or not."""
    await signed_in_admin(http, runtime)
    user = await create_user(runtime)
    tokens = await login(http, user.username, PASSWORD)

    response = await http.get("/api/stats", headers={"Authorization": f"Bearer {tokens.access}"})
    bad = await http.get("/api/stats", headers={"Authorization": "Bearer nonsense"})

    assert (response.status_code, bad.status_code) == (403, 401)


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_the_webhook_never_takes_the_cookie(
    http: httpx.AsyncClient, runtime: Runtime, method: str
) -> None:
    """It queues phones (over GET too): another site could make a browser call it."""
    await signed_in_admin(http, runtime)

    response = await http.request(method, "/webhook", params={"phone": "+79991234567"})

    assert response.status_code == 401
    stats = await http.get("/api/queue_length")
    assert stats.json() == {"queue_length": 0}
