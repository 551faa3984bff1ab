"""`tghub worker` as real processes: one is killed (SIGKILL) mid-job, another finishes the job."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from domain.access import System
from domain.jobs.model import Job, JobStatus
from domain.telegram import service as telegram
from tests.conftest import DEADLINE, until
from tests.processes import start_worker as start_process
from tests.processes import stop
from tests.world import (
    ACCOUNT_PHONE,
    API_HASH,
    load_world,
    run_jobs,
    signed_in_account,
    world,
)
from tghub.embedded import in_process_worker
from workers.main import create_worker

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Awaitable, Callable

    from domain.bootstrap import Runtime

pytestmark = pytest.mark.slow

SYSTEM = System("tests")

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = ["ivan_test", "1002", "1003", "@ivan_test"]


def start_worker(runtime: Runtime, log: Path) -> subprocess.Popen[bytes]:
    # Fast heartbeats and sweeps: a dead run is found within about two seconds.
    return start_process(
        runtime.settings,
        log,
        job_heartbeat_interval="0.2",
        job_stale_after="1.5",
        sweep_interval="1",
    )


async def eventually(check: Callable[[], Awaitable[Any]], log: Path) -> Any:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.05)
    output = await asyncio.to_thread(log.read_text, errors="replace")
    pytest.fail(f"timed out; worker log:\n{output[-3000:]}")


class TestKilledWorker:
    async def test_the_sweeper_finishes_the_job_and_each_message_goes_once(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        # Telegram takes a minute after the first send, so the kill lands before the second,
        # however busy the machine is; the second worker finds it fast again.
        await load_world(runtime, world(latency={"send_message": 60}))
        account_id = await signed_in_account(runtime)
        async with runtime.uow() as uow:
            job = await telegram.queue_messages(
                uow, account_id=account_id, recipients=RECIPIENTS, text="hi", actor=SYSTEM
            )
        log = tmp_path / "workers.log"
        assert runtime.sandbox is not None
        sandbox = runtime.sandbox

        async def messages() -> list[dict[str, Any]]:
            state = await sandbox.world()
            return [e for e in state["outbox"] if e["type"] == "message"]

        async def status() -> JobStatus:
            async with runtime.uow() as uow:
                row = await uow.session.get(Job, job.id)
                assert row is not None
                return row.status

        first = start_worker(runtime, log)
        try:
            await eventually(messages, log)
        finally:
            stop(first, signal.SIGKILL)
        assert len(await messages()) == 1
        assert await status() is JobStatus.RUNNING  # the dead worker never finished it
        await sandbox.load_world({"accounts": [{"id": 9001, "latency": {}}]}, merge=True)

        second = start_worker(runtime, log)
        try:

            async def finished() -> bool:
                return await status() is JobStatus.SUCCEEDED

            await eventually(finished, log)
        finally:
            stop(second)

        async with runtime.uow() as uow:
            done = await uow.session.get(Job, job.id)
        assert done is not None
        assert done.attempts == 2
        assert done.result is not None
        # "@ivan_test" is ivan again, but a separate send: four sends, three people.
        assert set(done.result["sent"]) == set(RECIPIENTS)
        delivered = await messages()
        assert len(delivered) == len(RECIPIENTS)
        assert sorted(e["user_id"] for e in delivered) == [1001, 1001, 1002, 1003]


class TestAnotherDeployment:
    async def test_a_worker_of_another_deployment_never_takes_our_jobs(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        # Another deployment on the same Redis (and here the same database): another channel
        # prefix, so another simulated world. Had it taken the job, it would have failed it,
        # finding no such account in its world.
        await load_world(runtime)
        async with runtime.uow() as uow:
            account = await telegram.add_account(
                uow,
                runtime.secrets,
                actor=SYSTEM,
                phone=ACCOUNT_PHONE,
                api_id=12345,
                api_hash=API_HASH,
            )
            job = await telegram.request_login_code(uow, account_id=account.id, actor=SYSTEM)
        log = tmp_path / "other.log"
        other = start_process(
            runtime.settings.model_copy(update={"channel_prefix": "another-deployment"}), log
        )
        try:
            await eventually(lambda: started_polling(log), log)
            await asyncio.sleep(1.0)  # twenty of its polls: time to take the job, if it could
            assert (await job_row(runtime, job.id)).status is JobStatus.QUEUED
        finally:
            stop(other)

        await run_jobs(runtime)

        done = await job_row(runtime, job.id)
        assert (done.status, done.attempts, done.error) == (JobStatus.SUCCEEDED, 1, None)


async def started_polling(log: Path) -> bool:
    return "Starting worker" in await asyncio.to_thread(log.read_text, errors="replace")


async def job_row(runtime: Runtime, job_id: str) -> Job:
    async with runtime.uow() as uow:
        row = await uow.session.get(Job, job_id)
    assert row is not None
    return row


class TestInProcessShutdown:
    async def test_stopping_while_a_job_runs_ends_cleanly_and_leaves_the_job_to_the_sweeper(
        self, runtime: Runtime
    ) -> None:
        # Telegram takes a minute per send: the job is surely running when the worker stops.
        await load_world(runtime, world(latency={"send_message": 60}))
        account_id = await signed_in_account(runtime)
        assert runtime.sandbox is not None
        sandbox = runtime.sandbox
        async with runtime.uow() as uow:
            job = await telegram.queue_messages(
                uow, account_id=account_id, recipients=RECIPIENTS, text="hi", actor=SYSTEM
            )

        async def sent_one() -> bool:
            outbox = (await sandbox.world())["outbox"]
            return any(e["type"] == "message" for e in outbox)

        async with in_process_worker(runtime.settings):
            await until(sent_one)
        # Leaving the block cancelled the running job and raised nothing.

        assert (await job_row(runtime, job.id)).status is JobStatus.RUNNING

    async def test_a_job_cancelled_while_it_finishes_does_not_break_close(
        self, runtime: Runtime
    ) -> None:
        worker = create_worker(runtime.settings, runtime, burst=True, handle_signals=False)
        await worker.main()  # connected and started; nothing queued

        async def finishing() -> None:  # as ARQ's run_job awaits its shielded finish_job
            await asyncio.shield(asyncio.sleep(0.05))

        worker.tasks["finishing"] = asyncio.create_task(finishing())
        await asyncio.sleep(0)  # the job is under way when the worker stops
        await worker.close()  # ARQ's own close raised the job's CancelledError here

        assert worker.tasks["finishing"].cancelled()
        assert worker._pool is None  # it went all the way: shutdown ran, the pool is closed
