"""Pure rules of jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.jobs import rules
from domain.jobs.rules import JobStatus

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(seconds=60)


class TestBackoff:
    @pytest.mark.parametrize(("attempts", "seconds"), [(0, 2), (1, 2), (2, 4), (3, 8), (20, 300)])
    def test_doubles_and_is_capped(self, attempts: int, seconds: float) -> None:
        assert rules.backoff_seconds(attempts) == seconds


class TestIsStale:
    def test_a_running_job_with_a_recent_heartbeat_is_alive(self) -> None:
        assert not rules.is_stale(
            JobStatus.RUNNING,
            updated_at=NOW - 3 * GRACE,
            heartbeat_at=NOW - GRACE / 2,
            retry_at=None,
            now=NOW,
            grace=GRACE,
        )

    def test_a_running_job_with_a_silent_heartbeat_is_stale(self) -> None:
        assert rules.is_stale(
            JobStatus.RUNNING,
            updated_at=NOW - 3 * GRACE,
            heartbeat_at=NOW - 2 * GRACE,
            retry_at=None,
            now=NOW,
            grace=GRACE,
        )

    def test_a_retry_waiting_for_its_time_is_not_stale(self) -> None:
        assert not rules.is_stale(
            JobStatus.RETRYING,
            updated_at=NOW - 10 * GRACE,
            heartbeat_at=None,
            retry_at=NOW + GRACE,
            now=NOW,
            grace=GRACE,
        )

    def test_a_retry_long_overdue_is_stale(self) -> None:
        assert rules.is_stale(
            JobStatus.RETRYING,
            updated_at=NOW - 10 * GRACE,
            heartbeat_at=None,
            retry_at=NOW - 2 * GRACE,
            now=NOW,
            grace=GRACE,
        )

    @pytest.mark.parametrize("status", [JobStatus.SUCCEEDED, JobStatus.FAILED])
    def test_finished_jobs_are_never_stale(self, status: JobStatus) -> None:
        assert not rules.is_stale(
            status,
            updated_at=NOW - 100 * GRACE,
            heartbeat_at=None,
            retry_at=None,
            now=NOW,
            grace=GRACE,
        )


class TestCelery:
    def test_every_status_has_a_celery_name(self) -> None:
        assert set(rules.CELERY_STATUS) == set(JobStatus)
        assert set(rules.CELERY_STATUS.values()) == {
            "PENDING",
            "STARTED",
            "RETRY",
            "SUCCESS",
            "FAILURE",
        }


class TestRetryBudget:
    def test_errors_give_up_sooner_than_flood_waits(self) -> None:
        assert rules.should_retry_error(rules.MAX_ERROR_ATTEMPTS - 1)
        assert not rules.should_retry_error(rules.MAX_ERROR_ATTEMPTS)
        assert rules.should_retry_rate_limit(rules.MAX_ERROR_ATTEMPTS)
        assert not rules.should_retry_rate_limit(rules.MAX_ATTEMPTS)
