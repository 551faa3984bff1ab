"""Legacy 002 (bot management) routes; ``/tasks/{id}`` for now, the rest with the bots issue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse

from domain.jobs import rules
from domain.jobs import service as jobs
from domain.jobs.model import Job, JobStatus
from resolvers.rest.auth import require_group_access
from resolvers.rest.drf import drf_view

if TYPE_CHECKING:
    from starlette.requests import Request

    from domain.bootstrap import Runtime


def task_body(job: Job) -> dict[str, Any]:
    """Celery's AsyncResult as the original returned it: a failure's result is its error."""
    failed = job.status in {JobStatus.FAILED, JobStatus.RETRYING}
    return {
        "task_id": job.id,
        "task_status": rules.CELERY_STATUS[job.status],
        "task_result": job.error if failed else job.result,
    }


@drf_view
async def task_status(request: Request) -> JSONResponse:
    actor = await require_group_access(request, "bots", allow_basic=True)
    runtime: Runtime = request.state.runtime
    async with runtime.uow() as uow:
        job = await jobs.get_visible_job(uow, request.path_params["task_id"], actor=actor)
    return JSONResponse(task_body(job))
