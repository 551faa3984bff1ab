"""The one cron table of the worker processes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from arq.cron import CronJob, cron

from workers.jobs.jobs import sweep_jobs
from workers.jobs.presence import sweep_presence

if TYPE_CHECKING:
    from domain.settings import Settings


def every(seconds: int) -> dict[str, set[int] | int]:
    """ARQ cron fields for "every ``seconds``" (under a minute, or whole minutes)."""
    if seconds < 60:
        return {"second": set(range(0, 60, seconds))}
    return {"second": 0, "minute": set(range(0, 60, max(seconds // 60, 1)))}


def cron_jobs(settings: Settings) -> list[CronJob]:
    # unique (ARQ's default): one run per tick across every worker process.
    return [
        cron(
            sweep_jobs,
            name="jobs.sweep",
            run_at_startup=True,
            timeout=60,
            keep_result=0,
            **every(settings.sweep_interval),  # type: ignore[arg-type]
        ),
        cron(
            sweep_presence,
            name="presence.sweep",
            timeout=60,
            keep_result=0,
            **every(30),  # type: ignore[arg-type]
        ),
    ]
