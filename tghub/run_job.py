"""``tghub run-job NAME``: a scheduled job's run queued now, as tghub itself."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING

from domain.access import System
from domain.bootstrap import build_runtime
from domain.errors import Invalid
from domain.jobs import rules
from domain.jobs import service as jobs

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from domain.jobs.model import Job
    from domain.settings import Settings

POLL_SECONDS = 0.2


def unknown_name(settings: Settings, name: str) -> str | None:
    """Why ``name`` names no scheduled job (the valid names listed); None when it does."""
    try:
        jobs.scheduled_jobs(settings).find(name)
    except Invalid as exc:
        return " ".join(" ".join(messages) for messages in exc.field_errors.values())
    return None


async def run_job(settings: Settings, name: str, *, wait: bool) -> int:
    """Queues the run (or finds the one queued or running) and prints its task id; with
    ``wait``, waits for it and prints its final status and result (or error): exit 1 when
    it failed."""
    runtime = build_runtime(settings)
    await runtime.bus.connect()  # the task's events (taskEvents) are published
    try:
        async with runtime.uow() as uow:
            job = await jobs.run_scheduled_job(
                uow, jobs.scheduled_jobs(settings), actor=System("run-job"), name=name
            )
        print(job.id, flush=True)
        if not wait:
            return 0
        job = await _finished(runtime, job.id)
    finally:
        await runtime.stop()
    print(job.status.name)
    if job.status is rules.JobStatus.SUCCEEDED:
        print(json.dumps(job.result))
        return 0
    print(job.error, file=sys.stderr)
    return 1


async def _finished(runtime: Runtime, job_id: str) -> Job:
    # The row is the truth (a subscription could miss a change while Redis is away).
    actor = System("run-job")
    while True:
        async with runtime.uow() as uow:
            job = await jobs.get_visible_job(uow, job_id, actor=actor)
        if not rules.is_open(job.status):
            return job
        await asyncio.sleep(POLL_SECONDS)
