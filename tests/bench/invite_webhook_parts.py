"""Where a webhook call's CPU goes: one queued phone through each layer, in one process.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.invite_webhook_parts            # 5 rounds of 500 calls

It creates and migrates a fresh database, then times (CPU of this process, ``process_time``)
each way of queueing one phone, from the bare driver up to the service the webhook calls, and
the other pieces of a webhook call, in interleaved rounds, and prints the medians:

- asyncpg alone: the queue's INSERT in autocommit (one round trip), and inside BEGIN/COMMIT;
- a connection from SQLAlchemy's pool (no pre-ping) running the same INSERT on the driver;
- an ORM session (``repository.enqueue`` + commit), without and with tghub's pre-ping;
- ``runtime.uow()`` + ``service.accept_phones`` (what ``POST /webhook`` runs);
- the rate limiter's Redis call, ``rules.phone_batch`` of 100 phones, 100 ``uuid4``, and
  matching ``/webhook`` against the app's routes.

Environment: ``TGHUB_BENCH_ADMIN_DATABASE_URL`` (default
``postgresql://app:app@127.0.0.1:5432/postgres``), ``TGHUB_BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/14``; only a counter key of this run is written). Nothing here
asserts timings; figures go to docs/perf.md (P7).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import statistics
import sys
import time
import uuid
from typing import TYPE_CHECKING

import asyncpg
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from starlette.routing import Match

from domain.adapters.db import async_url
from domain.bootstrap import build_runtime
from domain.invites import repository, rules
from domain.invites import service as invites
from domain.settings import Settings
from tests.pg import admin_execute, drop_statement, sibling_url
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from starlette.routing import BaseRoute

    from domain.bootstrap import Runtime

ADMIN_URL = os.environ.get(
    "TGHUB_BENCH_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TGHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# The statement repository.enqueue runs, written for the driver.
ENQUEUE = (
    "INSERT INTO invite_requests (phone, task_id) "
    "SELECT unnest($1::varchar[]), unnest($2::uuid[]) "
    "ON CONFLICT (phone) WHERE done_at IS NULL DO NOTHING RETURNING phone"
)


def webhook_routes(settings: Settings) -> list[BaseRoute]:
    from resolvers.app import create_app

    return list(create_app(settings).router.routes)


class Parts:
    """Each way of queueing one phone, and the other pieces of a webhook call."""

    def __init__(self, runtime: Runtime, url: str, conn: asyncpg.Connection) -> None:
        self.runtime, self.conn = runtime, conn
        self.bare = create_async_engine(async_url(url), pool_size=2, pool_pre_ping=False)
        self.pinged = create_async_engine(async_url(url), pool_size=2, pool_pre_ping=True)
        self.bare_sessions = async_sessionmaker(self.bare, expire_on_commit=False)
        self.pinged_sessions = async_sessionmaker(self.pinged, expire_on_commit=False)
        self.numbers = itertools.count()
        self.batch = [f"+7916{n:07d}" for n in range(100)]
        self.routes = webhook_routes(runtime.settings)

    def phone(self) -> str:
        return f"+7916{next(self.numbers):07d}"

    async def driver_autocommit(self) -> None:
        await self.conn.fetch(ENQUEUE, [self.phone()], [uuid.uuid4()])

    async def driver_transaction(self) -> None:
        async with self.conn.transaction():
            await self.conn.fetch(ENQUEUE, [self.phone()], [uuid.uuid4()])

    async def pool_then_driver(self) -> None:
        async with self.bare.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.fetch(ENQUEUE, [self.phone()], [uuid.uuid4()])

    async def session_without_ping(self) -> None:
        async with self.bare_sessions() as session:
            await repository.enqueue(session, [self.phone()])
            await session.commit()

    async def session_with_ping(self) -> None:
        async with self.pinged_sessions() as session:
            await repository.enqueue(session, [self.phone()])
            await session.commit()

    async def service(self) -> None:
        async with self.runtime.uow() as uow:
            await invites.accept_phones(
                uow, actor=invites.WEBHOOK, phones=[self.phone()], region="RU"
            )

    async def rate_limit(self) -> None:
        await self.runtime.auth.limiter.hit(
            f"invite-webhook-bench:{os.getpid()}", limit=10**9, window_seconds=60
        )

    async def phone_batch(self) -> None:
        rules.phone_batch(list(self.batch), "RU")

    async def task_ids(self) -> None:
        [uuid.uuid4() for _ in range(100)]

    async def route_matching(self) -> None:
        """Starlette's router walking the app's routes to ``POST /webhook``."""
        scope = {"type": "http", "path": "/webhook", "method": "POST", "root_path": ""}
        for route in self.routes:
            if route.matches(scope)[0] is Match.FULL:
                return

    def labelled(self) -> dict[str, Callable[[], Awaitable[None]]]:
        return {
            "asyncpg: the INSERT, autocommit (1 round trip)": self.driver_autocommit,
            "asyncpg: BEGIN, the INSERT, COMMIT": self.driver_transaction,
            "SQLAlchemy pool checkout (no pre-ping), INSERT on the driver": self.pool_then_driver,
            "ORM session: repository.enqueue + commit, no pre-ping": self.session_without_ping,
            "ORM session: the same with pre-ping (tghub's engine)": self.session_with_ping,
            "runtime.uow() + service.accept_phones (the webhook's)": self.service,
            "rate limiter hit (Redis)": self.rate_limit,
            "rules.phone_batch of 100 phones (phonenumbers)": self.phone_batch,
            "100 × uuid4 (the task ids of a batch)": self.task_ids,
            "router: matching POST /webhook": self.route_matching,
        }

    async def close(self) -> None:
        await self.bare.dispose()
        await self.pinged.dispose()


async def timed(parts: dict[str, Callable[[], Awaitable[None]]], rounds: int, calls: int) -> None:
    spent: dict[str, list[float]] = {label: [] for label in parts}
    for part in parts.values():  # warm: connections, prepared statements, caches
        for _ in range(100):
            await part()
    for _ in range(rounds):
        for label, part in parts.items():
            start = time.process_time()
            for _ in range(calls):
                await part()
            spent[label].append((time.process_time() - start) / calls * 1e6)
    print(f"CPU of this process per call, µs: median of {rounds} rounds of {calls}\n")
    print("| part | µs (median) | per round |\n|---|---|---|")
    for label, values in spent.items():
        rounds_text = " / ".join(f"{v:.0f}" for v in values)
        print(f"| {label} | **{statistics.median(values):.0f}** | {rounds_text} |")


async def measure(url: str, rounds: int, calls: int) -> None:
    settings = Settings(
        database_url=url,
        redis_url=REDIS_URL,
        secret_key=SecretStr(secrets.token_urlsafe(48)),
        channel_prefix=f"tghub-bench-parts-{os.getpid()}",
    )
    runtime = build_runtime(settings)
    await runtime.start()
    conn = await asyncpg.connect(url)
    parts = Parts(runtime, url, conn)
    try:
        await timed(parts.labelled(), rounds, calls)
    finally:
        await parts.close()
        await conn.close()
        await runtime.stop()


async def run(rounds: int, calls: int) -> None:
    name = f"tghub_bench_invite_parts_{os.getpid()}"
    await admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"')
    url = sibling_url(ADMIN_URL, name)
    try:
        await asyncio.to_thread(upgrade_head, url)
        await measure(url, rounds, calls)
    finally:
        await admin_execute(ADMIN_URL, drop_statement(name))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("-r", "--rounds", type=int, default=5)
    parser.add_argument("-n", "--calls", type=int, default=500, help="calls per part and round")
    args = parser.parse_args(argv)
    asyncio.run(run(args.rounds, args.calls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
