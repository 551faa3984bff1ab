"""A worker outlives a Redis outage, in-process (the embedded default) and as `tghub worker`:
a task queued while Redis was down (its row waits in PostgreSQL) runs once Redis is back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from domain.jobs import service as jobs
from domain.jobs.model import Job, JobStatus
from tests.conftest import DEADLINE, started_runtime
from tests.cutting_proxy import CuttingProxy
from tests.processes import start_worker
from tests.world import run_jobs
from tghub.embedded import in_process_worker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from domain.bootstrap import Runtime
    from domain.settings import Settings
    from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow

POLL = 0.05
# Quick sweeps: a queued row Redis does not know is queued again within about two seconds.
FAST_SWEEPS: dict[str, Any] = {"sweep_interval": 1, "job_stale_after": 0.5}


@pytest.fixture
def outage_settings(settings: Settings, redis_server: RedisServer) -> Settings:
    return settings.model_copy(update={"redis_url": redis_server.url, **FAST_SWEEPS})


@pytest.fixture
async def api(outage_settings: Settings) -> AsyncIterator[Runtime]:
    """The API's side: it queues the tasks (on the private Redis)."""
    async with started_runtime(outage_settings) as runtime:
        yield runtime


async def queue_task(api: Runtime) -> str:
    async with api.uow() as uow:
        job = await jobs.create_job(uow, kind=jobs.NOOP, args={})
        await uow.commit()
    return job.id


async def status_of(api: Runtime, job_id: str) -> JobStatus:
    async with api.uow() as uow:
        job = await uow.session.get(Job, job_id)
        assert job is not None
        return job.status


async def eventually(check: Callable[[], Awaitable[bool]], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(POLL)
    return False


async def until_succeeded(api: Runtime, job_id: str, describe: Callable[[], str]) -> None:
    async def succeeded() -> bool:
        return await status_of(api, job_id) is JobStatus.SUCCEEDED

    if not await eventually(succeeded, DEADLINE):
        status = await status_of(api, job_id)
        pytest.fail(f"task {job_id} is still {status.value}; {describe()}")


async def outage(redis: RedisServer, api: Runtime, noticed: Callable[[], bool]) -> str:
    """Stops Redis, queues a task meanwhile, and starts Redis again once the worker noticed."""
    await redis.stop()
    job_id = await queue_task(api)  # committed; its enqueue fails, the row waits

    async def said_so() -> bool:
        return noticed()

    assert await eventually(said_so, DEADLINE), "the worker never noticed the outage"
    await redis.start()
    return job_id


class TestInProcessWorker:
    async def test_runs_a_task_queued_while_redis_was_down(
        self,
        api: Runtime,
        redis_server: RedisServer,
        outage_settings: Settings,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)

        def noticed() -> bool:
            return any(
                r.name.startswith("workers") and r.levelno >= logging.WARNING
                for r in caplog.records
            )

        def describe() -> str:
            return "worker log:\n" + "\n".join(r.getMessage() for r in caplog.records[-20:])

        async with in_process_worker(outage_settings):
            await until_succeeded(api, await queue_task(api), describe)
            queued = await outage(redis_server, api, noticed)
            await until_succeeded(api, queued, describe)


class TestConnectionLostWhileStartingAJob:
    """ARQ starts a job under WATCH; a connection lost there surfaces as redis-py's WatchError,
    not as a ConnectionError. It is an outage all the same: the worker must go on."""

    async def test_the_worker_goes_on_and_runs_the_job(self, settings: Settings) -> None:
        redis = urlsplit(str(settings.redis_url))
        assert redis.hostname is not None
        async with CuttingProxy(redis.hostname, redis.port or 6379, b"ZSCORE") as proxy:
            proxied = f"redis://127.0.0.1:{proxy.port}{redis.path}"
            async with started_runtime(settings.model_copy(update={"redis_url": proxied})) as api:
                job_id = await queue_task(api)
                await run_jobs(api)
                assert proxy.cut == 1, "the connection was never cut: the test tested nothing"
                assert await status_of(api, job_id) is JobStatus.SUCCEEDED


class TestWorkerProcess:
    async def test_keeps_running_and_runs_a_task_queued_while_redis_was_down(
        self, api: Runtime, redis_server: RedisServer, outage_settings: Settings, tmp_path: Path
    ) -> None:
        log = tmp_path / "worker.log"
        sweeps = {name: str(value) for name, value in FAST_SWEEPS.items()}
        process = start_worker(outage_settings, log, **sweeps)

        def output() -> str:
            return log.read_text(errors="replace") if log.exists() else ""

        def describe() -> str:
            return f"worker exit code {process.poll()}; log:\n{output()[-3000:]}"

        try:
            await until_succeeded(api, await queue_task(api), describe)
            queued = await outage(
                redis_server, api, lambda: "polling Redis for jobs failed" in output()
            )
            await until_succeeded(api, queued, describe)
            assert process.poll() is None, describe()
        finally:
            process.terminate()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(process.wait, 20)
            process.kill()
