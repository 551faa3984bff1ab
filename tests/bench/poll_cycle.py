"""The status listener's poll cycle: Telegram calls, rows written and the listener's CPU.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.poll_cycle                  # 10,000 users, 10 trackers
    .venv/bin/python -m tests.bench.poll_cycle -u 1000 -c 3     # a quick check

``--wait-idle SECONDS`` first waits (up to that long) for other load on the machine to stop.

In one run it:

1. creates and migrates a fresh database and starts a runtime on it (simulated Telegram,
   its world in Redis under a channel prefix of its own);
2. loads a simulated world of ``--users`` Telegram users (each with a username; a third of
   them online, a twentieth hiding their status from everybody and another twentieth
   showing it to contacts only, which no tracker is) and one Telegram account per tracker;
3. through the services, as an admin would: signs each account in (the real login jobs, in
   a burst worker), creates the tracker with its setting (which links the account) and a
   client who tracks ``--users / trackers`` users on it (``track_user``, one by one);
4. runs ``--cycles`` full poll cycles, every tracker once per cycle, through the real
   ``Listener.poll``, after a first cycle that takes the trackers over (every visible user's
   first row, every hidden one hidden; printed, not in the medians). Before each cycle
   ``--change`` of the users (seeded) flip their status, in one step of the world;
5. prints per cycle: the Telegram calls made (a counting wrapper around the simulated
   gateway), the rows written (checked against the flips that trackers can see), wall time,
   and the process's CPU time (``time.process_time``) split into the time inside gateway
   calls (the simulated Telegram, which is a network wait in production) and the rest (the
   listener's own: planning, database client work, publishing the event), and how many
   cores the whole machine was busy meanwhile (PostgreSQL, Redis and any other load); then
   the medians, against the baseline of one call per user;
6. with ``--profile N``: one more cycle under cProfile, its top N functions by own time;
7. drops the database and the run's Redis keys.

Environment: ``TGHUB_BENCH_ADMIN_DATABASE_URL`` (default
``postgresql://app:app@127.0.0.1:5432/postgres``) and ``TGHUB_BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/14``; nothing else there is touched). Figures go to docs/perf.md;
nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import random
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr
from sqlalchemy import func, select

from domain.access import System
from domain.adapters.clock import SystemClock
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.bootstrap import build_runtime
from domain.settings import Settings
from domain.tracking import service as tracking
from domain.tracking.model import OnlineStatus
from tests.bench.graphql_overhead import host_busy
from tests.bench.messenger_dataset import describe_code, wait_idle
from tests.pg import admin_execute, drop_statement, sibling_url
from tests.world import signed_in_account
from tghub.migrate import upgrade_head
from workers.listener import Listener

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Sequence

    from domain.adapters.simulated.world import World
    from domain.bootstrap import Runtime
    from domain.ports import TelegramGateway
    from domain.telegram.model import (
        AccountCredentials,
        AdminRights,
        BotCredentials,
        BotInfo,
        ChannelInfo,
        InviteOutcome,
        LoginCode,
        PostedMessage,
        SentMessage,
        SignedIn,
        StatusObservation,
        TelegramUser,
    )
    from domain.types import TelegramID

ADMIN_URL = os.environ.get(
    "TGHUB_BENCH_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TGHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
ADMIN = System("poll cycle benchmark")
FIRST_USER = 100_000
SEED = 11
T = TypeVar("T")


# -- the world and the trackers ----------------------------------------------------------------


def phone_of(tracker: int) -> str:
    return f"+7999100{tracker:04d}"


def privacy_of(n: int) -> dict[str, str]:
    """A twentieth hide their status from everybody, another from all but contacts."""
    if n % 20 == 0:
        return {"status": "nobody"}
    if n % 20 == 10:
        return {"status": "contacts"}
    return {}


def world_document(users: int, trackers: int) -> dict[str, Any]:
    online = random.Random(SEED)
    return {
        "seed": SEED,
        "users": [
            {
                "id": FIRST_USER + n,
                "username": f"bench_user_{n:05d}",
                "first_name": f"User {n}",
                "privacy": privacy_of(n),
                "online": online.random() < 1 / 3,
            }
            for n in range(users)
        ],
        "accounts": [
            {"id": 9000 + t, "phone": phone_of(t), "code": "12345"} for t in range(trackers)
        ],
    }


async def tracker_with_users(runtime: Runtime, t: int, names: Sequence[str]) -> int:
    """Tracker ``t`` on its signed-in account, a client tracking ``names`` on it."""
    async with runtime.uow() as uow:
        tracker = await tracking.create_tracker(
            uow,
            runtime.secrets,
            actor=ADMIN,
            telegram_id=700_000 + t,
            api_id=20_000 + t,  # unique per tracker, as the legacy model wants
            api_hash=f"{t + 1:032x}",
            is_active=True,
            is_auth=True,
        )
    async with runtime.uow() as uow:
        await tracking.create_setting(
            uow,
            runtime.secrets,
            actor=ADMIN,
            tracker_id=tracker.id,
            phone_number=phone_of(t),
            max_users=len(names),
        )
    async with runtime.uow() as uow:
        owner = await tracking.create_telegram_user(
            uow, actor=ADMIN, telegram_id=500_000 + t, max_users=len(names)
        )
    for name in names:
        async with runtime.uow() as uow:
            await tracking.track_user(
                uow,
                actor=ADMIN,
                telegram_user_id=owner.id,
                username=name,
                tracker_account_id=tracker.id,
            )
    return tracker.id


async def build_scene(runtime: Runtime, users: int, trackers: int) -> list[int]:
    assert runtime.sandbox is not None
    await runtime.sandbox.load_world(world_document(users, trackers), merge=False)
    for t in range(trackers):
        await signed_in_account(runtime, phone_of(t))  # real jobs; api credentials of tests
    per = users // trackers
    names = [f"bench_user_{n:05d}" for n in range(users)]
    # One client per tracker, so the trackers fill side by side (each locks its own rows).
    return list(
        await asyncio.gather(
            *(
                tracker_with_users(runtime, t, names[t * per : (t + 1) * per])
                for t in range(trackers)
            )
        )
    )


async def flip(runtime: Runtime, ids: set[int]) -> None:
    """Users ``ids`` change status, in one step of the world (as ``set_user_status`` does
    for one user)."""
    assert runtime.world is not None

    def step(world: World) -> None:
        for user in world.state.users:
            if user.id in ids:
                user.online, user.changed_at = not user.online, world.now

    await runtime.world.update(step)


async def status_rows(runtime: Runtime) -> int:
    async with runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(OnlineStatus)) or 0)


# -- the gateway, counted -----------------------------------------------------------------------


class CountingGateway:
    """The simulated gateway, every call counted, with the CPU and wall time spent in it."""

    def __init__(self, inner: SimulatedGateway) -> None:
        self.inner = inner
        self.calls = 0
        self.cpu = 0.0
        self.wall = 0.0

    async def _counted(self, call: Awaitable[T]) -> T:
        self.calls += 1
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return await call
        finally:
            self.cpu += time.process_time() - cpu
            self.wall += time.perf_counter() - wall

    async def verify_bot(self, bot: BotCredentials) -> BotInfo:
        return await self._counted(self.inner.verify_bot(bot))

    async def resolve_channel(self, bot: BotCredentials, ref: str) -> ChannelInfo:
        return await self._counted(self.inner.resolve_channel(bot, ref))

    async def bot_rights(self, bot: BotCredentials, channel_id: TelegramID) -> AdminRights:
        return await self._counted(self.inner.bot_rights(bot, channel_id))

    async def open_invite(self, account: AccountCredentials, ref: str) -> ChannelInfo:
        return await self._counted(self.inner.open_invite(account, ref))

    async def post_markdown(
        self, bot: BotCredentials, channel_id: TelegramID, text: str
    ) -> PostedMessage:
        return await self._counted(self.inner.post_markdown(bot, channel_id, text))

    async def message_views(
        self, bot: BotCredentials, channel_id: TelegramID, message_ids: Sequence[int]
    ) -> dict[int, int]:
        return await self._counted(self.inner.message_views(bot, channel_id, message_ids))

    async def channel_messages(
        self, bot: BotCredentials, channel_id: TelegramID, message_ids: Sequence[int]
    ) -> list[PostedMessage]:
        return await self._counted(self.inner.channel_messages(bot, channel_id, message_ids))

    async def send_login_code(self, account: AccountCredentials) -> LoginCode:
        return await self._counted(self.inner.send_login_code(account))

    async def sign_in(
        self,
        account: AccountCredentials,
        *,
        code: str,
        phone_code_hash: str,
        password: str | None = None,
    ) -> SignedIn:
        return await self._counted(
            self.inner.sign_in(
                account, code=code, phone_code_hash=phone_code_hash, password=password
            )
        )

    async def user_statuses(
        self, account: AccountCredentials, users: Sequence[str]
    ) -> list[StatusObservation]:
        return await self._counted(self.inner.user_statuses(account, users))

    def status_updates(self, account: AccountCredentials) -> AsyncIterator[StatusObservation]:
        self.calls += 1
        return self.inner.status_updates(account)

    async def import_phone(self, account: AccountCredentials, phone: str) -> TelegramUser | None:
        return await self._counted(self.inner.import_phone(account, phone))

    async def delete_contact(self, account: AccountCredentials, user_id: TelegramID) -> None:
        await self._counted(self.inner.delete_contact(account, user_id))

    async def invite_to_channel(
        self, account: AccountCredentials, channel: str, user_id: TelegramID
    ) -> InviteOutcome:
        return await self._counted(self.inner.invite_to_channel(account, channel, user_id))

    async def export_invite_link(self, account: AccountCredentials, channel: str) -> str:
        return await self._counted(self.inner.export_invite_link(account, channel))

    async def send_message(
        self, account: AccountCredentials, user: str, text: str, *, random_id: int
    ) -> SentMessage:
        return await self._counted(
            self.inner.send_message(account, user, text, random_id=random_id)
        )

    async def close(self) -> None:
        await self.inner.close()


if TYPE_CHECKING:
    _conforms: type[TelegramGateway] = CountingGateway


# -- the cycles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    calls: int
    rows: int
    wall: float
    cpu: float
    gateway_cpu: float
    gateway_wall: float
    own_cpu: float  # CPU outside gateway calls: the listener's own
    machine: float  # cores the whole machine was busy meanwhile (PostgreSQL, Redis, others)


async def cycle(
    runtime: Runtime, listener: Listener, gateway: CountingGateway, ids: list[int]
) -> Cycle:
    before = await status_rows(runtime)
    calls, gateway_cpu, gateway_wall = gateway.calls, gateway.cpu, gateway.wall
    cpu, wall, busy = time.process_time(), time.perf_counter(), host_busy()
    for tracker_id in ids:
        await listener.poll(tracker_id)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    busy = host_busy() - busy
    gateway_cpu = gateway.cpu - gateway_cpu
    return Cycle(
        calls=gateway.calls - calls,
        rows=await status_rows(runtime) - before,
        wall=wall,
        cpu=cpu,
        gateway_cpu=gateway_cpu,
        gateway_wall=gateway.wall - gateway_wall,
        own_cpu=cpu - gateway_cpu,
        machine=busy / wall,
    )


def visible(n: int) -> bool:
    return not privacy_of(n)


HEADER = (
    f"{'cycle':>5}  {'calls':>5}  {'rows':>5}  {'wall s':>7}  {'CPU s':>6}  "
    f"{'in gateway':>10}  {'listener own':>12}  {'gateway wall s':>14}  {'machine':>7}"
)


def line(label: str, c: Cycle) -> str:
    return (
        f"{label:>5}  {c.calls:>5.0f}  {c.rows:>5.0f}  {c.wall:>7.3f}  {c.cpu:>6.3f}  "
        f"{c.gateway_cpu:>10.3f}  {c.own_cpu:>12.3f}  {c.gateway_wall:>14.3f}  {c.machine:>7.2f}"
    )


async def run(users: int, trackers: int, cycles: int, change: float, profile: int) -> None:
    name = f"tghub_bench_poll_{os.getpid()}"
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
    try:
        await asyncio.to_thread(upgrade_head, url)
        await runtime.start()
        started = time.perf_counter()
        ids = await build_scene(runtime, users, trackers)
        assert runtime.world is not None
        size = await runtime.redis.strlen(runtime.world.key)
        print(
            f"{users:,} Telegram users, {trackers} trackers tracking {users // trackers:,} each;"
            f" scene built in {time.perf_counter() - started:.0f} s; the world is"
            f" {size / 1e6:.1f} MB of JSON in Redis"
        )
        gateway = CountingGateway(SimulatedGateway(runtime.world))
        listener = Listener(runtime, gateway, SystemClock())
        tracked = (users // trackers) * trackers
        print(f"baseline: one call per user would be {tracked:,} calls per cycle")
        print(HEADER)
        first = await cycle(runtime, listener, gateway, ids)
        print(line("0", first) + "   (takeover: first rows)")
        assert first.rows == sum(visible(i) for i in range(tracked)), first.rows
        rng = random.Random(SEED)
        done: list[Cycle] = []
        for n in range(1, cycles + 1):
            flipped = set(rng.sample(range(tracked), int(tracked * change)))
            await flip(runtime, {FIRST_USER + i for i in flipped})
            result = await cycle(runtime, listener, gateway, ids)
            expected = sum(visible(i) for i in flipped)
            assert result.rows == expected, (result.rows, expected)  # nothing failed quietly
            done.append(result)
            print(line(str(n), result), flush=True)
        median = Cycle(
            **{
                key: statistics.median(getattr(c, key) for c in done)
                for key in (f.name for f in fields(Cycle))
            }
        )
        print(line("med", median))
        calls = median.calls or 1
        print(
            f"median per cycle: {median.calls:.0f} calls (against {tracked:,}: one call per"
            f" user), {median.rows:.0f} rows, wall {median.wall:.2f} s, CPU {median.cpu:.2f} s ="
            f" {median.gateway_cpu:.2f} s in the simulated Telegram"
            f" ({median.gateway_cpu / calls * 1000:.1f} ms a call) +"
            f" {median.own_cpu:.3f} s the listener's own"
            f" ({median.own_cpu / trackers * 1000:.1f} ms a tracker,"
            f" {median.own_cpu / tracked * 1e6:.1f} us a tracked user)"
        )
        if profile:
            await flip(
                runtime, {FIRST_USER + i for i in rng.sample(range(tracked), int(tracked * change))}
            )
            profiler = cProfile.Profile()
            profiler.enable()
            await cycle(runtime, listener, gateway, ids)
            profiler.disable()
            print("one more cycle under cProfile (the gateway's share included), by own time:")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(profile)
    finally:
        keys = [key async for key in runtime.redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await runtime.redis.delete(*keys)
        await runtime.stop()
        await admin_execute(ADMIN_URL, drop_statement(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-u", "--users", type=int, default=10_000)
    parser.add_argument("-t", "--trackers", type=int, default=10)
    parser.add_argument("-c", "--cycles", type=int, default=7)
    parser.add_argument("--change", type=float, default=0.1, help="share of users flipped")
    parser.add_argument(
        "--wait-idle", type=float, default=0, metavar="SECONDS", help="wait for other load to stop"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="then profile a cycle: top N functions"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(describe_code())
    wait_idle(args.wait_idle)
    asyncio.run(run(args.users, args.trackers, args.cycles, args.change, args.profile))


if __name__ == "__main__":
    main()
