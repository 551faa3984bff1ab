"""Use cases of durable jobs: create (queued after commit), run, finish, retry, sweep."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from domain.access import Guest, require_admin
from domain.errors import ExternalUnavailable, Invalid
from domain.jobs import repository, rules
from domain.jobs.errors import JobNotFound
from domain.jobs.events import JobChanged
from domain.jobs.model import Job, JobStatus

# Re-exported: the registry of scheduled jobs, for the cron table, the API and the CLI.
from domain.jobs.schedule import scheduled_jobs as scheduled_jobs
from domain.ports import QueueState

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from domain.access import Actor
    from domain.jobs.schedule import Schedule, ScheduledJob
    from domain.ports import Clock, EventSource, JobQueue
    from domain.uow import SqlAlchemyUnitOfWork, UnitOfWorkFactory


# A job that does nothing: probes that workers run, and measures the queue.
NOOP = "jobs.noop"


async def create_job(
    uow: SqlAlchemyUnitOfWork,
    *,
    kind: str,
    args: dict[str, Any],
    owner_id: uuid.UUID | None = None,
) -> Job:
    """Add a queued Job row; it is enqueued after the caller's commit, dropped on rollback."""
    job = Job(id=uuid.uuid4().hex, kind=kind, args=args, owner_id=owner_id)
    job.status, job.attempts = JobStatus.QUEUED, 0
    await repository.add_job(uow.session, job)
    uow.defer(job.id, kind)
    _emit(uow, job)
    return job


def list_scheduled_jobs(schedule: Schedule, *, actor: Actor) -> list[ScheduledJob]:
    """Admins see every scheduled job, in the registry's order."""
    require_admin(actor)
    return list(schedule)


async def run_scheduled_job(
    uow: SqlAlchemyUnitOfWork, schedule: Schedule, *, actor: Actor, name: str
) -> Job:
    """An admin (or tghub itself) asks for a run of a scheduled job now: its task, queued,
    or the run already queued or running (a second would only repeat it). Unknown names are
    ``Invalid`` on ``name``, listing the valid ones. Commits."""
    require_admin(actor)
    entry = schedule.find(name)
    if not entry.can_run_now:
        raise Invalid.single("name", f"{entry.name} runs only on its schedule.")
    job, _ = await _open_run(uow, entry.name, owner_id=actor.user_id)
    await uow.commit()
    return job


async def tick_scheduled_job(
    uow: SqlAlchemyUnitOfWork, schedule: Schedule, *, actor: Actor, name: str
) -> Job | None:
    """The cron table's tick of a scheduled job whose ticks are tasks: its task, queued;
    None (the tick skipped) while the previous run is still open. Commits."""
    require_admin(actor)
    job, queued = await _open_run(uow, schedule.find(name).name, owner_id=None)
    await uow.commit()
    return job if queued else None


async def _open_run(
    uow: SqlAlchemyUnitOfWork, kind: str, *, owner_id: uuid.UUID | None
) -> tuple[Job, bool]:
    """The open run of this kind, or a new one (True) when there is none."""
    await repository.lock_kind(uow.session, kind)
    found = await repository.find_open_job_of_kind(uow.session, kind)
    if found is not None:
        return found, False
    return await create_job(uow, kind=kind, args={}, owner_id=owner_id), True


def _visible(job: Job, actor: Actor) -> bool:
    # A guest of the open legacy group sees every task, as the original service's callers did.
    return isinstance(actor, Guest) or rules.visible_to(
        job.owner_id, viewer_id=actor.user_id, is_admin=actor.is_admin
    )


async def get_visible_job(uow: SqlAlchemyUnitOfWork, job_id: str, *, actor: Actor) -> Job:
    """The job if the actor may see it; JobNotFound otherwise (no leak)."""
    job = await repository.find_job(uow.session, job_id)
    if job is None or not _visible(job, actor):
        raise JobNotFound(job_id)
    return job


async def wait_for_job(
    uow: UnitOfWorkFactory,
    events: EventSource,
    job_id: str,
    *,
    actor: Actor,
    within: float,
    poll: float = 0.5,
) -> Job:
    """The job once it has finished, or as it is when ``within`` seconds have passed (a
    handler that answers with a job's outcome when it comes soon). Follows the job's changes
    on ``task:<id>`` and reads its row again at least every ``poll`` seconds, since an event
    may be lost; without the event bus, reads alone. JobNotFound when the actor may not see
    it."""
    deadline = asyncio.get_running_loop().time() + max(within, 0.0)
    try:
        async with events.subscribe(f"task:{job_id}") as messages:
            return await _follow(uow, job_id, actor, deadline, poll, aiter(messages))
    except ExternalUnavailable:  # the bus is unavailable: reading alone
        return await _follow(uow, job_id, actor, deadline, poll, None)


async def _follow(
    uow: UnitOfWorkFactory,
    job_id: str,
    actor: Actor,
    deadline: float,
    poll: float,
    changes: AsyncIterator[str] | None,
) -> Job:
    loop = asyncio.get_running_loop()
    # One pending read of the next change, kept across waits: cancelling an async
    # generator's ``anext`` would close it.
    pending: asyncio.Future[str | None] | None = None
    try:
        while True:
            async with uow() as unit:
                job = await get_visible_job(unit, job_id, actor=actor)
            remaining = deadline - loop.time()
            if not rules.is_open(job.status) or remaining <= 0:
                return job
            if changes is None:
                await asyncio.sleep(min(remaining, poll))
                continue
            if pending is None:
                pending = asyncio.ensure_future(anext(changes, None))
            done, _ = await asyncio.wait({pending}, timeout=min(remaining, poll))
            if done:
                finished, pending = pending, None
                if finished.result() is None:  # the subscription ended: reading alone
                    changes = None
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, ExternalUnavailable):
                await pending


async def visible_jobs(
    uow: SqlAlchemyUnitOfWork, job_ids: Sequence[str], *, actor: Actor
) -> dict[str, Job]:
    """Those of these jobs the actor may see, by id (the rest do not exist for them)."""
    found = await repository.jobs_by_ids(uow.session, job_ids)
    return {job_id: job for job_id, job in found.items() if _visible(job, actor)}


async def start_job(uow: SqlAlchemyUnitOfWork, clock: Clock, job_id: str) -> Job | None:
    """Mark the job running (one more attempt); None when it is unknown or already finished."""
    job = await repository.find_job(uow.session, job_id, for_update=True)
    if job is None or not rules.can_start(job.status):
        return None
    now = clock.now()
    job.status, job.attempts, job.heartbeat_at, job.retry_at = (
        JobStatus.RUNNING,
        job.attempts + 1,
        now,
        None,
    )
    job.started_at = job.started_at or now
    return await _commit(uow, job)


async def record_heartbeat(uow: SqlAlchemyUnitOfWork, clock: Clock, job_id: str) -> None:
    """The worker running the job is alive."""
    await repository.touch_heartbeat(uow.session, job_id, clock.now())
    await uow.commit()


async def finish_job(uow: SqlAlchemyUnitOfWork, clock: Clock, job_id: str, result: Any) -> Job:
    """Succeeded with a JSON result; emits JobChanged."""
    job = await _get_for_update(uow, job_id)
    job.status, job.result, job.error = JobStatus.SUCCEEDED, result, None
    job.finished_at = job.heartbeat_at = clock.now()
    return await _commit(uow, job)


async def fail_job(uow: SqlAlchemyUnitOfWork, clock: Clock, job_id: str, error: str) -> Job:
    """Failed for good, with a readable error; emits JobChanged."""
    job = await _get_for_update(uow, job_id)
    job.status, job.error = JobStatus.FAILED, error
    job.finished_at = job.heartbeat_at = clock.now()
    return await _commit(uow, job)


async def schedule_retry(
    uow: SqlAlchemyUnitOfWork, clock: Clock, job_id: str, *, error: str, delay: float
) -> Job:
    """Retrying after ``delay`` seconds (the transport defers it); emits JobChanged."""
    job = await _get_for_update(uow, job_id)
    job.status, job.error = JobStatus.RETRYING, error
    job.retry_at = clock.now() + timedelta(seconds=delay)
    return await _commit(uow, job)


async def sweep_stuck_jobs(
    uow: SqlAlchemyUnitOfWork,
    queue: JobQueue,
    clock: Clock,
    *,
    actor: Actor,
    grace: float,
    limit: int = 100,
) -> list[str]:
    """Queue again the open jobs whose worker died or whose transport lost them (tghub's own
    sweep).

    Re-running is safe because every job is idempotent. Returns the ids queued again.
    """
    require_admin(actor)
    now, window = clock.now(), timedelta(seconds=grace)
    revived: list[Job] = []
    for job in await repository.list_silent_jobs(uow.session, now - window, limit):
        stale = rules.is_stale(
            job.status,
            updated_at=job.updated_at,
            heartbeat_at=job.heartbeat_at,
            retry_at=job.retry_at,
            now=now,
            grace=window,
        )
        if stale and await _lost(queue, job):
            job.status, job.heartbeat_at, job.retry_at = JobStatus.QUEUED, None, None
            _emit(uow, job)
            revived.append(job)
    await uow.commit()
    for job in revived:
        await queue.requeue(job.id, job.kind)
    return [job.id for job in revived]


async def _lost(queue: JobQueue, job: Job) -> bool:
    # A running job with a silent heartbeat is lost whatever the transport says: a killed
    # worker leaves its in-progress marker behind until it expires.
    if job.status is JobStatus.RUNNING:
        return True
    return await queue.state(job.id) in {QueueState.ABSENT, QueueState.COMPLETE}


async def _get_for_update(uow: SqlAlchemyUnitOfWork, job_id: str) -> Job:
    job = await repository.find_job(uow.session, job_id, for_update=True)
    if job is None:
        raise JobNotFound(job_id)
    return job


async def _commit(uow: SqlAlchemyUnitOfWork, job: Job) -> Job:
    _emit(uow, job)
    await uow.commit()
    return job


def _emit(uow: SqlAlchemyUnitOfWork, job: Job) -> None:
    uow.emit(JobChanged(job_id=job.id, kind=job.kind, status=job.status, attempts=job.attempts))
