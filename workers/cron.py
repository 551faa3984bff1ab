"""The one cron table of the worker processes, built from the registry of scheduled jobs
(``domain/jobs/schedule.py``), which "run now" reads too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from arq.cron import CronJob, cron

from domain.access import System
from domain.adapters.logs import bind
from domain.jobs import service as jobs
from domain.jobs.rules import JobStatus
from workers.durable import record_end, record_start

if TYPE_CHECKING:
    from domain.jobs.schedule import Schedule, ScheduledJob
    from workers.deps import WorkerDeps
    from workers.durable import Handler

# A tick only queues a task, or runs a sweep: a minute is plenty.
TICK_TIMEOUT = 60


def cron_jobs(schedule: Schedule, handlers: dict[str, Handler]) -> list[CronJob]:
    """One ARQ cron job per scheduled job; ``handlers`` are the worker's, by job kind."""
    missing = [entry.name for entry in schedule if entry.name not in handlers]
    if missing:
        raise RuntimeError(f"scheduled jobs without a handler: {missing}")
    return [
        cron(
            _tick(schedule, entry, handlers[entry.name]),
            # Not the kind itself: ARQ keeps cron jobs and functions in one table by name,
            # and the kind is the durable function that runs the task.
            name=tick_name(entry),
            run_at_startup=entry.at_startup,
            # unique (ARQ's default): one run per tick across every worker process.
            timeout=TICK_TIMEOUT,
            keep_result=0,
            **entry.cron.arq_fields(),  # type: ignore[arg-type]
        )
        for entry in schedule
    ]


def tick_name(entry: ScheduledJob) -> str:
    return f"cron:{entry.name}"


def _tick(schedule: Schedule, entry: ScheduledJob, handler: Handler) -> Any:
    if not entry.tick_is_task:

        async def run_directly(ctx: dict[str, Any]) -> Any:
            bind(job_kind=tick_name(entry))
            deps: WorkerDeps = ctx["deps"]
            record_start(entry.name, ctx, deps.clock)
            try:
                result = await handler(deps, None)
            except Exception:
                record_end(entry.name, JobStatus.FAILED)
                raise
            record_end(entry.name, JobStatus.SUCCEEDED)
            return result

        return run_directly

    async def queue_task(ctx: dict[str, Any]) -> str | None:
        deps: WorkerDeps = ctx["deps"]
        bind(job_kind=tick_name(entry))
        async with deps.uow() as uow:
            job = await jobs.tick_scheduled_job(
                uow, schedule, actor=System(f"cron {entry.name}"), name=entry.name
            )
        return None if job is None else job.id

    return queue_task
