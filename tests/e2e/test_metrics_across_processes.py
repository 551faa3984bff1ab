"""Metrics across real processes: an API of two uvicorn workers and a ``tghub worker`` write
to one metrics folder, and ``/metrics``, whichever API worker answers it, adds them all up."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import httpx
import pytest

from domain.jobs import service as jobs
from tests.conftest import DEADLINE, until
from tests.metrics import Exposition
from tests.processes import start_api, start_worker, stop, wait_until_serving
from tghub.embedded import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from domain.bootstrap import Runtime

pytestmark = pytest.mark.slow

REQUESTS = 40
# Sent one at a time, each on a fresh connection, requests reach either API worker (the one
# the kernel wakes to accept it); never this many to a single one in practice.
MAX_REQUESTS = 2000
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)


@contextlib.asynccontextmanager
async def api_and_worker(
    runtime: Runtime, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """The API (two workers, metrics open) and a worker, on one fresh metrics folder: a
    client of the API, and the worker's process id."""
    folder, port = tmp_path / "metrics", free_port()
    api = start_api(
        runtime.settings, port, tmp_path / "api.log", workers=2, metrics_dir=folder,
        metrics_open="true",
    )  # fmt: skip
    worker = start_worker(runtime.settings, tmp_path / "worker.log", metrics_dir=folder)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_until_serving(base, api)
        async with httpx.AsyncClient(base_url=base, timeout=DEADLINE, limits=NO_KEEPALIVE) as c:
            yield c, worker.pid
    finally:
        stop(api)
        stop(worker)


async def sample(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return Exposition(response.text).value(name, **labels)


class TestSharedFolder:
    async def test_requests_to_either_api_worker_and_a_workers_jobs_add_up(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        folder = tmp_path / "metrics"
        async with api_and_worker(runtime, tmp_path) as (client, worker_pid):
            sent = 0
            while sent < REQUESTS or len(writers(folder) - {worker_pid}) < 2:
                assert sent < MAX_REQUESTS, "one API worker took every request"
                assert (await client.get("/healthz")).status_code == 200
                sent += 1
            async with runtime.uow() as uow:
                await jobs.create_job(uow, kind=jobs.NOOP, args={})
                await uow.commit()

            healthz = {"method": "GET", "route": "/healthz", "status": "200"}

            # A request is counted just after its answer went out: the last may lag a little.
            async def all_counted() -> bool:
                return await sample(client, "tghub_http_requests_total", **healthz) == sent

            async def job_counted() -> bool:
                done = {"kind": jobs.NOOP, "status": "succeeded"}
                return await sample(client, "tghub_jobs_total", **done) == 1

            await until(all_counted)
            await until(job_counted)


def writers(folder: Path) -> set[int]:
    """The processes that counted something in ``folder`` (one counter file each)."""
    return {int(path.stem.rsplit("_", 1)[1]) for path in folder.glob("counter_*.db")}
