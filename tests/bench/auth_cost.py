"""What authenticating one request costs in CPU: from the session cache, against the database.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.auth_cost            # 5,000 authentications each way

In one process, on a fresh migrated database and the real runtime (``build_runtime``: the
JWT codec, the unit of work, the pool, the cache and its listener on Redis), it registers a
user, logs in, and authenticates the access token the way every request does
(``authenticate_token`` in a unit of work of its own), ``-n`` times each, interleaved in
rounds of 500:

- **cached**: the runtime as production runs it (``TGHUB_AUTH_CACHE_SECONDS`` 5);
- **database**: a second runtime with the cache off (``0``), the baseline: what every
  request paid before.

It prints the CPU time of this process per authentication (``time.process_time``: the event
loop, SQLAlchemy, asyncpg and PyJWT, not PostgreSQL's own work) and the wall time. Nothing
here asserts timings; figures go to docs/perf.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import time
from typing import TYPE_CHECKING

from pydantic import SecretStr

from domain.accounts import service
from domain.accounts.rules import TokenType
from domain.bootstrap import build_runtime
from domain.settings import Settings
from tests.bench.messenger_dataset import REDIS_URL, create_database, drop_database

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.bootstrap import Runtime

ROUND = 500
PASSWORD = "bench-password"


def settings_for(url: str, key: str, cache_seconds: float) -> Settings:
    return Settings(
        database_url=url,
        redis_url=REDIS_URL,
        secret_key=SecretStr(key),
        channel_prefix=f"tghub-bench-auth-{os.getpid()}",
        auth_cache_seconds=cache_seconds,
        password_hash_time_cost=1,
        password_hash_memory_kib=256,
    )


async def access_token(runtime: Runtime) -> str:
    async with runtime.uow() as uow:
        await service.register_user(uow, runtime.auth, username="bench", password=PASSWORD)
    async with runtime.uow() as uow:
        return (await service.login(uow, runtime.auth, username="bench", password=PASSWORD)).access


async def authenticate(runtime: Runtime, token: str) -> None:
    async with runtime.uow() as uow:
        await service.authenticate_token(uow, runtime.auth, token=token, expected=TokenType.ACCESS)


async def one_round(runtime: Runtime, token: str) -> tuple[float, float]:
    """CPU and wall microseconds per authentication over ``ROUND`` of them."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(ROUND):
        await authenticate(runtime, token)
    return (
        (time.process_time() - cpu) / ROUND * 1e6,
        (time.perf_counter() - wall) / ROUND * 1e6,
    )


async def measure(url: str, count: int) -> dict[str, list[tuple[float, float]]]:
    key = secrets.token_urlsafe(48)
    cached, uncached = (
        build_runtime(settings_for(url, key, 5)),
        build_runtime(settings_for(url, key, 0)),
    )
    await cached.start()
    await uncached.start()
    try:
        assert cached.auth.sessions is not None
        while not cached.auth.sessions.armed:  # noqa: ASYNC110 - a flag the listener sets
            await asyncio.sleep(0.01)
        token = await access_token(cached)
        for runtime in (cached, uncached):  # warm: presence written, pools open
            for _ in range(50):
                await authenticate(runtime, token)
        results: dict[str, list[tuple[float, float]]] = {"cached": [], "database": []}
        for _ in range(max(1, count // ROUND)):
            results["cached"].append(await one_round(cached, token))
            results["database"].append(await one_round(uncached, token))
        return results
    finally:
        await cached.stop()
        await uncached.stop()


def report(results: dict[str, list[tuple[float, float]]]) -> None:
    print("| authentication | CPU per request (median of rounds) | wall per request | rounds |")
    print("|---|---|---|---|")
    for label, runs in results.items():
        cpu = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        print(f"| {label} | **{cpu:.0f} µs** | {wall:.0f} µs | {len(runs)} × {ROUND} |")
    ratio = statistics.median(r[0] for r in results["database"]) / statistics.median(
        r[0] for r in results["cached"]
    )
    print(f"\ncached is {ratio:.1f}× cheaper in CPU than reading the database")


async def run(count: int) -> None:
    name = f"tghub_bench_auth_{os.getpid()}"
    url = await create_database(name)
    try:
        report(await measure(url, count))
    finally:
        await drop_database(name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=5000, help="authentications each way")
    args = parser.parse_args(argv)
    asyncio.run(run(args.count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
