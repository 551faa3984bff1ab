"""Scheduled jobs run now and at their ticks: task rows, run by a real (burst) ARQ worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sqlalchemy import select

from domain.access import System
from domain.adapters.clock import SystemClock
from domain.jobs import service as jobs
from domain.jobs.model import Job, JobStatus
from domain.jobs.schedule import Cron, Schedule, ScheduledJob
from tests.world import load_world, run_jobs
from workers import cron
from workers.deps import WorkerDeps
from workers.main import HANDLERS

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from domain.ports import TelegramGateway

SYSTEM = System("tests")
# A job whose ticks are tasks (as the hourly bot jobs' will be), with the no-op's handler.
HOURLY = Schedule((ScheduledJob(jobs.NOOP, Cron("0 * * * *"), "An hourly probe."),))


async def read_job(runtime: Runtime, job_id: str) -> Job:
    async with runtime.uow() as uow:
        job = await uow.session.get(Job, job_id)
        assert job is not None
        return job


async def run_now(runtime: Runtime, name: str) -> Job:
    async with runtime.uow() as uow:
        return await jobs.run_scheduled_job(
            uow, jobs.scheduled_jobs(runtime.settings), actor=SYSTEM, name=name
        )


async def tick(runtime: Runtime, schedule: Schedule) -> str | None:
    """One tick of the schedule's first job, through the worker's own cron table."""
    table = cron.cron_jobs(schedule, HANDLERS)
    deps = WorkerDeps(runtime, cast("TelegramGateway", None), SystemClock())
    job_id: str | None = await table[0].coroutine({"deps": deps})
    return job_id


class TestRunNow:
    async def test_the_sweep_runs_now_as_a_task_that_succeeds(self, runtime: Runtime) -> None:
        queued = await run_now(runtime, "jobs.sweep")
        assert (queued.kind, queued.status, queued.owner_id) == (
            "jobs.sweep",
            JobStatus.QUEUED,
            None,
        )

        await run_jobs(runtime)

        done = await read_job(runtime, queued.id)
        assert (done.status, done.result, done.attempts) == (
            JobStatus.SUCCEEDED,
            {"requeued": []},
            1,
        )

    async def test_the_presence_sweep_too(self, runtime: Runtime) -> None:
        queued = await run_now(runtime, "presence.sweep")
        await run_jobs(runtime)
        done = await read_job(runtime, queued.id)
        assert (done.status, done.result) == (JobStatus.SUCCEEDED, {"offline": 0})

    async def test_the_bots_jobs_run_now_as_tasks_that_succeed(self, runtime: Runtime) -> None:
        await load_world(runtime)  # the stats read the simulated Telegram's clock
        queued = [
            await run_now(runtime, name) for name in ("bots.check_links", "bots.collect_stats")
        ]

        await run_jobs(runtime)

        done = [await read_job(runtime, job.id) for job in queued]
        assert [(job.kind, job.status) for job in done] == [
            ("bots.check_links", JobStatus.SUCCEEDED),
            ("bots.collect_stats", JobStatus.SUCCEEDED),
        ], [job.error for job in done]

    async def test_while_a_run_is_queued_asking_again_answers_that_run(
        self, runtime: Runtime
    ) -> None:
        first = await run_now(runtime, "jobs.sweep")
        again = await run_now(runtime, "jobs.sweep")
        assert again.id == first.id

        await run_jobs(runtime)
        after = await run_now(runtime, "jobs.sweep")

        assert after.id != first.id
        assert after.status is JobStatus.QUEUED


class TestTicks:
    async def test_a_tick_queues_a_task_of_the_jobs_kind(self, runtime: Runtime) -> None:
        job_id = await tick(runtime, HOURLY)
        assert job_id is not None
        queued = await read_job(runtime, job_id)
        assert (queued.kind, queued.status, queued.owner_id) == (jobs.NOOP, JobStatus.QUEUED, None)

        await run_jobs(runtime)

        assert (await read_job(runtime, job_id)).status is JobStatus.SUCCEEDED

    async def test_a_tick_skips_while_the_previous_run_is_open(self, runtime: Runtime) -> None:
        first = await tick(runtime, HOURLY)
        assert await tick(runtime, HOURLY) is None
        await run_jobs(runtime)
        assert await tick(runtime, HOURLY) not in {None, first}

    async def test_a_direct_tick_runs_the_sweep_and_leaves_no_task(self, runtime: Runtime) -> None:
        schedule = jobs.scheduled_jobs(runtime.settings)
        table = {job.name: job for job in cron.cron_jobs(schedule, HANDLERS)}
        deps = WorkerDeps(runtime, cast("TelegramGateway", None), SystemClock())

        result = await table["cron:presence.sweep"].coroutine({"deps": deps})

        assert result == {"offline": 0}
        async with runtime.uow() as uow:
            assert (await uow.session.scalars(select(Job))).all() == []
