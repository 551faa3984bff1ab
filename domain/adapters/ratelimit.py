"""Fixed-window rate limiting on Redis, shared by every process of a deployment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from domain.errors import ExternalUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis


class RedisRateLimiter:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> float | None:
        name = f"{self._prefix}:ratelimit:{key}"
        # SET NX EX starts the window (EXPIRE NX needs Redis 7; the embedded one is 6.2).
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(name, 0, ex=window_seconds, nx=True)
                pipe.incr(name)
                pipe.pttl(name)
                _, count, ttl_ms = await pipe.execute()
        except RedisError as exc:
            # Fail closed: without the counter, guessing would be unlimited.
            raise ExternalUnavailable("Rate limiting is unavailable; try again later.") from exc
        if int(count) <= limit:
            return None
        return max(int(ttl_ms), 0) / 1000 or float(window_seconds)
