"""P5: mailing dispatch. Delivery rows matched, created and claimed per second against a raw
asyncpg batch insert of the same rows, and sends per second through the simulated Telegram
with the duplicate count.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.mailing_dispatch                       # both parts
    .venv/bin/python -m tests.bench.mailing_dispatch --part rows           # rows only
    .venv/bin/python -m tests.bench.mailing_dispatch --part send --clients 100000 --accounts 8
    .venv/bin/python -m tests.bench.mailing_dispatch --rows 10000 --clients 500   # a quick check

``--wait-idle SECONDS`` first waits (up to that long) for other load on the machine to stop.

One run creates and migrates a fresh database and starts a runtime on it (simulated
Telegram, its world in Redis under a channel prefix of its own), then:

**Rows** (``--rows`` clients, default 100,000; ``--rounds`` rounds, default 3). Setup: one
owner (registered through the service), a Telegram account row, the clients written by COPY
(tag ``bench``, five time zones) and analysed, one mailing (``{"tag": "bench"}``, started a
minute ago, no daytime window unless ``--daytime``) that picks them all. Each round, for each
claim batch (``--batch``, default 100 and 1,000), from an empty deliveries table:

- (a) the dispatcher's housekeeping (``Dispatcher.housekeep``: the mailing found, its
  clients matched into deliveries by ``repository.create_deliveries``, one INSERT … SELECT,
  committed);
- (b) every delivery claimed through ``repository.claim`` by one account, a batch per
  transaction as the dispatcher's ``_claim`` does (the claims hold an hour here, so none
  lapses while the rest are claimed);

ours = rows / (a + b). Then the baseline: the same rows (read back from the table), the
table emptied, and inserted again by a raw asyncpg ``executemany`` of an INSERT with the
same columns, in one transaction; and by ``copy_records_to_table`` for reference. The ratio
ours / executemany is the figure (aim ≥ 0.5). Also, for reference, (c): claim + record each
batch as sent (``record_outcomes``), the dispatcher's own database work per send. The
deliveries table is emptied with TRUNCATE between measurements (no dead rows carried over;
this PostgreSQL runs without autovacuum).

**Send** (``--clients``, default 5,000, ``--accounts``, default 4): a world of the
recipients (a population when the simulated world has them, else users listed one by one)
and the accounts, the accounts added and signed in through the real jobs, the clients and a
mailing as above. Then the real ``Dispatcher`` (pacing 0, ``--claim-batch``, the gateway
``build_gateway`` gives the worker) runs passes of ``--pass-seconds`` until the mailing is
finished, as the worker's ticks would. It prints sends per second and the duplicates:
messages Telegram delivered (its sent index, one entry per account phone and random_id)
minus deliveries we recorded sent; the index must equal the set of (account phone,
random_id) of our sent deliveries, no random_id may go out through two accounts, and no
recipient may have two messages among the outbox's last 10,000.

Environment: ``TGHUB_BENCH_ADMIN_DATABASE_URL`` (default
``postgresql://app:app@127.0.0.1:5432/postgres``) and ``TGHUB_BENCH_REDIS_URL`` (default: a
redis-server of the run's own on a free port, stopped at the end, as a test run emptying a
shared database would empty the world mid-run; given, only this run's keys are touched).
Figures go to docs/perf.md; nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import secrets
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as daytime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from pydantic import SecretStr

from domain.access import System
from domain.accounts.service import Viewer
from domain.adapters.clock import SystemClock
from domain.adapters.simulated.document import WorldState
from domain.adapters.telegram import build_gateway
from domain.bootstrap import build_runtime
from domain.mailing import repository, rules
from domain.mailing import service as mailing
from domain.mailing.dispatch import Dispatcher, DispatchOptions, PassReport
from domain.mailing.model import DeliveryStatus, Mailing
from domain.mailing.repository import Outcome
from domain.settings import Settings
from domain.telegram import service as telegram
from tests.api.rest.factories import create_user
from tests.bench.graphql_overhead import host_busy
from tests.bench.messenger_dataset import describe_code, exit_on_sigterm, wait_idle
from tests.pg import admin_execute, drop_statement, sibling_url
from tests.redis_server import RedisServer
from tests.world import API_HASH, sign_in
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from domain.bootstrap import Runtime

ADMIN_URL = os.environ.get(
    "TGHUB_BENCH_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
ADMIN = System("mailing benchmark")
TAG = "bench"
ZONES = ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Vladivostok", "Europe/Kaliningrad", "UTC")
FIRST_USER_ID = 7_000_000_000
FIRST_PHONE = 79_000_000_000
DELIVERY_COLUMNS = ["mailing_id", "client_id", "phone_number", "timezone", "status", "error"]
INSERT_DELIVERY = (
    "INSERT INTO mailing_deliveries (mailing_id, client_id, phone_number, timezone, status, error)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
)
# The rows part's claims hold this long, so none lapses while the others are claimed.
ROWS_CLAIM_SECONDS = 3600.0


def phone(n: int) -> str:
    """Client ``n``'s phone (from 0), as a mailing client stores it: 7 and ten digits."""
    return str(FIRST_PHONE + n)


def account_phone(i: int) -> str:
    return f"+799900001{i:02d}"


def describe(samples: Sequence[float]) -> str:
    return " / ".join(f"{s:.2f}" for s in samples)


# -- setup -----------------------------------------------------------------------------------


@dataclass
class Bench:
    runtime: Runtime
    url: str
    conn: asyncpg.Connection

    async def owner(self) -> Viewer:
        return Viewer(user=await create_user(self.runtime), session_id=None)

    async def clients(self, owner: Viewer, count: int) -> None:
        """``count`` clients of ``owner`` by COPY (setup, not measured), then analysed as
        autovacuum would."""
        records = [
            (owner.user.id, phone(n), phone(n)[1:4], TAG, ZONES[n % len(ZONES)])
            for n in range(count)
        ]
        columns = ["owner_id", "phone_number", "operator_code", "tag", "timezone"]
        await self.conn.copy_records_to_table("mailing_clients", records=records, columns=columns)
        await self.conn.execute("ANALYZE mailing_clients")

    async def mailing(self, owner: Viewer, window: tuple[daytime, daytime] | None) -> Mailing:
        now = datetime.now(UTC)
        start, end = window or (None, None)
        async with self.runtime.uow() as uow:
            return await mailing.create_mailing(
                uow,
                actor=owner,
                start_time=now - timedelta(minutes=1),
                end_time=now + timedelta(days=1),
                message_text="A benchmark mailing",
                filter_params={"tag": TAG},
                daytime_start=start,
                daytime_end=end,
            )

    async def account(self, i: int) -> uuid.UUID:
        async with self.runtime.uow() as uow:
            made = await telegram.add_account(
                uow,
                self.runtime.secrets,
                actor=ADMIN,
                phone=account_phone(i),
                api_id=12345,
                api_hash=API_HASH,
            )
        return made.id

    async def reset(self, mailing_id: int) -> None:
        """No deliveries, and the mailing not started yet."""
        await self.conn.execute("TRUNCATE mailing_deliveries")
        await self.conn.execute(
            "UPDATE mailings SET matched_at = NULL, finished_at = NULL WHERE id = $1", mailing_id
        )

    def dispatcher(self, options: DispatchOptions) -> Dispatcher:
        gateway = build_gateway(self.runtime.settings, self.runtime)
        return Dispatcher(self.runtime.uow, gateway, self.runtime.secrets, SystemClock(), options)


# -- rows ------------------------------------------------------------------------------------


@dataclass
class Claims:
    rows: int = 0
    claiming: float = 0.0  # seconds in the claim transactions
    recording: float = 0.0  # seconds in the record transactions
    batches: list[float] = field(default_factory=list)  # each claim transaction's wall time


async def create(bench: Bench, rows: int) -> float:
    """(a): the dispatcher's housekeeping starts the mailing; seconds."""
    dispatcher = bench.dispatcher(DispatchOptions(pacing=0))
    started = time.perf_counter()
    await dispatcher.housekeep()
    seconds = time.perf_counter() - started
    made = await bench.conn.fetchval("SELECT count(*) FROM mailing_deliveries")
    if made != rows:
        raise SystemExit(f"housekeeping made {made} deliveries, not {rows}")
    return seconds


async def claim_all(
    bench: Bench, account_id: uuid.UUID, batch: int, *, record: bool = False
) -> Claims:
    """(b): every pending delivery claimed, a batch per transaction, as ``Dispatcher._claim``
    does; with ``record``, each batch is then recorded sent in a transaction of its own, as
    ``_send_batch`` does after its sends, so live claims never exceed one batch."""
    options = DispatchOptions(pacing=0, claim_batch=batch, claim_seconds=ROWS_CLAIM_SECONDS)
    done = Claims()
    seen: set[int] = set()
    cursor = 0  # as a sender's: each claim starts past the last it made
    while True:
        started = time.perf_counter()
        now = datetime.now(UTC)
        async with bench.runtime.uow() as uow:
            claimed = await repository.claim(
                uow.session,
                account_id=account_id,
                pool=[account_id],
                now=now,
                until=now + options.claim_hold(batch),
                limit=batch,
                after=cursor,
            )
            await uow.commit()
        cursor = claimed[-1].id if claimed else cursor
        claiming = time.perf_counter() - started
        done.claiming += claiming
        done.batches.append(claiming)
        if not claimed:
            break
        seen.update(c.id for c in claimed)
        done.rows += len(claimed)
        if record:
            started = time.perf_counter()
            sent = [Outcome(c.id, DeliveryStatus.SENT, 1, sent_at=now) for c in claimed]
            async with bench.runtime.uow() as uow:
                await repository.record_outcomes(uow.session, sent)
                await uow.commit()
            done.recording += time.perf_counter() - started
    if len(seen) != done.rows:
        raise SystemExit(f"{done.rows - len(seen)} deliveries were claimed twice")
    return done


async def raw_inserts(bench: Bench, mailing_id: int) -> tuple[float, float]:
    """The baseline: the same rows inserted by executemany (one transaction), then by COPY;
    seconds of each, from an empty table."""
    query = "SELECT mailing_id, client_id, phone_number, timezone, status, error"
    query += " FROM mailing_deliveries ORDER BY id"
    records = [tuple(row) for row in await bench.conn.fetch(query)]
    await bench.reset(mailing_id)
    started = time.perf_counter()
    async with bench.conn.transaction():
        await bench.conn.executemany(INSERT_DELIVERY, records)
    many = time.perf_counter() - started
    await bench.reset(mailing_id)
    started = time.perf_counter()
    await bench.conn.copy_records_to_table(
        "mailing_deliveries", records=records, columns=DELIVERY_COLUMNS
    )
    copy = time.perf_counter() - started
    return many, copy


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def claim_line(claims: Claims, batch: int) -> str:
    ms = [s * 1000 for s in claims.batches[:-1]]  # the last, empty claim aside
    tenth = max(1, len(ms) // 10)
    first, last = statistics.median(ms[:tenth]), statistics.median(ms[-tenth:])
    return (
        f"{claims.rows:,} claimed in {len(ms)} batches of {batch}: {claims.claiming:.2f} s"
        f" (a claim p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms;"
        f" p50 of the first tenth {first:.1f} ms, of the last {last:.1f} ms)"
    )


@dataclass
class RowsRound:
    """Seconds of each measurement in one round, by claim batch."""

    created: dict[int, float] = field(default_factory=dict)  # (a)
    claimed: dict[int, float] = field(default_factory=dict)  # (b), live claims accumulating
    created_d: dict[int, float] = field(default_factory=dict)  # (a) again, before (b')
    claimed_d: dict[int, float] = field(default_factory=dict)  # (b'), one batch live at a time
    recorded_d: dict[int, float] = field(default_factory=dict)  # the records of (b')
    executemany: float = 0.0
    copy: float = 0.0


async def rows_round(
    bench: Bench, rows: int, batches: Sequence[int], mailing_id: int, account_id: uuid.UUID
) -> RowsRound:
    done = RowsRound()
    for batch in batches:
        await bench.reset(mailing_id)
        done.created[batch] = await create(bench, rows)
        claims = await claim_all(bench, account_id, batch)
        done.claimed[batch] = claims.claiming
        print(f"  batch {batch}: (a) {done.created[batch]:.2f} s; (b) {claim_line(claims, batch)}")
    for batch in batches:
        await bench.reset(mailing_id)
        done.created_d[batch] = await create(bench, rows)
        claims = await claim_all(bench, account_id, batch, record=True)
        done.claimed_d[batch], done.recorded_d[batch] = claims.claiming, claims.recording
        print(
            f"  batch {batch}: (a) {done.created_d[batch]:.2f} s; (b') {claim_line(claims, batch)};"
            f" recorded sent in {claims.recording:.2f} s"
        )
    done.executemany, done.copy = await raw_inserts(bench, mailing_id)
    print(f"  baseline: executemany {done.executemany:.2f} s, COPY {done.copy:.2f} s", flush=True)
    return done


async def rows_part(
    bench: Bench,
    rows: int,
    batches: Sequence[int],
    rounds: int,
    window: tuple[daytime, daytime] | None,
) -> None:
    owner = await bench.owner()
    account_id = await bench.account(99)  # apart from the send part's 0…K-1
    await bench.clients(owner, rows)
    made = await bench.mailing(owner, window)
    print(f"rows: {rows:,} clients of one owner, one mailing matching all (daytime {window})")
    results = []
    for round_ in range(1, rounds + 1):
        busy, wall = host_busy(), time.perf_counter()
        print(f"round {round_}", flush=True)
        results.append(await rows_round(bench, rows, batches, made.id, account_id))
        cores = (host_busy() - busy) / (time.perf_counter() - wall)
        print(f"  the machine was busy {cores:.2f} cores", flush=True)
    report_rows(rows, batches, results)


def report_rows(rows: int, batches: Sequence[int], results: Sequence[RowsRound]) -> None:
    def rate(seconds: Sequence[float]) -> float:
        return rows / statistics.median(seconds)

    many = [r.executemany for r in results]
    baseline = rate(many)
    print(f"\nrows: medians of {len(results)} rounds, {rows:,} deliveries (seconds per round)")
    print(f"  raw executemany (one transaction): {baseline:>7,.0f} rows/s ({describe(many)})")
    copies = [r.copy for r in results]
    print(f"  raw COPY (reference):              {rate(copies):>7,.0f} rows/s ({describe(copies)})")
    for batch in batches:
        figures = {
            "(a)+(b)  matched, created, claimed": [
                r.created[batch] + r.claimed[batch] for r in results
            ],
            "(a)+(b') the same, one batch live": [
                r.created_d[batch] + r.claimed_d[batch] for r in results
            ],
            "(a)+(b') and recorded sent": [
                r.created_d[batch] + r.claimed_d[batch] + r.recorded_d[batch] for r in results
            ],
        }
        for name, seconds in figures.items():
            ours = rate(seconds)
            print(
                f"  batch {batch:>5} {name:<36} {ours:>7,.0f} rows/s ({describe(seconds)});"
                f" / executemany = {ours / baseline:.2f}"
            )
    print("  aim: (a)+(b) / executemany >= 0.5")


# -- send ------------------------------------------------------------------------------------


def recipients_world(clients: int, accounts: int) -> dict[str, Any]:
    """Users with the clients' phones (a population when the world has them) and the
    sending accounts."""
    world: dict[str, Any] = {
        "seed": 22,
        "accounts": [
            {"id": 9100 + i, "phone": account_phone(i), "code": "12345", "password": None}
            for i in range(accounts)
        ],
    }
    if "populations" in WorldState.model_fields:
        world["populations"] = [
            {"first_id": FIRST_USER_ID, "count": clients, "phone_from": f"+{FIRST_PHONE}"}
        ]
    else:
        world["users"] = [
            {"id": FIRST_USER_ID + n, "phone": f"+{phone(n)}", "first_name": f"Client {n}"}
            for n in range(clients)
        ]
    return world


async def signed_in_accounts(bench: Bench, count: int) -> None:
    for i in range(count):
        await sign_in(bench.runtime, await bench.account(i))


async def finished(bench: Bench, mailing_id: int) -> bool:
    found = await bench.conn.fetchval("SELECT finished_at FROM mailings WHERE id = $1", mailing_id)
    return found is not None


async def dispatch_until_finished(
    bench: Bench, mailing_id: int, options: DispatchOptions, pass_seconds: float, limit: float
) -> tuple[PassReport, int]:
    """Passes of the real dispatcher until the mailing is finished (or ``limit`` seconds);
    the passes' totals and how many ran. An idle pass waits a second, as the next tick."""
    dispatcher = bench.dispatcher(options)
    total, passes = PassReport(), 0
    deadline = time.monotonic() + limit
    while not await finished(bench, mailing_id):
        if time.monotonic() > deadline:
            raise SystemExit(f"the mailing did not finish within {limit:.0f} s")
        report = await dispatcher.run(pass_seconds)
        passes += 1
        for name in ("started", "sent", "failed", "retried"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.paused += report.paused
        print(
            f"  pass {passes}: sent {report.sent:,} (so far {total.sent:,}), failed "
            f"{report.failed}, retried {report.retried}, paused {report.paused}",
            flush=True,
        )
        if not (report.sent or report.failed or report.retried):
            await asyncio.sleep(1.0)
    return total, passes


@dataclass(frozen=True)
class Duplicates:
    delivered: int  # entries of Telegram's sent index
    ours: int  # deliveries recorded sent
    extra: int  # index entries no sent delivery accounts for
    missing: int  # sent deliveries Telegram has no message for
    twice: int  # random_ids delivered through more than one account
    outbox: int  # message entries in the outbox (its last 10,000 entries)
    outbox_repeats: int  # recipients with more than one of those


async def duplicates(bench: Bench, mailing_id: int) -> Duplicates:
    assert bench.runtime.sandbox is not None
    world = await bench.runtime.sandbox.world()  # what sandboxWorld answers
    outbox, index = world["outbox"], world["sent"]
    rows = await bench.conn.fetch(
        "SELECT d.id, a.phone FROM mailing_deliveries d"
        " JOIN telegram_accounts a ON a.id = d.account_id"
        " WHERE d.mailing_id = $1 AND d.status = 'sent'",
        mailing_id,
    )
    expected = {f"{row['phone']}:{rules.random_id(row['id'])}" for row in rows}
    delivered = set(index)
    random_ids = Counter(key.rsplit(":", 1)[1] for key in delivered)
    messages = [entry for entry in outbox if entry["type"] == "message"]
    per_user = Counter(entry["user_id"] for entry in messages)
    return Duplicates(
        delivered=len(index),
        ours=len(rows),
        extra=len(delivered - expected),
        missing=len(expected - delivered),
        twice=sum(1 for count in random_ids.values() if count > 1),
        outbox=len(messages),
        outbox_repeats=sum(1 for count in per_user.values() if count > 1),
    )


async def send_part(
    bench: Bench,
    clients: int,
    accounts: int,
    claim_batch: int,
    pass_seconds: float,
    limit: float,
    profile: int = 0,
) -> None:
    assert bench.runtime.sandbox is not None
    assert bench.runtime.world is not None
    kind = "a population" if "populations" in WorldState.model_fields else "users listed"
    started = time.perf_counter()
    await bench.runtime.sandbox.load_world(recipients_world(clients, accounts), merge=False)
    await signed_in_accounts(bench, accounts)
    owner = await bench.owner()
    await bench.clients(owner, clients)
    made = await bench.mailing(owner, None)
    size = await bench.runtime.redis.strlen(bench.runtime.world.key)
    print(
        f"send: {clients:,} clients ({kind} in the world, {size / 1e3:,.0f} kB of JSON),"
        f" {accounts} signed-in accounts, claim batch {claim_batch}, pacing 0;"
        f" setup {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    options = DispatchOptions(pacing=0, claim_batch=claim_batch)
    profiler = cProfile.Profile() if profile else None
    busy, cpu, wall = host_busy(), time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    total, passes = await dispatch_until_finished(bench, made.id, options, pass_seconds, limit)
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    cores = (host_busy() - busy) / wall
    async with bench.runtime.uow() as uow:
        counts = (await repository.delivery_counts(uow.session, [made.id]))[made.id]
    span = (
        (counts.last_sent_at - counts.first_sent_at).total_seconds()
        if counts.first_sent_at and counts.last_sent_at
        else 0.0
    )
    found = await duplicates(bench, made.id)
    errors = await bench.conn.fetch(
        "SELECT error, count(*) FROM mailing_deliveries WHERE mailing_id = $1"
        " AND status = 'failed' GROUP BY error ORDER BY count(*) DESC LIMIT 3",
        made.id,
    )
    print(
        f"send: {counts.sent:,} sent, {counts.failed} failed, {counts.expired} expired,"
        f" {counts.pending} pending, {total.retried} retries, paused {total.paused or 'none'};"
        f" {passes} passes in {wall:.1f} s (this process's CPU {cpu:.1f} s, the machine busy"
        f" {cores:.2f} cores)"
    )
    print(
        f"  sends/s: {counts.sent / wall:,.0f} (start of the first pass to the finish);"
        f" {counts.sent / span if span else 0:,.0f} (first to last sent_at, {span:.1f} s)"
    )
    print(
        f"  Telegram delivered {found.delivered:,} messages (sent index) for {found.ours:,}"
        f" deliveries sent: duplicates {found.delivered - found.ours}; index entries no"
        f" delivery accounts for {found.extra}, deliveries without a message {found.missing},"
        f" random_ids through two accounts {found.twice}; outbox: {found.outbox:,} messages,"
        f" recipients with two {found.outbox_repeats}"
    )
    for row in errors:
        print(f"  failed: {row['count']:,} x {row['error']}")
    if profiler:
        print_profile(pstats.Stats(profiler), profile)


# Where a function's own time is counted, by the first of these its file's path contains.
AREAS = (
    ("the simulated Telegram", ("adapters/simulated/", "adapters/telegram/simulated")),
    ("pydantic", ("pydantic",)),
    ("redis-py", ("/redis/",)),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("asyncpg", ("asyncpg",)),
    ("tghub's mailing and telegram", ("domain/mailing/", "domain/telegram/")),
    ("asyncio and the event loop", ("asyncio", "selectors", "{method 'poll'")),
)


def print_profile(stats: pstats.Stats, top: int) -> None:
    """Own time by area, then the ``top`` functions by own time."""
    areas: Counter[str] = Counter()
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, own, _, _) in raw.items():
        where = f"{filename} {function}"
        area = next((a for a, parts in AREAS if any(p in where for p in parts)), "other")
        areas[area] += own
    print(f"the dispatch under cProfile, own time by area (of {sum(areas.values()):.1f} s):")
    for area, seconds in areas.most_common():
        print(f"  {area:<30} {seconds:7.1f} s")
    stats.sort_stats("tottime").print_stats(top)


# -- the run ---------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    server = None
    redis_url = os.environ.get("TGHUB_BENCH_REDIS_URL")
    if redis_url is None:  # a Redis of its own: another run's flush would empty the world
        server = RedisServer(Path(tempfile.mkdtemp(prefix="tghub-bench-redis-")))
        await server.start()
        redis_url = server.url
    try:
        await run_on(args, redis_url)
    finally:
        if server is not None:
            await server.stop()


async def run_on(args: argparse.Namespace, redis_url: str) -> None:
    name = f"tghub_bench_mailing_{os.getpid()}"
    await admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"')
    url = sibling_url(ADMIN_URL, name)
    prefix = f"bench-{secrets.token_hex(4)}"
    runtime = build_runtime(
        Settings(
            database_url=url,
            redis_url=redis_url,
            secret_key=SecretStr(secrets.token_urlsafe(32)),
            data_dir=Path(tempfile.mkdtemp(prefix="tghub-bench-")),
            channel_prefix=prefix,
        )
    )
    conn: asyncpg.Connection | None = None
    try:
        await asyncio.to_thread(upgrade_head, url)
        await runtime.start()
        conn = await asyncpg.connect(url)
        bench = Bench(runtime, url, conn)
        if args.part in ("rows", "both"):
            window = parse_window(args.daytime)
            await rows_part(bench, args.rows, args.batch or [100, 1000], args.rounds, window)
        if args.part in ("send", "both"):
            await conn.execute("TRUNCATE mailing_deliveries, mailings, mailing_clients")
            await send_part(
                bench,
                args.clients,
                args.accounts,
                args.claim_batch,
                args.pass_seconds,
                args.limit,
                args.profile,
            )
    finally:
        if conn is not None:
            await conn.close()
        keys = [key async for key in runtime.redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await runtime.redis.delete(*keys)
        await runtime.stop()
        await admin_execute(ADMIN_URL, drop_statement(name))


def parse_window(text: str | None) -> tuple[daytime, daytime] | None:
    if text is None:
        return None
    start, end = text.split("-")
    return daytime.fromisoformat(start), daytime.fromisoformat(end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["rows", "send", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000, help="clients of the rows part")
    parser.add_argument(
        "--batch", type=int, action="append", help="claim batch (repeat; default 100, 1000)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--daytime", help="the rows mailing's daytime window, e.g. 00:00-23:59")
    parser.add_argument("--clients", type=int, default=5_000, help="clients of the send part")
    parser.add_argument("--accounts", type=int, default=4, help="signed-in sending accounts")
    parser.add_argument("--claim-batch", type=int, default=100)
    parser.add_argument("--pass-seconds", type=float, default=45.0, help="as the worker's")
    parser.add_argument("--limit", type=float, default=3600.0, help="give the send up after")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="profile the send: top N functions"
    )
    parser.add_argument(
        "--wait-idle", type=float, default=0, metavar="SECONDS", help="wait for other load to stop"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    exit_on_sigterm()
    print(describe_code())
    wait_idle(args.wait_idle)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
