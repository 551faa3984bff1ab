"""``tghub health``: whether this process's environment reaches PostgreSQL and Redis.

The health check of the containers without an HTTP port (the worker and the listener, see
docker/compose.yaml): a container lives as long as its process does, so what is left to ask is
whether it can reach its stores. Only what failed is said (an error's type, as ``/readyz``
logs it): connection errors may quote an address, never a password, but nothing is risked.

Docker runs a health check every half minute, so it also runs as ``python -m tghub.health``,
which imports only the two clients: the ``tghub`` command line imports the whole API first
(about four times the CPU, each time).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from domain.adapters import db
from domain.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Awaitable

# Generous: a health check that fails on a slow answer restarts a container that was working.
CHECK_TIMEOUT = 5.0
NOT_CONFIGURED = (
    "tghub health needs TGHUB_DATABASE_URL and TGHUB_REDIS_URL; on the embedded servers of "
    "`tghub serve`, ask GET /readyz."
)


async def _state(check: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT)
    except Exception as exc:  # any failure means "unavailable"; what it was is all we say
        return f"unavailable ({type(exc).__name__})"
    return "ok"


async def store_states(database_url: str, redis_url: str) -> dict[str, str]:
    """``database`` and ``redis``, each ``ok`` or why not."""
    engine = db.create_engine(database_url, pool_size=1)
    redis = Redis.from_url(
        redis_url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT
    )
    try:
        return {"database": await _state(db.ping(engine)), "redis": await _state(redis.ping())}
    finally:
        await redis.aclose()
        await engine.dispose()


def health(settings: Settings) -> int:
    """Prints each store's state: 0 when both answer, 1 when one does not, 2 unconfigured."""
    if settings.database_url is None or settings.redis_url is None:
        print(NOT_CONFIGURED)
        return 2
    states = asyncio.run(store_states(settings.database_url, settings.redis_url))
    for name, state in states.items():
        print(f"{name}: {state}")
    return 0 if all(state == "ok" for state in states.values()) else 1


if __name__ == "__main__":
    raise SystemExit(health(Settings()))
