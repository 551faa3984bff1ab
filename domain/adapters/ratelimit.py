"""Fixed-window rate limiting on Redis, shared by every process of a deployment."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from domain.errors import ExternalUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


# Only within the window that counted the attempt: a DECR after the key expired would start
# a counter with no expiry.
_REFUND = """
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
    return redis.call('DECR', KEYS[1])
end
return 0
"""


class RedisRateLimiter:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._refund = redis.register_script(_REFUND)

    def _name(self, key: str) -> str:
        return f"{self._prefix}:ratelimit:{key}"

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> float | None:
        name = self._name(key)
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

    async def refund(self, key: str) -> None:
        try:
            await self._refund(keys=[self._name(key)])
        except RedisError:  # the attempt stays counted: safe, so not worth failing the caller
            log.warning("rate limiter could not refund an attempt", exc_info=True)
