"""The bots aggregate: the hourly rights check of 1,000 links and the arbitrage of 50
concurrent links.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.bots_check                    # 20 bots, 1,000 channels
    .venv/bin/python -m tests.bench.bots_check -c 200 -b 5         # a quick check

``--wait-idle SECONDS`` first waits (up to that long) for other load on the machine to stop.

In one run it:

1. creates and migrates a fresh database and starts a runtime on it (simulated Telegram, its
   world in Redis under a channel prefix of its own);
2. loads a world of ``--bots`` bots and ``--channels`` channels. Channel ``n`` has one bot,
   ``n``'s turn round the bots; for a seeded 80 % that bot is an admin allowed to post, for
   the rest it is an admin without ``post_messages`` (half) or not an admin at all;
3. through the services and the real jobs (a burst worker, as the worker process runs
   them): registers the bots (``request_bot``), links every channel to its bot
   (``request_link`` with the bot's id, one job each) and runs a first hourly check, which
   makes the allowed links ``active`` and leaves the rest ``new``. This is the setup, timed
   but apart. Then, in one step of the world (seeded), 5 % of the active links' bots lose
   ``post_messages`` or their admin seat (revoked), and a quarter of the new links' bots get
   it (granted);
4. runs the hourly check (``bots.check_links`` queued with ``queue_check`` and run by a
   burst worker through the durable runner) once for each ``--concurrency`` value
   (``TGHUB_BOT_CHECK_CONCURRENCY``) and each ``--latency`` (seconds the counting gateway
   waits in every call, standing for Telegram's round trip; 0 is the simulated Telegram
   alone), every time from the same links (their status, reason and check time restored
   between runs). The gateway reads the world with a Redis client of its own, without the
   runtime's 1 s socket timeout (``--runtime-client``: the runtime's, as the worker does;
   then a read starved by the parses of other calls times out and fails the job). It prints
   the wall time (the burst worker's and the job's own from its row), the process's CPU and
   the garbage collector's share of it, how many cores the machine was busy, the Telegram
   calls (a counting wrapper delegating to the real
   ``SimulatedGateway``), the calls per bot, the peak of concurrent calls per bot, the
   span of the Telegram phase, and the outcome (the job's counts and the links by status);
5. times the simulated Telegram's parts alone: the world's size, one ``GET`` of it, one
   parse of it (``WorldState.model_validate_json``) and one ``bot_rights`` call, each the
   median of repeated sequential runs;
6. measures the arbitrage: the links deleted (SQL) and every bot but ``--arbitrage-bots``
   deactivated (``update_bot``), 50 link jobs (``workers.jobs.bots.link_channel``, as the
   worker runs them, without a bot) at once with ``asyncio.gather``: the split per bot
   (10 each expected) and the wall time; then the same with a lock-free reservation (the
   same reads and choice, without the active bots' row locks) as the baseline;
7. drops the database and the run's Redis keys.

Environment: ``TGHUB_BENCH_ADMIN_DATABASE_URL`` (default
``postgresql://app:app@127.0.0.1:5432/postgres``) and ``TGHUB_BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/12``; nothing else there is touched). Figures go to docs/perf.md;
nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import gc
import logging
import os
import pstats
import random
import secrets
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import delete, func, select
from typing_extensions import override

from domain.access import System
from domain.adapters.clock import SystemClock
from domain.adapters.simulated.document import Admin, WorldState
from domain.adapters.simulated.store import WorldStore
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.bootstrap import build_runtime
from domain.bots import repository, rules
from domain.bots import service as bots
from domain.bots.model import ChannelLink, LinkStatus
from domain.jobs.model import Job
from domain.settings import Settings
from domain.telegram.model import BotCredentials
from domain.types import TelegramID
from tests.bench.graphql_overhead import host_busy
from tests.bench.messenger_dataset import describe_code, wait_idle
from tests.bench.poll_cycle import CountingGateway
from tests.pg import admin_execute, drop_statement, sibling_url
from tests.world import run_jobs
from tghub.migrate import upgrade_head
from workers.deps import WorkerDeps
from workers.jobs import bots as bots_jobs
from workers.main import startup

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.adapters.simulated.world import World
    from domain.bootstrap import Runtime
    from domain.telegram.model import AdminRights, ChannelInfo

ADMIN_URL = os.environ.get(
    "TGHUB_BENCH_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TGHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
ADMIN = System("bots benchmark")
SEED = 12
SECRET = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # the shape of a real token's secret half
ARBITRAGE_LINKS = 50


# -- the world ---------------------------------------------------------------------------------


def token(n: int) -> str:
    return f"{7000 + n}:{SECRET[:-4]}{n:04d}"


def bot_of(channel: int, bots_count: int) -> int:
    """The bot (1-based) of channel ``channel``: round the bots."""
    return (channel - 1) % bots_count + 1


def channel_id(n: int) -> int:
    return -1002000000000 - n


@dataclasses.dataclass(frozen=True)
class Plan:
    """Which channels' bots may post at setup, and what changes before the measured check."""

    allowed: frozenset[int]  # admin with post_messages at setup: active after the first check
    admin_only: frozenset[int]  # admin without post_messages
    revoke_right: frozenset[int]  # active, then post_messages taken away
    revoke_admin: frozenset[int]  # active, then removed as admin
    grant: frozenset[int]  # new, then allowed to post

    @classmethod
    def seeded(cls, channels: int) -> Plan:
        rng = random.Random(SEED)
        numbers = list(range(1, channels + 1))
        allowed = set(rng.sample(numbers, round(channels * 0.8)))
        rest = sorted(set(numbers) - allowed)
        admin_only = set(rng.sample(rest, len(rest) // 2))
        revoked = rng.sample(sorted(allowed), round(len(allowed) * 0.05))
        right = set(revoked[: len(revoked) * 3 // 5])
        return cls(
            allowed=frozenset(allowed),
            admin_only=frozenset(admin_only),
            revoke_right=frozenset(right),
            revoke_admin=frozenset(set(revoked) - right),
            grant=frozenset(rng.sample(rest, len(rest) // 4)),
        )


def world_document(bots_count: int, channels: int, plan: Plan) -> dict[str, Any]:
    def admins(n: int) -> list[dict[str, Any]]:
        name = f"bench_bot_{bot_of(n, bots_count)}"
        if n in plan.allowed:
            return [{"bot": name, "post_messages": True}]
        if n in plan.admin_only:
            return [{"bot": name, "edit_messages": True}]
        return []

    return {
        "seed": SEED,
        "bots": [
            {"id": 7000 + n, "token": token(n), "username": f"bench_bot_{n}"}
            for n in range(1, bots_count + 1)
        ],
        "channels": [
            {
                "id": channel_id(n),
                "username": f"bench_chan_{n}",
                "title": f"Channel {n}",
                "admins": admins(n),
                "posts": [{"id": 1, "text": "first", "views": 5}],
            }
            for n in range(1, channels + 1)
        ],
    }


async def change_rights(runtime: Runtime, plan: Plan, bots_count: int) -> None:
    """Revoked and granted rights, in one step of the world."""
    assert runtime.world is not None
    ids = {channel_id(n): n for n in plan.revoke_right | plan.revoke_admin | plan.grant}

    def step(world: World) -> None:
        for channel in world.state.channels:
            n = ids.get(channel.id)
            if n is None:
                continue
            if n in plan.grant:
                bot = 7000 + bot_of(n, bots_count)
                channel.admins = [Admin(id=bot, post_messages=True)]
            elif n in plan.revoke_admin:
                channel.admins = []
            else:
                channel.admins[0].post_messages = False

    await runtime.world.update(step)


# -- the gateway, counted per bot --------------------------------------------------------------


class BotCountingGateway(CountingGateway):
    """poll_cycle's counting gateway; ``bot_rights`` also counted per bot, with the peak of
    calls in flight per bot, the span of the calls, and an optional wait in every call."""

    def __init__(self, inner: SimulatedGateway, names: dict[str, int], latency: float) -> None:
        super().__init__(inner)
        self.names = names  # token -> bot number
        self.latency = latency
        self.per_bot: Counter[int] = Counter()
        self.in_flight: Counter[int] = Counter()
        self.peak: Counter[int] = Counter()
        self.first: float | None = None
        self.last = 0.0

    @override
    async def bot_rights(self, bot: BotCredentials, channel_id: TelegramID) -> AdminRights:
        n = self.names[bot.token]
        self.per_bot[n] += 1
        self.in_flight[n] += 1
        self.peak[n] = max(self.peak[n], self.in_flight[n])
        self.first = self.first if self.first is not None else time.perf_counter()
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            return await super().bot_rights(bot, channel_id)
        finally:
            self.in_flight[n] -= 1
            self.last = time.perf_counter()

    @override
    async def resolve_channel(self, bot: BotCredentials, ref: str) -> ChannelInfo:
        self.per_bot[self.names[bot.token]] += 1
        return await super().resolve_channel(bot, ref)


def hooked_startup(gateway: BotCountingGateway, per_bot: int) -> Any:
    """The worker's startup, then its deps with ``gateway`` and the concurrency setting."""

    async def hooked(ctx: dict[str, Any]) -> None:
        await startup(ctx)
        deps: WorkerDeps = ctx["deps"]
        settings = deps.runtime.settings.model_copy(update={"bot_check_concurrency": per_bot})
        runtime = dataclasses.replace(deps.runtime, settings=settings)
        ctx["deps"] = WorkerDeps(runtime, gateway, deps.clock)

    return hooked


# -- setup through the services and jobs -------------------------------------------------------


async def failures(runtime: Runtime, kind: str) -> list[tuple[str, str | None]]:
    async with runtime.uow() as uow:
        rows = await uow.session.scalars(select(Job).where(Job.kind == kind))
        return [(job.status.value, job.error) for job in rows if job.result is None]


async def register_bots(runtime: Runtime, count: int) -> dict[int, int]:
    """Bot number -> bot id, through ``request_bot`` and the registration jobs."""
    for n in range(1, count + 1):
        async with runtime.uow() as uow:
            await bots.request_bot(
                uow, runtime.secrets, actor=ADMIN, token=token(n), alias=f"bench {n}"
            )
    await run_jobs(runtime)
    assert not await failures(runtime, bots.REGISTER_BOT)
    async with runtime.uow() as uow:
        found = await bots.list_bots(uow, runtime.secrets, actor=ADMIN)
    return {int(view.username.rsplit("_", 1)[1]): view.id for view in found}


async def link_channels(runtime: Runtime, channels: int, ids: dict[int, int]) -> None:
    for n in range(1, channels + 1):
        async with runtime.uow() as uow:
            await bots.request_link(
                uow, actor=ADMIN, channel=f"@bench_chan_{n}", bot_id=ids[bot_of(n, len(ids))]
            )
    await run_jobs(runtime)
    failed = await failures(runtime, bots.LINK_CHANNEL)
    assert not failed, failed[:3]


async def by_status(runtime: Runtime) -> dict[str, int]:
    async with runtime.uow() as uow:
        query = select(ChannelLink.status, func.count()).group_by(ChannelLink.status)
        rows = (await uow.session.execute(query)).all()
    counted = {status.value: int(n) for status, n in rows}
    return {status.value: counted.get(status.value, 0) for status in LinkStatus}


Snapshot = dict[int, tuple[LinkStatus, str | None, Any]]


async def snapshot(runtime: Runtime) -> Snapshot:
    async with runtime.uow() as uow:
        links = await repository.links(uow.session)
        return {link.id: (link.status, link.reason, link.last_checked_at) for link in links}


async def restore(runtime: Runtime, saved: Snapshot) -> None:
    async with runtime.uow() as uow:
        for link in await repository.links(uow.session):
            link.status, link.reason, link.last_checked_at = saved[link.id]
        await uow.commit()


# -- the check ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Checked:
    per_bot: int
    latency: float
    wall: float  # queue_check to the burst worker's end
    job: float  # the job row's started_at -> finished_at
    cpu: float
    gc: float  # of it, in the garbage collector
    machine: float
    calls: int
    calls_per_bot: tuple[int, int]  # min, max
    peak: tuple[int, int]  # min, max over bots of the peak in flight
    telegram_span: float  # first bot_rights call to the last's end
    result: dict[str, int]
    statuses: dict[str, int]


class GcTimer:
    """Wall time spent in the garbage collector while installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._started


async def run_check(
    runtime: Runtime,
    store: WorldStore,
    names: dict[str, int],
    per_bot: int,
    latency: float,
    *,
    profile: int = 0,
) -> Checked:
    gateway = BotCountingGateway(SimulatedGateway(store), names, latency)
    profiler = cProfile.Profile() if profile else None
    collector = GcTimer()
    gc.callbacks.append(collector)
    cpu, wall, busy = time.process_time(), time.perf_counter(), host_busy()
    if profiler:
        profiler.enable()
    async with runtime.uow() as uow:
        queued = await bots.queue_check(uow, actor=ADMIN)
    await run_jobs(runtime, on_startup=hooked_startup(gateway, per_bot))
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    gc.callbacks.remove(collector)
    busy = host_busy() - busy
    async with runtime.uow() as uow:
        job = await uow.session.get(Job, queued.id)
        assert job is not None
        assert isinstance(job.result, dict), job.error
        assert job.started_at is not None
        assert job.finished_at is not None
        done, result = (job.finished_at - job.started_at).total_seconds(), job.result
    if profiler:
        print(f"the check under cProfile (concurrency {per_bot}, latency {latency} s), own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(profile)
    per = list(gateway.per_bot.values()) or [0]
    peaks = list(gateway.peak.values()) or [0]
    return Checked(
        per_bot=per_bot,
        latency=latency,
        wall=wall,
        job=done,
        cpu=cpu,
        gc=collector.total,
        machine=busy / wall,
        calls=gateway.calls,
        calls_per_bot=(min(per), max(per)),
        peak=(min(peaks), max(peaks)),
        telegram_span=gateway.last - (gateway.first or gateway.last),
        result=result,
        statuses=await by_status(runtime),
    )


HEADER = (
    f"{'per bot':>7}  {'latency':>7}  {'wall s':>6}  {'job s':>6}  {'CPU s':>6}  {'GC s':>5}  "
    f"{'machine':>7}  "
    f"{'calls':>5}  {'per bot':>7}  {'peak':>5}  {'telegram s':>10}  outcome / links by status"
)


def line(c: Checked) -> str:
    per = "-".join(map(str, sorted(set(c.calls_per_bot))))
    peak = "-".join(map(str, sorted(set(c.peak))))
    r, s = c.result, c.statuses
    return (
        f"{c.per_bot:>7}  {c.latency:>7.3f}  {c.wall:>6.2f}  {c.job:>6.2f}  {c.cpu:>6.2f}  "
        f"{c.gc:>5.2f}  "
        f"{c.machine:>7.2f}  {c.calls:>5}  {per:>7}  {peak:>5}  {c.telegram_span:>10.2f}  "
        f"checked {r['checked']}, +{r['activated']} active, -{r['invalidated']} invalid, "
        f"{r['skipped']} skipped / active {s['active']}, new {s['new']}, invalid {s['invalid']}"
    )


async def simulated_parts(runtime: Runtime, bot: BotCredentials, channel: int) -> str:
    """Sequential timings of the simulated Telegram's parts, medians."""
    assert runtime.world is not None
    store, gateway = runtime.world, SimulatedGateway(runtime.world)
    raw = await runtime.redis.get(store.key)
    assert raw is not None

    def median_ms(samples: list[float]) -> float:
        return statistics.median(samples) * 1000

    gets, parses, calls, cpus = [], [], [], []
    for _ in range(30):
        started = time.perf_counter()
        await runtime.redis.get(store.key)
        gets.append(time.perf_counter() - started)
        started = time.perf_counter()
        WorldState.model_validate_json(raw)
        parses.append(time.perf_counter() - started)
        started, cpu = time.perf_counter(), time.process_time()
        await gateway.bot_rights(bot, TelegramID(channel))
        calls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return (
        f"the world: {len(raw) / 1e3:.0f} kB of JSON; GET {median_ms(gets):.2f} ms,"
        f" parse {median_ms(parses):.2f} ms, one bot_rights call {median_ms(calls):.2f} ms wall"
        f" / {median_ms(cpus):.2f} ms CPU (medians of 30, one at a time)"
    )


# -- the arbitrage -----------------------------------------------------------------------------


async def naive_link(
    runtime: Runtime, gateway: SimulatedGateway, box: Any, job_id: str, channel: str
) -> int:
    """``link_channel`` without the active bots' row locks: the same reads and choice, the
    reservation committed, the channel resolved and saved. The chosen bot's id."""
    async with runtime.uow() as uow:
        session = uow.session
        active = [bot.id for bot in await repository.list_bots(session) if bot.is_active]
        chosen = rules.choose_bot(await repository.current_loads(session, active))
        assert chosen is not None
        link = ChannelLink(channel_ref=channel, bot_id=chosen, job_id=job_id)
        link.status = LinkStatus.NEW
        await repository.add_link(session, link)
        await uow.commit()
        bot = await repository.get_bot(session, chosen)
        creds = BotCredentials(token=box.decrypt(bot.token_enc))
        link_id = link.id
        await uow.release()
        info = await gateway.resolve_channel(creds, channel)
        link = await repository.get_link(session, link_id, for_update=True)
        link.channel_id, link.title, link.username = int(info.id), info.title, info.username
        await repository.save_resolved(session, link)
        await uow.commit()
        return chosen


async def arbitrage(
    runtime: Runtime, ids: dict[int, int], over: int, rounds: int
) -> list[tuple[str, Counter[int], float]]:
    """50 concurrent links over ``over`` bots, locked (the job) and naive; their splits."""
    assert runtime.world is not None
    number = {bot_id: n for n, bot_id in ids.items()}
    for n, bot_id in ids.items():
        if n > over:
            async with runtime.uow() as uow:
                await bots.update_bot(
                    uow, runtime.secrets, actor=ADMIN, bot_id=bot_id, is_active=False
                )
    gateway = SimulatedGateway(runtime.world)
    deps = WorkerDeps(runtime, gateway, SystemClock())
    done = []

    async def clear() -> None:
        async with runtime.uow() as uow:
            await uow.session.execute(delete(ChannelLink))
            await uow.commit()

    async def locked(n: int, tag: str) -> int:
        answer = await bots_jobs.link_channel(
            deps, f"arbitrage-{tag}-{n}", channel=f"@bench_chan_{n}", bot_id=None
        )
        username = str(answer["bot_link"])
        return int(username.rsplit("_", 1)[1])

    async def naive(n: int, tag: str) -> int:
        chosen = await naive_link(
            runtime, gateway, runtime.secrets, f"naive-{tag}-{n}", f"@bench_chan_{n}"
        )
        return number[chosen]

    for kind, one in (("locked (the job)", locked), ("lock-free (naive)", naive)):
        for r in range(rounds):
            await clear()
            started = time.perf_counter()
            chosen = await asyncio.gather(*(one(n, str(r)) for n in range(1, ARBITRAGE_LINKS + 1)))
            done.append((kind, Counter(chosen), time.perf_counter() - started))
    await clear()
    return done


# -- the run -----------------------------------------------------------------------------------


async def run(
    bots_count: int,
    channels: int,
    concurrency: Sequence[int],
    latencies: Sequence[float],
    over: int,
    rounds: int,
    profile: int,
    runtime_client: bool,
) -> None:
    name = f"tghub_bench_bots_{os.getpid()}"
    await admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"')
    url = sibling_url(ADMIN_URL, name)
    prefix = f"bench-{secrets.token_hex(4)}"
    runtime = build_runtime(
        Settings(
            database_url=url,
            redis_url=REDIS_URL,
            secret_key=SecretStr(secrets.token_urlsafe(32)),
            data_dir=Path(tempfile.mkdtemp(prefix="tghub-bench-")),
            channel_prefix=prefix,
        )
    )
    patient: Redis | None = None
    try:
        await asyncio.to_thread(upgrade_head, url)
        await runtime.start()
        assert runtime.sandbox is not None
        assert runtime.world is not None
        plan = Plan.seeded(channels)
        await runtime.sandbox.load_world(world_document(bots_count, channels, plan), merge=False)
        names = {token(n): n for n in range(1, bots_count + 1)}
        started = time.perf_counter()
        ids = await register_bots(runtime, bots_count)
        registered = time.perf_counter()
        await link_channels(runtime, channels, ids)
        linked = time.perf_counter()
        # The checks' gateway reads the world through a client of its own without the
        # runtime's 1 s socket timeout, unless asked (see --runtime-client).
        if not runtime_client:
            patient = Redis.from_url(REDIS_URL)
        store = runtime.world if patient is None else WorldStore(patient, runtime.world.key)
        first = await run_check(runtime, store, names, 4, 0.0)
        print(
            f"setup: {bots_count} bots registered in {registered - started:.1f} s (jobs),"
            f" {channels:,} links in {linked - registered:.1f} s (one job each, a burst worker"
            f" of {runtime.settings.worker_max_jobs}), first check {first.wall:.1f} s:"
            f" active {first.statuses['active']}, new {first.statuses['new']}"
        )
        await change_rights(runtime, plan, bots_count)
        size = await runtime.redis.strlen(runtime.world.key)
        print(
            f"then {len(plan.revoke_right)} active links' bots lost post_messages,"
            f" {len(plan.revoke_admin)} their admin seat, {len(plan.grant)} new links' bots"
            f" were allowed to post; the world is {size / 1e3:.0f} kB of JSON in Redis"
        )
        print(await simulated_parts(runtime, BotCredentials(token=token(1)), channel_id(1)))
        saved = await snapshot(runtime)
        print(HEADER)
        for latency in latencies:
            for per_bot in concurrency:
                await restore(runtime, saved)
                print(line(await run_check(runtime, store, names, per_bot, latency)), flush=True)
        if profile:
            await restore(runtime, saved)
            await run_check(runtime, store, names, concurrency[-1], 0.0, profile=profile)
        print(f"arbitrage: {ARBITRAGE_LINKS} concurrent link jobs over {over} bots")
        for kind, split, wall in await arbitrage(runtime, ids, over, rounds):
            shares = ", ".join(f"bot {n}: {split[n]}" for n in range(1, over + 1))
            print(f"  {kind:<18} {wall:>6.3f} s  {shares}")
    finally:
        keys = [key async for key in runtime.redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await runtime.redis.delete(*keys)
        if patient is not None:
            await patient.aclose()
        await runtime.stop()
        await admin_execute(ADMIN_URL, drop_statement(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-b", "--bots", type=int, default=20)
    parser.add_argument("-c", "--channels", type=int, default=1_000)
    parser.add_argument(
        "--concurrency", type=int, action="append", help="per bot (repeat; default 1, 4, 16)"
    )
    parser.add_argument(
        "--latency", type=float, action="append", help="s per call (repeat; default 0, 0.05)"
    )
    parser.add_argument("--arbitrage-bots", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="arbitrage rounds of each kind")
    parser.add_argument(
        "--wait-idle", type=float, default=0, metavar="SECONDS", help="wait for other load to stop"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="then profile a check: top N functions"
    )
    parser.add_argument(
        "--runtime-client",
        action="store_true",
        help="the checks read the world with the runtime's Redis client (1 s socket timeout)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(describe_code())
    wait_idle(args.wait_idle)
    asyncio.run(
        run(
            args.bots,
            args.channels,
            args.concurrency or [1, 4, 16],
            args.latency if args.latency is not None else [0.0, 0.05],
            args.arbitrage_bots,
            args.rounds,
            args.profile,
            args.runtime_client,
        )
    )


if __name__ == "__main__":
    main()
