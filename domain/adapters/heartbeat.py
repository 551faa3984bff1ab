"""Worker liveness in Redis: every worker refreshes one key, the API's ``/readyz`` reads it.

One key for every worker (not one each): readiness asks "does any worker run?", which one
``EXISTS`` answers without scanning the keyspace, and Redis expires it, so no clocks are
compared across machines. Its value names the worker that beat last, for a person reading it.
"""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

# A worker may miss two beats (a slow poll, a short Redis hiccup) before it counts as gone.
TTL_INTERVALS = 3


def heartbeat_key(prefix: str) -> str:
    return f"{prefix}:worker:heartbeat"


class WorkerHeartbeat:
    """Called on every poll of the worker's loop; writes at most once per ``interval``."""

    def __init__(self, prefix: str, interval: float) -> None:
        self.key = heartbeat_key(prefix)
        self._interval = interval
        self._ttl_ms = max(int(interval * TTL_INTERVALS * 1000), 1)
        self._name = f"{socket.gethostname()}:{os.getpid()}"
        self._due = 0.0

    async def beat(self, redis: Redis) -> None:
        now = time.monotonic()
        if now < self._due:
            return
        await redis.set(self.key, self._name, px=self._ttl_ms)
        self._due = now + self._interval

    def beat_next_time(self) -> None:
        """After an outage: Redis may have restarted empty, so write at the next chance."""
        self._due = 0.0


async def worker_alive(redis: Redis, prefix: str) -> bool:
    """Whether some worker beat within the last few intervals."""
    return bool(await redis.exists(heartbeat_key(prefix)))
