"""Durable jobs through real ARQ workers on real Redis and PostgreSQL, on the simulated Telegram."""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING, Any

import pytest
from redis.asyncio import Redis

from domain.access import System
from domain.adapters.clock import SystemClock
from domain.jobs import service as jobs
from domain.jobs.model import Job, JobStatus
from domain.ports import QueueState
from domain.telegram import service as telegram
from tests.metrics import this_host
from tests.world import ACCOUNT_PHONE, load_world, run_jobs, signed_in_account

if TYPE_CHECKING:
    from domain.bootstrap import Runtime


SYSTEM = System("tests")


async def read_job(runtime: Runtime, job_id: str) -> Job:
    async with runtime.uow() as uow:
        job = await uow.session.get(Job, job_id)
        assert job is not None
        return job


async def queue_messages(runtime: Runtime, account_id: Any, recipients: list[str]) -> str:
    async with runtime.uow() as uow:
        job = await telegram.queue_messages(
            uow, account_id=account_id, recipients=recipients, text="hello", actor=SYSTEM
        )
    return job.id


async def outbox_messages(runtime: Runtime) -> list[dict[str, Any]]:
    assert runtime.sandbox is not None
    state = await runtime.sandbox.world()
    return [entry for entry in state["outbox"] if entry["type"] == "message"]


class TestCreateJob:
    async def test_commit_writes_a_queued_row_then_queues_it(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            job = await jobs.create_job(uow, kind=jobs.NOOP, args={})
            assert await runtime.queue.state(job.id) is QueueState.ABSENT  # not before commit
            await uow.commit()

        assert (await read_job(runtime, job.id)).status is JobStatus.QUEUED
        assert await runtime.queue.state(job.id) is QueueState.QUEUED

    async def test_rollback_drops_the_row_and_the_job(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            job = await jobs.create_job(uow, kind=jobs.NOOP, args={})
            await uow.rollback()
            await uow.commit()  # nothing left to commit: the dropped job stays dropped

        async with runtime.uow() as uow:
            assert await uow.session.get(Job, job.id) is None
        assert await runtime.queue.state(job.id) is QueueState.ABSENT
        assert await runtime.queue.redis.zcard(runtime.queue.queue_name) == 0

    async def test_an_exception_in_the_block_drops_the_job(self, runtime: Runtime) -> None:
        created: list[Job] = []

        async def failing_use_case() -> None:
            async with runtime.uow() as uow:
                created.append(await jobs.create_job(uow, kind=jobs.NOOP, args={}))
                raise RuntimeError("the use case failed after deferring")

        with pytest.raises(RuntimeError):
            await failing_use_case()
        assert await runtime.queue.state(created[0].id) is QueueState.ABSENT


class TestRunJob:
    async def test_a_noop_job_succeeds_with_its_result(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            job = await jobs.create_job(uow, kind=jobs.NOOP, args={})
            await uow.commit()

        await run_jobs(runtime)

        done = await read_job(runtime, job.id)
        assert (done.status, done.attempts, done.result) == (JobStatus.SUCCEEDED, 1, {"ok": True})
        assert done.started_at is not None
        assert done.finished_at is not None

    async def test_a_domain_error_fails_the_job_with_a_readable_error(
        self, runtime: Runtime
    ) -> None:
        await load_world(runtime)
        account_id = await signed_in_account(runtime)
        assert runtime.sandbox is not None
        # The account is logged out on Telegram's side: the stored session stops working.
        await runtime.sandbox.load_world(
            {"accounts": [{"id": 9001, "phone": ACCOUNT_PHONE, "sessions": []}]}, merge=True
        )
        job_id = await queue_messages(runtime, account_id, ["ivan_test"])

        await run_jobs(runtime)

        failed = await read_job(runtime, job_id)
        assert failed.status is JobStatus.FAILED
        assert failed.error is not None
        assert "session was revoked" in failed.error
        assert failed.attempts == 1

    async def test_a_job_that_is_rate_limited_retries_then_succeeds(self, runtime: Runtime) -> None:
        await load_world(runtime)
        account_id = await signed_in_account(runtime)
        assert runtime.sandbox is not None
        # Long enough to outlast the burst worker's start on a busy machine.
        await runtime.sandbox.set_account_flood(ACCOUNT_PHONE, 2)
        job_id = await queue_messages(runtime, account_id, ["ivan_test", "1002"])

        await run_jobs(runtime)  # a burst worker also runs the deferred retry

        done = await read_job(runtime, job_id)
        assert done.status is JobStatus.SUCCEEDED
        assert done.attempts == 2
        assert done.result is not None
        assert set(done.result["sent"]) == {"ivan_test", "1002"}
        assert len(await outbox_messages(runtime)) == 2

    async def test_flood_wait_defers_the_retry_by_the_wait(self, runtime: Runtime) -> None:
        await load_world(runtime)
        account_id = await signed_in_account(runtime)
        assert runtime.sandbox is not None
        await runtime.sandbox.set_account_flood(ACCOUNT_PHONE, 30)
        job_id = await queue_messages(runtime, account_id, ["ivan_test"])
        before = time.time()

        await run_jobs(runtime, max_burst_jobs=1)

        waiting = await read_job(runtime, job_id)
        assert waiting.status is JobStatus.RETRYING
        assert waiting.error is not None
        wait = re.search(r"retry in ([0-9]+) s", waiting.error)
        assert wait is not None, waiting.error
        assert 25 <= int(wait[1]) <= 30  # what is left of the 30 s when the job ran
        assert waiting.retry_at is not None
        assert 28 <= waiting.retry_at.timestamp() - before <= 32
        score = await runtime.queue.redis.zscore(runtime.queue.queue_name, job_id)
        assert score is not None
        assert 28 <= score / 1000 - before <= 32
        assert await outbox_messages(runtime) == []

    async def test_a_duplicate_delivery_of_a_finished_job_runs_nothing(
        self, runtime: Runtime
    ) -> None:
        await load_world(runtime)
        account_id = await signed_in_account(runtime)
        job_id = await queue_messages(runtime, account_id, ["ivan_test"])
        await run_jobs(runtime)
        await runtime.queue.enqueue(job_id, telegram.SEND_MESSAGES)

        await run_jobs(runtime)

        assert (await read_job(runtime, job_id)).attempts == 1
        assert len(await outbox_messages(runtime)) == 1


class TestJobMetrics:
    async def test_a_finished_run_counts_by_kind_with_its_time_in_the_queue(
        self, runtime: Runtime
    ) -> None:
        before = this_host()
        async with runtime.uow() as uow:
            await jobs.create_job(uow, kind=jobs.NOOP, args={})
            await uow.commit()

        await run_jobs(runtime)

        after = this_host()
        runs = "tghub_jobs_total"
        waits = "tghub_job_queue_seconds_count"
        assert after.value(runs, kind=jobs.NOOP, status="succeeded") == (
            before.value(runs, kind=jobs.NOOP, status="succeeded") + 1
        )
        assert after.value(waits, kind=jobs.NOOP) == before.value(waits, kind=jobs.NOOP) + 1

    async def test_a_flood_wait_counts_by_gateway_verb_and_the_run_as_retrying(
        self, runtime: Runtime
    ) -> None:
        await load_world(runtime)
        account_id = await signed_in_account(runtime)
        assert runtime.sandbox is not None
        await runtime.sandbox.set_account_flood(ACCOUNT_PHONE, 30)
        job_id = await queue_messages(runtime, account_id, ["ivan_test"])
        before = this_host()

        await run_jobs(runtime, max_burst_jobs=1)

        after = this_host()
        assert (await read_job(runtime, job_id)).status is JobStatus.RETRYING

        def grown(name: str, **labels: str) -> float:
            return after.value(name, **labels) - before.value(name, **labels)

        send = {"method": "send_message"}
        assert grown("tghub_telegram_flood_waits_total", **send) == 1
        assert grown("tghub_telegram_calls_total", **send, outcome="rate_limited") == 1
        assert grown("tghub_telegram_calls_total", **send, outcome="ok") == 0
        runs = "tghub_jobs_total"
        assert grown(runs, kind=telegram.SEND_MESSAGES, status="retrying") == 1
        assert grown(runs, kind=telegram.SEND_MESSAGES, status="succeeded") == 0


class TestSweepStuckJobs:
    async def test_a_job_redis_lost_is_queued_again_and_runs_once(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            job = await jobs.create_job(uow, kind=jobs.NOOP, args={})
            await uow.commit()
        await runtime.redis.flushdb()  # Redis lost everything, the database did not
        await asyncio.sleep(0.05)

        async with runtime.uow() as uow:
            revived = await jobs.sweep_stuck_jobs(
                uow, runtime.queue, SystemClock(), actor=SYSTEM, grace=0.01
            )
        assert revived == [job.id]
        assert await runtime.queue.state(job.id) is QueueState.QUEUED
        await run_jobs(runtime)

        done = await read_job(runtime, job.id)
        assert (done.status, done.attempts) == (JobStatus.SUCCEEDED, 1)

    async def test_a_job_still_queued_in_redis_is_left_alone(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            await jobs.create_job(uow, kind=jobs.NOOP, args={})
            await uow.commit()
        await asyncio.sleep(0.05)

        async with runtime.uow() as uow:
            revived = await jobs.sweep_stuck_jobs(
                uow, runtime.queue, SystemClock(), actor=SYSTEM, grace=0.01
            )

        assert revived == []

    async def test_fresh_jobs_are_not_swept(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            await jobs.create_job(uow, kind=jobs.NOOP, args={})
            await uow.commit()
        await runtime.redis.flushdb()

        async with runtime.uow() as uow:
            revived = await jobs.sweep_stuck_jobs(
                uow, runtime.queue, SystemClock(), actor=SYSTEM, grace=60
            )

        assert revived == []


class TestRedisOutage:
    async def test_an_enqueue_lost_after_commit_is_found_by_the_sweeper(
        self, runtime: Runtime, redis_url: str
    ) -> None:
        # The queue points at a Redis that refuses connections: the commit still stands.
        from domain.adapters.queue import ArqJobQueue, create_arq_redis

        dead = ArqJobQueue(create_arq_redis("redis://127.0.0.1:1/0"), runtime.queue.queue_name)
        factory = type(runtime.uow)(runtime.uow.session_factory, runtime.uow.publisher, dead)
        async with factory() as uow:
            job = await jobs.create_job(uow, kind=jobs.NOOP, args={})
            await uow.commit()
        await dead.close()
        await asyncio.sleep(0.05)

        assert (await read_job(runtime, job.id)).status is JobStatus.QUEUED
        async with runtime.uow() as uow:
            assert await jobs.sweep_stuck_jobs(
                uow, runtime.queue, SystemClock(), actor=SYSTEM, grace=0.01
            ) == [job.id]
        redis = Redis.from_url(redis_url)
        try:
            assert await redis.zcard(runtime.queue.queue_name) == 1
        finally:
            await redis.aclose()
