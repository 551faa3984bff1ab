"""SQL of the jobs aggregate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select, update

from domain.jobs.model import Job, JobStatus
from domain.jobs.rules import OPEN
from domain.text import is_storable

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession


async def add_job(session: AsyncSession, job: Job) -> None:
    session.add(job)
    await session.flush()


async def find_job(session: AsyncSession, job_id: str, *, for_update: bool = False) -> Job | None:
    if not is_storable(job_id):  # PostgreSQL refuses NUL and lone surrogates: no job has one
        return None
    query = select(Job).where(Job.id == job_id)
    if for_update:
        query = query.with_for_update()
    job: Job | None = (await session.execute(query)).scalar_one_or_none()
    return job


async def jobs_by_ids(session: AsyncSession, ids: Sequence[str]) -> dict[str, Job]:
    query = select(Job).where(Job.id.in_([job_id for job_id in ids if is_storable(job_id)]))
    return {job.id: job for job in (await session.execute(query)).scalars()}


async def touch_heartbeat(session: AsyncSession, job_id: str, now: datetime) -> None:
    await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )


async def list_silent_jobs(session: AsyncSession, before: datetime, limit: int) -> list[Job]:
    """Open jobs not written since ``before``; locked, skipping rows a worker holds now."""
    query = (
        select(Job)
        .where(
            Job.status.in_(OPEN),
            or_(Job.updated_at < before, Job.heartbeat_at < before, Job.retry_at < before),
        )
        .order_by(Job.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


async def lock_kind(session: AsyncSession, kind: str) -> None:
    """Until the transaction ends, the one writer of open jobs of this kind (a scheduled
    job's tick and a run asked for now look for an open run, then add one)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"job kind {kind}"))))


async def find_open_job_of_kind(session: AsyncSession, kind: str) -> Job | None:
    query = (
        select(Job).where(Job.kind == kind, Job.status.in_(OPEN)).order_by(Job.created_at).limit(1)
    )
    job: Job | None = (await session.execute(query)).scalar_one_or_none()
    return job
