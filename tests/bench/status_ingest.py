"""Online-status changes ingested per second: tghub's write path against raw ``COPY``.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.status_ingest                  # 10,000 users, batches of 1,000
    .venv/bin/python -m tests.bench.status_ingest -u 2000 -r 3      # a quick check

In one run it:

1. creates and migrates a fresh database, and fills it (raw SQL, not measured) with 10
   trackers and ``--users`` tracked users spread over them;
2. for each of ``--rounds`` rounds, interleaved so all sides meet the same machine:
   - **write path**: every tracked user's status flips (so every change is a row to write)
     and goes through ``tracking.service.record_statuses`` in batches of ``--batch`` (the
     listener's batch) with the listener's cache of what it last wrote: the planning, one
     COPY, the commit, the ``OnlineStatusChanged`` published (the runtime is started);
   - **without cache**: the same, every user's latest status looked up first (the
     listener's first batch after each scan, which empties its cache);
   - **COPY**: the same number of rows, in the same batches, straight into
     ``online_statuses`` with asyncpg's ``copy_records_to_table`` (no lookup, one COPY and a
     commit per batch): the ceiling of what PostgreSQL takes;
3. prints rows/s of each, per round and as medians, and their ratios to COPY (the aim is
   ≥ 0.5);
4. drops the database.

Environment: ``TGHUB_BENCH_ADMIN_DATABASE_URL`` (default
``postgresql://app:app@127.0.0.1:5432/postgres``). Figures go to docs/perf.md; nothing here
asserts timings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
from pydantic import SecretStr

from domain.access import System
from domain.bootstrap import build_runtime
from domain.settings import Settings
from domain.tracking import service as tracking
from domain.tracking.rules import StatusChange, TrackedState
from tests.pg import admin_execute, drop_statement, sibling_url
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

ADMIN_URL = os.environ.get(
    "TGHUB_BENCH_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
TRACKERS = 10
LISTENER = System("status ingest benchmark")


async def fill(url: str, users: int) -> list[int]:
    """Trackers, one Telegram user owning every tracked user, and the tracked users; their
    ids."""
    conn = await asyncpg.connect(url)
    try:
        for n in range(1, TRACKERS + 1):
            await conn.execute(
                "INSERT INTO tracker_accounts (id, telegram_id, api_id, api_hash_enc,"
                " api_hash_digest, is_active, is_auth) VALUES ($1, $2, $3, 'x', $4, true, true)",
                n,
                1_000_000 + n,
                n,
                secrets.token_hex(32),
            )
        await conn.execute(
            "INSERT INTO telegram_users (id, telegram_id, max_users, current_users)"
            " VALUES (1, 42, $1, $1)",
            users,
        )
        await conn.execute(
            "INSERT INTO tracked_users (id, tracker_account_id, telegram_user_id, username)"
            " SELECT n, 1 + n % $2, 1, 'user' || n FROM generate_series(1, $1) AS n",
            users,
            TRACKERS,
        )
    finally:
        await conn.close()
    return list(range(1, users + 1))


def batches(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def runtime_of(url: str) -> Runtime:
    """tghub's runtime on the benchmark's database (only its units of work are used)."""
    return build_runtime(
        Settings(
            database_url=url,
            redis_url="redis://127.0.0.1:6379/14",
            secret_key=SecretStr(secrets.token_urlsafe(32)),
            data_dir=Path(tempfile.mkdtemp(prefix="tghub-bench-")),
            channel_prefix=f"bench-{secrets.token_hex(4)}",
        )
    )


async def write_path(
    runtime: Runtime,
    ids: list[int],
    batch: int,
    online: bool,
    at: datetime,
    known: tracking.StateCache | None,
) -> float:
    """Seconds for every user's change through ``record_statuses``, batch by batch, with
    the listener's cache of what it last wrote (``known``) or without (every user looked
    up, as in the listener's first batch after each scan)."""
    start = time.perf_counter()
    for part in batches(ids, batch):
        changes = [StatusChange(i, online, at) for i in part]
        async with runtime.uow() as uow:
            written = await tracking.record_statuses(
                uow, actor=LISTENER, changes=changes, known=known
            )
        assert written == len(part), (written, len(part))
    return time.perf_counter() - start


async def copy(url: str, ids: list[int], batch: int, online: bool, at: datetime) -> float:
    """Seconds for the same rows straight into the table with COPY, batch by batch."""
    conn = await asyncpg.connect(url)
    try:
        start = time.perf_counter()
        for part in batches(ids, batch):
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "online_statuses",
                    records=[(i, online, at) for i in part],
                    columns=["tracked_user_id", "is_online", "created_at"],
                )
        return time.perf_counter() - start
    finally:
        await conn.close()


async def run(users: int, batch: int, rounds: int) -> None:
    name = f"tghub_bench_status_{os.getpid()}"
    await admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"')
    url = sibling_url(ADMIN_URL, name)
    try:
        await asyncio.to_thread(upgrade_head, url)
        ids = await fill(url, users)
        runtime = runtime_of(url)
        await runtime.start()  # events are published, as the listener's are
        base = datetime.now(UTC)
        known: tracking.StateCache = {}
        await write_path(runtime, ids, batch, False, base, known)  # the first look: warm-up
        cached: list[float] = []
        looked_up: list[float] = []
        raw: list[float] = []
        print(f"{users} tracked users over {TRACKERS} trackers, batches of {batch}")
        print(
            f"{'round':>5}  {'write path rows/s':>18}  {'without cache':>14}  {'COPY rows/s':>12}"
        )
        for n in range(rounds):
            at = base + timedelta(seconds=3 * n + 1)
            # Each pass flips every status, so the write path writes one row per user.
            cached.append(users / await write_path(runtime, ids, batch, True, at, known))
            at += timedelta(seconds=1)
            looked_up.append(users / await write_path(runtime, ids, batch, False, at, None))
            raw.append(users / await copy(url, ids, batch, False, at + timedelta(seconds=1)))
            # What the cached writer would know had it written the last two passes itself.
            known.update(dict.fromkeys(ids, TrackedState(False)))
            print(f"{n + 1:>5}  {cached[-1]:>18,.0f}  {looked_up[-1]:>14,.0f}  {raw[-1]:>12,.0f}")
        await runtime.stop()
        median_raw = statistics.median(raw)
        for label, figures in (("write path", cached), ("without cache", looked_up)):
            median = statistics.median(figures)
            print(
                f"median {label}: {median:,.0f} rows/s, COPY {median_raw:,.0f} rows/s,"
                f" ratio {median / median_raw:.2f} (aim >= 0.5)"
            )
    finally:
        await admin_execute(ADMIN_URL, drop_statement(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-u", "--users", type=int, default=10_000)
    parser.add_argument("-b", "--batch", type=int, default=1_000)
    parser.add_argument("-r", "--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.users, args.batch, args.rounds))


if __name__ == "__main__":
    main()
