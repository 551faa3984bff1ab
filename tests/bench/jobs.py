"""Jobs through the queue: throughput and enqueue→start latency, next to raw Redis round trips.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.jobs                 # 2,000 jobs, 300 latency samples
    .venv/bin/python -m tests.bench.jobs -n 500 -l 100   # a quick check

In one run it:

1. creates and migrates a fresh database and empties a Redis database;
2. measures the raw Redis round trip (sequential ``PING`` from redis-py asyncio, as ARQ and
   the unit of work use it): p50/p99;
3. starts ``tghub worker`` as its own process with the shipped worker settings (``max_jobs``
   10, ``poll_delay`` 0.05 s, heartbeat 10 s);
4. throughput: commits N durable no-op jobs (``jobs.noop``: a row in ``jobs``, queued after
   commit) while the worker is running, and reports jobs/s from the first start to the last
   finish (read from the rows); then the same for N raw ARQ no-op jobs (``raw_noop``: no row,
   nothing written) as the transport's own ceiling;
5. latency: with the worker idle, commits one durable no-op job at a time and reads how long
   after the commit the worker marked it running (``started_at``, same machine clock): p50/p99;
6. stops the worker and drops the database.

Environment: ``TGHUB_BENCH_ADMIN_DATABASE_URL`` (default
``postgresql://app:app@127.0.0.1:5432/postgres``), ``TGHUB_BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/14``). Figures go to docs/perf.md; nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arq.constants import in_progress_key_prefix
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import func, select

from domain.bootstrap import build_runtime
from domain.jobs import service as jobs
from domain.jobs.model import Job, JobStatus
from domain.settings import Settings
from tests.pg import admin_execute, drop_statement, sibling_url
from tests.processes import start_worker
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get(
    "TGHUB_BENCH_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TGHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def describe(samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return f"p50 {percentile(ms, 0.5):.2f} ms, p99 {percentile(ms, 0.99):.2f} ms (n={len(ms)})"


async def redis_round_trips(url: str, count: int) -> list[float]:
    redis = Redis.from_url(url)
    samples = []
    try:
        for _ in range(50):
            await redis.ping()
        for _ in range(count):
            start = time.perf_counter()
            await redis.ping()
            samples.append(time.perf_counter() - start)
    finally:
        await redis.aclose()
    return samples


async def wait_worker_ready(runtime: Runtime) -> None:
    """The worker is up once it ran a probe job."""
    job_id = await enqueue_noops(runtime, 1)
    await wait_finished(runtime, job_id, 60)


async def enqueue_noops(runtime: Runtime, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        async with runtime.uow() as uow:
            job = await jobs.create_job(uow, kind=jobs.NOOP, args={})
            await uow.commit()
        ids.append(job.id)
    return ids


async def wait_finished(runtime: Runtime, ids: list[str], within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with runtime.uow() as uow:
            done = await uow.session.scalar(
                select(func.count()).where(Job.id.in_(ids), Job.status == JobStatus.SUCCEEDED)
            )
        if done == len(ids):
            return
        await asyncio.sleep(0.05)
    raise SystemExit(f"jobs did not finish within {within} s")


async def durable_throughput(runtime: Runtime, count: int) -> float:
    ids = await enqueue_noops(runtime, count)
    await wait_finished(runtime, ids, 600)
    async with runtime.uow() as uow:
        first, last = (
            await uow.session.execute(
                select(func.min(Job.started_at), func.max(Job.finished_at)).where(Job.id.in_(ids))
            )
        ).one()
    if first is None or last is None:
        raise SystemExit("the jobs left no timestamps")
    return count / (last - first).total_seconds()


async def raw_throughput(runtime: Runtime, count: int) -> float:
    arq = runtime.queue.redis
    queue = runtime.queue.queue_name
    await asyncio.gather(*(arq.enqueue_job("raw_noop", _queue_name=queue) for _ in range(count)))
    start = time.perf_counter()
    # Polling another process's progress: there is no event to wait on.
    while await arq.zcard(queue) or await _running_raw_jobs(arq):  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    return count / (time.perf_counter() - start)


async def _running_raw_jobs(arq: Any) -> bool:
    # A cron job's in-progress key outlives its run (ARQ's once-per-tick guard): skip those.
    keys = await arq.keys(f"{in_progress_key_prefix}*")
    return any(b"cron:" not in key for key in keys)


async def start_latencies(runtime: Runtime, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        async with runtime.uow() as uow:
            job = await jobs.create_job(uow, kind=jobs.NOOP, args={})
            committed = datetime.now(UTC)
            await uow.commit()
        await wait_finished(runtime, [job.id], 30)
        async with runtime.uow() as uow:
            started = await uow.session.scalar(select(Job.started_at).where(Job.id == job.id))
        assert started is not None
        samples.append((started - committed).total_seconds())
        await asyncio.sleep(0.02)  # an idle worker, not a backlog
    return samples


async def run(jobs_count: int, latency_count: int) -> None:
    name = f"tghub_bench_jobs_{secrets.token_hex(4)}"
    await admin_execute(ADMIN_URL, f'CREATE DATABASE "{name}"')
    folder = Path(tempfile.mkdtemp(prefix="tghub-bench-jobs-"))
    try:
        url = sibling_url(ADMIN_URL, name)
        await asyncio.to_thread(upgrade_head, url)
        settings = Settings(
            database_url=url,
            redis_url=REDIS_URL,
            data_dir=folder,
            secret_key=SecretStr(secrets.token_urlsafe(48)),
        )
        await measure(settings, folder, jobs_count, latency_count)
    finally:
        await admin_execute(ADMIN_URL, drop_statement(name))


async def measure(settings: Settings, folder: Path, jobs_count: int, latency_count: int) -> None:
    runtime = build_runtime(settings)
    await runtime.start()
    await runtime.redis.flushdb()
    rtt = await redis_round_trips(REDIS_URL, 2000)
    worker = start_worker(settings, folder / "worker.log", log_level="WARNING")
    try:
        await wait_worker_ready(runtime)
        print("worker ready; measuring durable jobs", flush=True)
        results: dict[str, Any] = {"durable": await durable_throughput(runtime, jobs_count)}
        print("measuring raw ARQ jobs", flush=True)
        results["raw"] = await raw_throughput(runtime, jobs_count)
        print("measuring enqueue -> start latency", flush=True)
        results["latency"] = await start_latencies(runtime, latency_count)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        await runtime.stop()
    report(rtt, results, jobs_count)


def report(rtt: list[float], results: dict[str, Any], jobs_count: int) -> None:
    print(f"raw Redis round trip (PING, redis-py asyncio): {describe(rtt)}")
    print(f"durable no-op jobs through the queue: {results['durable']:.0f} jobs/s (n={jobs_count})")
    print(f"raw ARQ no-op jobs (no row, same worker): {results['raw']:.0f} jobs/s (n={jobs_count})")
    print(f"enqueue (commit) -> start latency: {describe(results['latency'])}")
    p50_rtt = percentile(rtt, 0.5)
    p50_start = percentile(results["latency"], 0.5)
    print(f"start latency p50 / Redis round trip p50: {p50_start / p50_rtt:.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--jobs", type=int, default=2000)
    parser.add_argument("-l", "--latency-samples", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(run(args.jobs, args.latency_samples))


if __name__ == "__main__":
    main()
