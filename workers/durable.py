"""Runs a job against its durable row: running → succeeded / failed / retrying.

The row, not Redis, is the truth: arguments are read from it, every transition is written
to it (and published on ``task:<id>``), and a heartbeat tells the sweeper the run is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING, Any

from arq import Retry
from arq.worker import Function, func

from domain.adapters.logs import bind
from domain.errors import DomainError, ExternalUnavailable, Invalid, RateLimited
from domain.jobs import rules
from domain.jobs import service as jobs
from domain.jobs.rules import JobStatus
from domain.metrics import metrics

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from domain.jobs.model import Job
    from domain.ports import Clock
    from workers.deps import WorkerDeps

    Handler = Callable[..., Awaitable[Any]]

log = logging.getLogger(__name__)
# Retries are ours (rules.MAX_ATTEMPTS); ARQ must never give up on a job before we do.
ARQ_MAX_TRIES = 10_000
# The status counted for a delivery of a job that finished already (or is unknown).
DUPLICATE = "duplicate"


def durable(kind: str, handler: Handler) -> Function:
    """An ARQ function named ``kind`` that runs ``handler(deps, job_id, **row.args)``."""

    async def run(ctx: dict[str, Any]) -> Any:
        deps: WorkerDeps = ctx["deps"]
        bind(job_id=ctx["job_id"], job_kind=kind)
        record_start(kind, ctx, deps.clock)
        async with deps.uow() as uow:
            job = await jobs.start_job(uow, deps.clock, ctx["job_id"])
        if job is None:  # finished already, or unknown: a duplicate delivery runs nothing
            record_end(kind, DUPLICATE)
            return None
        log.debug("job %s (%s) started, attempt %d", job.id, kind, job.attempts)
        if job.attempts > rules.MAX_ATTEMPTS:
            return await _fail(deps, job, f"Gave up after {job.attempts - 1} attempts.")
        return await _execute(deps, job, handler)

    return func(run, name=kind, max_tries=ARQ_MAX_TRIES)


async def _execute(deps: WorkerDeps, job: Job, handler: Handler) -> Any:
    try:
        async with _heartbeat(deps, job.id):
            result = await handler(deps, job.id, **job.args)
    except RateLimited as exc:
        await _retry(deps, job, exc.message, exc.retry_after, rules.should_retry_rate_limit)
    except ExternalUnavailable as exc:
        delay = rules.backoff_seconds(job.attempts)
        await _retry(deps, job, exc.message, delay, rules.should_retry_error)
    except DomainError as exc:
        await _fail(deps, job, readable(exc))
    except Exception:
        reference = uuid.uuid4().hex
        log.exception("job %s (%s) crashed; reference %s", job.id, job.kind, reference)
        error = f"Internal error (reference {reference})."
        await _retry(
            deps, job, error, rules.backoff_seconds(job.attempts), rules.should_retry_error
        )
    else:
        async with deps.uow() as uow:
            await jobs.finish_job(uow, deps.clock, job.id, result)
        record_end(job.kind, JobStatus.SUCCEEDED)
        return result
    return None


def record_start(kind: str, ctx: dict[str, Any], clock: Clock) -> None:
    """How long the job waited since it was due: ARQ's score is that instant (its queueing,
    or the end of its deferral, a retry's delay say) in milliseconds. A run that ARQ did
    not deliver (a tick called by hand) has none."""
    due_ms = ctx.get("score")
    if due_ms is not None:
        waited = clock.now().timestamp() - due_ms / 1000
        metrics().job_queue_seconds.labels(kind).observe(max(waited, 0.0))  # clocks differ


def record_end(kind: str, status: str) -> None:
    metrics().jobs.labels(kind, status).inc()


def readable(exc: DomainError) -> str:
    """The message, with an Invalid's field messages when it says no more than "Invalid input"."""
    if isinstance(exc, Invalid) and exc.message == Invalid.default_message and exc.field_errors:
        return " ".join(" ".join(messages) for messages in exc.field_errors.values())
    return exc.message


async def _retry(
    deps: WorkerDeps, job: Job, error: str, delay: float, allowed: Callable[[int], bool]
) -> None:
    if not allowed(job.attempts):
        await _fail(deps, job, f"{error} Gave up after {job.attempts} attempts.")
        return
    async with deps.uow() as uow:
        await jobs.schedule_retry(uow, deps.clock, job.id, error=error, delay=delay)
    record_end(job.kind, JobStatus.RETRYING)
    raise Retry(defer=delay)


async def _fail(deps: WorkerDeps, job: Job, error: str) -> None:
    async with deps.uow() as uow:
        await jobs.fail_job(uow, deps.clock, job.id, error)
    record_end(job.kind, JobStatus.FAILED)


@contextlib.asynccontextmanager
async def _heartbeat(deps: WorkerDeps, job_id: str) -> AsyncIterator[None]:
    task = asyncio.create_task(_beat(deps, job_id))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _beat(deps: WorkerDeps, job_id: str) -> None:
    interval = deps.runtime.settings.job_heartbeat_interval
    while True:
        await asyncio.sleep(interval)
        try:
            async with deps.uow() as uow:
                await jobs.record_heartbeat(uow, deps.clock, job_id)
        except Exception:  # a missed beat is harmless; only silence for job_stale_after counts
            log.warning("heartbeat of job %s failed", job_id, exc_info=True)
