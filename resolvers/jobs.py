"""Jobs: the ``task`` query and the ``taskEvents`` subscription; the scheduled jobs, which an
admin lists and runs now."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import strawberry
from strawberry.relay import GlobalID, GlobalIDValueError

from domain.jobs import rules
from domain.jobs import service as jobs
from resolvers.permissions import require_viewer
from schema.context import Info
from schema.jobs import (
    RunScheduledJobInput,
    RunScheduledJobPayload,
    RunScheduledJobSuccess,
    ScheduledJob,
    Task,
)
from schema.permissions import admin_only

if TYPE_CHECKING:
    from domain.accounts.service import Viewer
    from domain.jobs.model import Job
    from schema.context import Context


def task_key(value: str) -> str:
    """The job id behind a Task's global ID, or the plain task id itself."""
    try:
        global_id = GlobalID.from_id(value)
    except GlobalIDValueError:
        return value
    return global_id.node_id if global_id.type_name == "Task" else value


@strawberry.type
class JobsQuery:
    @strawberry.field(description="A task by its task id or global ID; null unless yours.")
    async def task(self, info: Info, id: strawberry.ID) -> Task | None:
        viewer = require_viewer(info.context)
        job = await info.context.loaders.jobs.load((task_key(id), viewer))
        return None if job is None else Task.from_model(job)

    @strawberry.field(
        description="The jobs the workers run on a schedule, and when.", extensions=admin_only()
    )
    async def scheduled_jobs(self, info: Info) -> list[ScheduledJob]:
        viewer = require_viewer(info.context)
        entries = jobs.list_scheduled_jobs(info.context.schedule, actor=viewer)
        return [ScheduledJob.from_entry(entry) for entry in entries]


@strawberry.type
class JobsMutation:
    @strawberry.mutation(
        description="Run a scheduled job now (a task); while a run is queued or running, "
        "that run's task.",
        extensions=admin_only(),
    )
    async def run_scheduled_job(
        self, info: Info, input: RunScheduledJobInput
    ) -> RunScheduledJobPayload:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            job = await jobs.run_scheduled_job(
                uow, info.context.schedule, actor=viewer, name=input.name
            )
        return RunScheduledJobSuccess(task=Task.from_model(job))


@strawberry.type
class JobsSubscription:
    @strawberry.subscription(
        description="The task now, then after every change, until it succeeds or fails."
    )
    async def task_events(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Task, None]:
        viewer, job_id = require_viewer(info.context), task_key(id)
        # Listen first, read second: a change between the two is not missed.
        async with info.context.events.subscribe(f"task:{job_id}") as messages:
            changes = aiter(messages)
            while True:
                job = await _read(info.context, job_id, viewer)
                yield Task.from_model(job)
                if not rules.is_open(job.status) or await anext(changes, None) is None:
                    return


async def _read(context: Context, job_id: str, viewer: Viewer) -> Job:
    async with context.uow() as uow:
        return await jobs.get_visible_job(uow, job_id, actor=viewer)
