"""Composition root of the worker process (``tghub worker``): ARQ settings, jobs, startup."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from arq.connections import RedisSettings
from arq.worker import Function, func

from domain.adapters.clock import SystemClock
from domain.adapters.heartbeat import WorkerHeartbeat
from domain.adapters.logs import start_context
from domain.adapters.queue import deserialize, serialize
from domain.adapters.telegram import build_gateway
from domain.bootstrap import build_runtime, queue_name
from domain.bots import service as bots
from domain.jobs import schedule
from domain.jobs import service as jobs
from domain.metrics import start_metrics
from domain.telegram import service as telegram
from workers import cron
from workers.deps import WorkerDeps
from workers.durable import durable
from workers.jobs import bots as bots_jobs
from workers.jobs import invites as invites_jobs
from workers.jobs import jobs as jobs_jobs
from workers.jobs import mailing as mailing_jobs
from workers.jobs import presence as presence_jobs
from workers.jobs import telegram as telegram_jobs
from workers.resilient import ResilientWorker

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from domain.settings import Settings
    from workers.durable import Handler

HANDLERS: dict[str, Handler] = {
    jobs.NOOP: jobs_jobs.noop,
    telegram.SEND_LOGIN_CODE: telegram_jobs.send_login_code,
    telegram.SIGN_IN: telegram_jobs.sign_in,
    telegram.SEND_MESSAGES: telegram_jobs.send_messages,
    bots.REGISTER_BOT: bots_jobs.register_bot,
    bots.LINK_CHANNEL: bots_jobs.link_channel,
    bots.POST_MESSAGE: bots_jobs.post_message,
    bots.CHECK_LINKS: bots_jobs.check_links,
    bots.COLLECT_STATS: bots_jobs.collect_stats,
    # Scheduled jobs (domain/jobs/schedule.py): the cron table and "run now" run these.
    schedule.JOBS_SWEEP: jobs_jobs.sweep_jobs,
    schedule.PRESENCE_SWEEP: presence_jobs.sweep_presence,
    schedule.MAILING_DISPATCH: mailing_jobs.dispatch_mailings,
    schedule.INVITES_DISPATCH: invites_jobs.dispatch_invites,
    schedule.INVITES_RESET_QUOTAS: invites_jobs.reset_quotas,
}


async def raw_noop(ctx: dict[str, Any]) -> None:
    """ARQ alone, without the durable row: the queue benchmark's baseline."""


def functions() -> list[Function]:
    return [durable(kind, handler) for kind, handler in HANDLERS.items()] + [func(raw_noop)]


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    runtime: Runtime | None = ctx.get("runtime")
    if runtime is None:  # a worker process of its own; in-process workers share the API's
        runtime = ctx["own_runtime"] = build_runtime(settings)
        await runtime.start()
    ctx["deps"] = WorkerDeps(runtime, build_gateway(settings, runtime), SystemClock())


async def job_started(ctx: dict[str, Any]) -> None:
    """Every log line of a job, ARQ's own included, carries its id (each job is a task)."""
    start_context(job_id=ctx["job_id"])


async def shutdown(ctx: dict[str, Any]) -> None:
    deps: WorkerDeps | None = ctx.get("deps")
    if deps is not None:
        await deps.gateway.close()
    if "own_runtime" in ctx:
        await ctx["own_runtime"].stop()


def worker_settings(settings: Settings, runtime: Runtime | None = None) -> dict[str, Any]:
    """ARQ's WorkerSettings, built from our Settings (never at import time)."""
    if settings.redis_url is None:
        raise RuntimeError("redis_url must be resolved before building a worker")
    return {
        "functions": functions(),
        "cron_jobs": cron.cron_jobs(jobs.scheduled_jobs(settings), HANDLERS),
        "timezone": UTC,  # cron schedules are UTC
        "on_startup": startup,
        "on_shutdown": shutdown,
        "on_job_start": job_started,
        "ctx": {"settings": settings, "runtime": runtime},
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": queue_name(settings),
        "job_serializer": serialize,
        "job_deserializer": deserialize,
        "max_jobs": settings.worker_max_jobs,
        "job_timeout": settings.job_timeout,
        # Results live in the jobs table; Redis keeps none, so a job id can be queued again.
        "keep_result": 0,
        "poll_delay": 0.05,
    }


def create_worker(
    settings: Settings, runtime: Runtime | None = None, **overrides: Any
) -> ResilientWorker:
    start_metrics(settings)
    heartbeat = WorkerHeartbeat(settings.channel_prefix, settings.worker_heartbeat_interval)
    return ResilientWorker(
        heartbeat=heartbeat, **{**worker_settings(settings, runtime), **overrides}
    )
