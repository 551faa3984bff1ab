"""Liveness and readiness probes over real HTTP, with the dependencies up and down."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from tests.conftest import LiveServer
from tghub.embedded import free_port

if TYPE_CHECKING:
    from domain.settings import Settings


async def probe(settings: Settings, path: str) -> httpx.Response:
    async with LiveServer(settings) as server, httpx.AsyncClient(base_url=server.url) as client:
        return await client.get(path)


class TestReadyz:
    async def test_ready_when_database_and_redis_answer(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}

    async def test_503_when_redis_is_down(self, settings: Settings) -> None:
        dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
        response = await probe(dead, "/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "checks": {"database": "ok", "redis": "unavailable"},
        }

    async def test_503_when_the_database_is_down(self, settings: Settings) -> None:
        url = f"postgresql://app:app@127.0.0.1:{free_port()}/nowhere"
        response = await probe(settings.model_copy(update={"database_url": url}), "/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {"database": "unavailable", "redis": "ok"}


class TestHealthz:
    async def test_alive_even_when_dependencies_are_down(self, settings: Settings) -> None:
        dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
        response = await probe(dead, "/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
