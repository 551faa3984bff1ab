"""How long an import of mailing clients from CSV takes, by batch size.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.mailing_import                 # 100,000 rows, 3 rounds
    .venv/bin/python -m tests.bench.mailing_import -n 10000 -r 1   # a quick check

In one run it creates and migrates a fresh database with one user, makes a CSV file of
``--rows`` rows (phone, tag, timezone; one row in a thousand bad), then per round and batch
size imports it through ``mailing.service.import_clients`` into an empty workspace (the
clients are deleted between imports, not measured) and once more into the full one (every
row already a client: the re-run of an interrupted import). It prints the seconds of each and
the time the file's reading alone takes (``ClientFile``, no database), then drops the
database.

Environment: ``TGHUB_BENCH_ADMIN_DATABASE_URL`` (default
``postgresql://app:app@127.0.0.1:5432/postgres``). Nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import TYPE_CHECKING

import asyncpg

from domain.access import System
from domain.accounts import service as accounts
from domain.bootstrap import build_database
from domain.mailing import service as mailing
from domain.mailing.importing import ClientFile
from domain.settings import Settings
from tests.pg import admin_execute, drop_statement, sibling_url
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    import uuid

    from domain.uow import UnitOfWorkFactory

ADMIN_URL = os.environ.get(
    "TGHUB_BENCH_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
ACTOR = System("mailing import benchmark")
ZONES = ("UTC", "Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk")


def csv_file(rows: int) -> bytes:
    lines = ["phone_number,tag,timezone"]
    for n in range(rows):
        phone = f"79{n:09d}" if n % 1000 != 999 else f"89{n:09d}"  # one in a thousand bad
        lines.append(f"{phone},tag{n % 10},{ZONES[n % len(ZONES)]}")
    return ("\n".join(lines) + "\n").encode()


async def add_owner(units: UnitOfWorkFactory) -> uuid.UUID:
    async with units() as uow:
        owner = await accounts.ensure_service_user(uow, actor=ACTOR, username="bench:owner")
        await uow.commit()
    return owner


async def clear(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DELETE FROM mailing_clients")
    finally:
        await conn.close()


async def run(rows: int, batches: list[int], rounds: int) -> None:
    name = f"tghub_bench_mailing_import_{os.getpid()}"
    await admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"')
    url = sibling_url(ADMIN_URL, name)
    try:
        await asyncio.to_thread(upgrade_head, url)
        engine, units = build_database(Settings(database_url=url))
        owner = await add_owner(units)
        content = csv_file(rows)
        start = time.perf_counter()
        for _ in ClientFile(content).chunks(1000):
            pass
        reading = time.perf_counter() - start
        print(f"{rows:,} rows, {len(content) / 1e6:.1f} MB; reading alone {reading:.2f} s")
        print(f"{'batch':>6}  {'empty: s':>9}  {'rows/s':>9}  {'again: s':>9}")
        for batch in batches:
            fresh: list[float] = []
            again: list[float] = []
            for _ in range(rounds):
                await clear(url)
                for seconds in (fresh, again):
                    start = time.perf_counter()
                    async with units() as uow:
                        await mailing.import_clients(
                            uow, actor=ACTOR, content=content, owner_id=owner, batch=batch
                        )
                    seconds.append(time.perf_counter() - start)
            first, second = statistics.median(fresh), statistics.median(again)
            print(f"{batch:>6}  {first:>9.2f}  {rows / first:>9,.0f}  {second:>9.2f}")
        await engine.dispose()
    finally:
        await admin_execute(ADMIN_URL, drop_statement(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rows", type=int, default=100_000)
    parser.add_argument("-b", "--batches", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("-r", "--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.rows, args.batches, args.rounds))


if __name__ == "__main__":
    main()
