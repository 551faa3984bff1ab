"""The API answers over real HTTP: probes and a first GraphQL round trip."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conftest import graphql

if TYPE_CHECKING:
    import httpx


async def test_healthz_answers_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_database_and_redis(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]  # the worker: tests/api/test_health.py
    assert checks["database"] == checks["redis"] == "ok"


async def test_register_then_login_then_viewer(http: httpx.AsyncClient) -> None:
    registered = await graphql(
        http, "Register", {"input": {"username": "ivan", "password": "secret123"}}
    )
    assert registered["data"]["register"]["__typename"] == "RegisterSuccess"
    login = await graphql(http, "Login", {"input": {"username": "ivan", "password": "secret123"}})
    token = login["data"]["login"]["accessToken"]
    viewer = await graphql(http, "Viewer", token=token)
    assert viewer["data"]["viewer"]["username"] == "ivan"
