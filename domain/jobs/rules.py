"""Pure rules of jobs: transitions, retry back-off, the Celery names of the legacy API."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime, timedelta


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


OPEN = frozenset({JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RETRYING})
STARTABLE = frozenset({JobStatus.QUEUED, JobStatus.RETRYING, JobStatus.RUNNING})

# A job that hits flood limits is retried for as long as Telegram asks; bugs give up sooner.
MAX_ATTEMPTS = 25
MAX_ERROR_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0

CELERY_STATUS = {
    JobStatus.QUEUED: "PENDING",
    JobStatus.RUNNING: "STARTED",
    JobStatus.RETRYING: "RETRY",
    JobStatus.SUCCEEDED: "SUCCESS",
    JobStatus.FAILED: "FAILURE",
}


def visible_to(owner_id: object, *, viewer_id: object, is_admin: bool) -> bool:
    """A task is its requester's (and every admin's); to anyone else it does not exist."""
    return is_admin or owner_id == viewer_id


def is_open(status: JobStatus) -> bool:
    return status in OPEN


def can_start(status: JobStatus) -> bool:
    """A delivery of a finished job (a duplicate, or a sweeper race) runs nothing."""
    return status in STARTABLE


def backoff_seconds(attempts: int) -> float:
    """Exponential: 2, 4, 8 … seconds after the 1st, 2nd, 3rd … failure, capped at 5 minutes."""
    return min(BACKOFF_BASE_SECONDS * 2.0 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


def should_retry_error(attempts: int) -> bool:
    return attempts < MAX_ERROR_ATTEMPTS


def should_retry_rate_limit(attempts: int) -> bool:
    return attempts < MAX_ATTEMPTS


def is_stale(
    status: JobStatus,
    *,
    updated_at: datetime,
    heartbeat_at: datetime | None,
    retry_at: datetime | None,
    now: datetime,
    grace: timedelta,
) -> bool:
    """Open and silent for longer than ``grace``: its worker died, or Redis lost it."""
    if status is JobStatus.RUNNING:
        return (heartbeat_at or updated_at) < now - grace
    if status is JobStatus.RETRYING and retry_at is not None:
        return retry_at < now - grace
    return status is JobStatus.QUEUED and updated_at < now - grace
