"""GraphQL shapes of jobs, which the API calls tasks (docs/graphql.md, "Identity")."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from typing_extensions import override

from domain.jobs.model import JobStatus
from schema.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.jobs.model import Job
    from domain.jobs.schedule import ScheduledJob as ScheduledJobEntry
    from schema.context import Info

TaskStatus = strawberry.enum(JobStatus, name="TaskStatus")


@strawberry.type(description="A background job: what it is doing, and what came of it.")
class Task(relay.Node):
    id: relay.NodeID[str]
    task_id: str = strawberry.field(description="The id the legacy /tasks/{id} route takes.")
    kind: str
    status: TaskStatus  # type: ignore[valid-type]
    attempts: int
    result: JSON | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    retry_at: datetime | None

    @classmethod
    def from_model(cls, job: Job) -> Task:
        return cls(
            id=job.id,
            task_id=job.id,
            kind=job.kind,
            status=job.status,
            attempts=job.attempts,
            result=job.result,
            error=job.error,
            created_at=job.created_at,
            updated_at=job.updated_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            retry_at=job.retry_at,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Task | None]:
        viewer = info.context.viewer
        if viewer is None:
            return [None for _ in node_ids]
        jobs = await info.context.loaders.jobs.load_many([(i, viewer) for i in node_ids])
        return [None if job is None else cls.from_model(job) for job in jobs]


@strawberry.type(description="When a scheduled job runs: in words, and as a cron expression.")
class JobSchedule:
    text: str = strawberry.field(description='In words: "every hour", "daily at 00:00 UTC".')
    cron: str = strawberry.field(
        description="The cron expression, in UTC: minute hour day month weekday, with a "
        "seconds field first for schedules under a minute."
    )


@strawberry.type(description="A job the workers run on a schedule (docs/operations.md).")
class ScheduledJob:
    name: str = strawberry.field(
        description="Its name, which runScheduledJob takes; also the kind of the tasks it runs."
    )
    description: str
    schedule: JobSchedule
    can_run_now: bool = strawberry.field(description="Whether runScheduledJob may queue a run.")
    ticks_are_tasks: bool = strawberry.field(
        description="Whether each scheduled run is a task too; false for housekeeping that "
        "runs every minute or more often, whose scheduled runs leave no task."
    )

    @classmethod
    def from_entry(cls, entry: ScheduledJobEntry) -> ScheduledJob:
        return cls(
            name=entry.name,
            description=entry.description,
            schedule=JobSchedule(text=entry.cron.describe(), cron=entry.cron.expression),
            can_run_now=entry.can_run_now,
            ticks_are_tasks=entry.tick_is_task,
        )


@strawberry.input
class RunScheduledJobInput:
    name: str = strawberry.field(description="A scheduled job's name (scheduledJobs lists them).")


@strawberry.type
class RunScheduledJobSuccess:
    task: Task = strawberry.field(
        description="The run: a new task, or the one still queued or running."
    )


RunScheduledJobPayload = Annotated[
    RunScheduledJobSuccess | ValidationError, strawberry.union("RunScheduledJobPayload")
]
