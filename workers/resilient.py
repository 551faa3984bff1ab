"""ARQ's worker, made to outlive a Redis outage and to say it is alive.

Why ARQ 0.28's worker dies: ``Worker.main`` runs ``async for _ in poll(): await
self._poll_iteration()`` with no error handling, and the first Redis command of an iteration
(``ZRANGEBYSCORE`` on the queue) raises ``redis.exceptions.ConnectionError`` once Redis is
gone. The exception leaves ``main``: an in-process worker's task ends (nobody awaits it until
shutdown), and ``Worker.run`` (``tghub worker``) goes on to ``close()``, which fails on Redis
too, and the process exits. Nothing restarts either, so a job queued meanwhile stays queued.

Here an iteration that fails on the connection is logged (once per outage), waited out with a
back-off, and tried again: the loop, its running jobs, cron table and startup state carry on,
so nothing has to be rebuilt. The jobs queued meanwhile have their rows in PostgreSQL, and the
sweeper (a cron job of this loop) queues them again once Redis answers.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Any

from arq.worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError
from typing_extensions import override

from domain.outage import Outage

if TYPE_CHECKING:
    from domain.adapters.heartbeat import WorkerHeartbeat

log = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)
BACKOFF_START = 0.05
BACKOFF_CAP = 2.0  # the longest a worker waits after Redis is back before it polls again


class ResilientWorker(Worker):
    def __init__(self, *, heartbeat: WorkerHeartbeat, **settings: Any) -> None:
        super().__init__(**settings)
        self.heartbeat = heartbeat
        self._outage = Outage(log, "polling Redis for jobs", "polls failed")
        self._backoff = BACKOFF_START

    @override
    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
            await self.heartbeat.beat(self.pool)
        except REDIS_DOWN as exc:
            self._outage.failed(exc)
            self.heartbeat.beat_next_time()
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, BACKOFF_CAP)
        else:
            self._outage.succeeded()
            self._backoff = BACKOFF_START

    @override
    async def close(self) -> None:
        # ARQ's own steps, but it gathered the job tasks it had just cancelled without
        # return_exceptions: a job still running made close() raise CancelledError and skip
        # on_shutdown (the runtime and Telegram clients stayed open). Its row stays RUNNING
        # for the sweeper, as after a crash.
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        if not self._pool:
            return
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        await self.pool.delete(self.health_check_key)
        if self.on_shutdown:
            await self.on_shutdown(self.ctx)
        await self.pool.aclose(close_connection_pool=True)
        self._pool = None

    @override
    async def start_jobs(self, job_ids: list[bytes]) -> None:
        # One at a time, so that a failure can be traced to the one job it left half-started.
        for job_id in job_ids:
            await self._start_job(job_id)

    async def _start_job(self, job_id: bytes) -> None:
        key = job_id.decode()
        task_before = self.tasks.get(key)
        try:
            await super().start_jobs([job_id])
        except (*REDIS_DOWN, WatchError) as exc:
            # ARQ takes a slot (its semaphore and job counter) before its Redis calls and
            # gives it back when the job's task ends; a failure before the task exists would
            # lose the slot for good, and after max_jobs of them the worker runs nothing.
            if self.tasks.get(key) is task_before:
                self._release_sem_dec_counter_on_complete()
            if isinstance(exc, WatchError):
                # ARQ handles a watched key that changed (at EXEC); a WatchError that gets
                # here is redis-py's word for a connection lost between WATCH and EXEC.
                raise RedisConnectionError(f"lost Redis while starting job {key}") from exc
            raise
