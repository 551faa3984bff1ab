"""Jobs about jobs: the no-op (a worker health probe and the queue benchmark), the sweeper."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.access import System
from domain.jobs import service as jobs

if TYPE_CHECKING:
    from workers.deps import WorkerDeps


async def noop(deps: WorkerDeps, job_id: str) -> dict[str, Any]:
    return {"ok": True}


async def sweep_jobs(deps: WorkerDeps, job_id: str | None) -> dict[str, Any]:
    """Scheduled (``jobs.sweep``): queue again the jobs a dead worker or a lost Redis left
    behind. ``job_id`` is None when a tick runs it directly."""
    async with deps.uow() as uow:
        requeued = await jobs.sweep_stuck_jobs(
            uow,
            deps.queue,
            deps.clock,
            actor=System("jobs sweep"),
            grace=deps.runtime.settings.job_stale_after,
        )
    return {"requeued": requeued}
