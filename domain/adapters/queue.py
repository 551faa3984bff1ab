"""ARQ on Redis as the transport of jobs; arguments and results are JSON, never pickle.

A job travels under the id of its durable row (``_job_id``) and carries no arguments: the
worker reads them from the row, so what Redis holds is never the only copy.
"""

from __future__ import annotations

import json
from typing import Any

from arq.connections import ArqRedis
from arq.constants import (
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.jobs import Job as ArqJob
from arq.jobs import JobStatus as ArqStatus
from arq.utils import timestamp_ms
from redis.asyncio import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from domain.errors import ExternalUnavailable
from domain.ports import QueueState

_STATES = {
    ArqStatus.deferred: QueueState.QUEUED,
    ArqStatus.queued: QueueState.QUEUED,
    ArqStatus.in_progress: QueueState.IN_PROGRESS,
    ArqStatus.complete: QueueState.COMPLETE,
    ArqStatus.not_found: QueueState.ABSENT,
}


def serialize(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def deserialize(data: bytes) -> Any:
    return json.loads(data)


def create_arq_redis(url: str) -> ArqRedis:
    pool = ConnectionPool.from_url(url, socket_connect_timeout=2)
    return ArqRedis(pool, job_serializer=serialize, job_deserializer=deserialize)


class ArqJobQueue:
    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self.redis = redis
        self.queue_name = queue_name

    async def enqueue(self, job_id: str, kind: str, *, defer_by: float | None = None) -> None:
        # None back means a job with this id is queued already: exactly what we want.
        try:
            await self.redis.enqueue_job(
                kind, _job_id=job_id, _defer_by=defer_by, _queue_name=self.queue_name
            )
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise ExternalUnavailable("The job queue (Redis) is unavailable.") from exc

    async def requeue(self, job_id: str, kind: str) -> None:
        # ARQ would skip the id while a dead run's in-progress marker or result lives on.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(*(prefix + job_id for prefix in _JOB_KEY_PREFIXES))
            pipe.zrem(self.queue_name, job_id)
            await pipe.execute()
        await self.enqueue(job_id, kind)

    async def state(self, job_id: str) -> QueueState:
        status = await ArqJob(job_id, self.redis, _queue_name=self.queue_name).status()
        return _STATES[status]

    async def lengths(self) -> dict[str, int]:
        """How many jobs the queue holds: ``due`` now, and ``deferred`` (a retry's delay)."""
        now = timestamp_ms()  # ARQ's scores are its own clock's milliseconds
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zcount(self.queue_name, "-inf", now)
                pipe.zcount(self.queue_name, f"({now}", "+inf")
                due, deferred = await pipe.execute()
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise ExternalUnavailable("The job queue (Redis) is unavailable.") from exc
        return {"due": int(due), "deferred": int(deferred)}

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)


_JOB_KEY_PREFIXES = (job_key_prefix, in_progress_key_prefix, retry_key_prefix, result_key_prefix)
