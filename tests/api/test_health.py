"""Liveness and readiness probes over real HTTP, with the dependencies up and down."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import httpx

from tests.conftest import LiveServer
from tghub.embedded import free_port, in_process_worker

if TYPE_CHECKING:
    from domain.settings import Settings

DEADLINE = 30.0  # reached only on failure


async def probe(settings: Settings, path: str) -> httpx.Response:
    async with LiveServer(settings) as server, httpx.AsyncClient(base_url=server.url) as client:
        return await client.get(path)


class TestReadyz:
    async def test_ready_when_database_and_redis_answer(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/readyz")
        assert response.status_code == 200
        checks = response.json()["checks"]  # the worker check: TestWorkerCheck
        assert checks["database"] == checks["redis"] == "ok"

    async def test_503_when_redis_is_down(self, settings: Settings) -> None:
        dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
        response = await probe(dead, "/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "checks": {"database": "ok", "redis": "unavailable", "worker": "unavailable"},
        }

    async def test_503_when_the_database_is_down(self, settings: Settings) -> None:
        url = f"postgresql://app:app@127.0.0.1:{free_port()}/nowhere"
        response = await probe(settings.model_copy(update={"database_url": url}), "/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {
            "database": "unavailable",
            "redis": "ok",
            "worker": "unavailable",
        }


async def until_worker_check(client: httpx.AsyncClient, state: str) -> dict[str, Any]:
    """Polls /readyz until its worker check says ``state``; the last body."""
    deadline = time.monotonic() + DEADLINE
    while True:
        body: dict[str, Any] = (await client.get("/readyz")).json()
        if body["checks"].get("worker") == state or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.05)


class TestWorkerCheck:
    async def test_without_a_worker_the_api_is_ready_but_degraded(self, settings: Settings) -> None:
        response = await probe(settings, "/readyz")
        assert response.status_code == 200
        assert response.json() == {
            "status": "degraded",
            "checks": {"database": "ok", "redis": "ok", "worker": "unavailable"},
        }

    async def test_a_running_worker_is_ok_and_one_that_stopped_goes_stale(
        self, settings: Settings
    ) -> None:
        fast = settings.model_copy(update={"worker_heartbeat_interval": 0.2})
        async with LiveServer(fast) as server, httpx.AsyncClient(base_url=server.url) as client:
            async with in_process_worker(fast):
                body = await until_worker_check(client, "ok")
                assert body == {
                    "status": "ok",
                    "checks": {"database": "ok", "redis": "ok", "worker": "ok"},
                }
            body = await until_worker_check(client, "unavailable")
            assert body["status"] == "degraded"


class TestHealthz:
    async def test_alive_even_when_dependencies_are_down(self, settings: Settings) -> None:
        dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
        response = await probe(dead, "/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
