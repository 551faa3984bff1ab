"""Session leases on real Redis: one owner at a time, in one process and across processes."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from redis.asyncio import Redis

from domain.adapters.lease import Lease, LeaseKeeper
from tests.conftest import DEADLINE, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

ROOT = Path(__file__).resolve().parents[3]

# One contender: waits at a barrier until both have started, then races for the lease; the
# winner holds it a second, the other waits for it to come free. It prints what happened.
CONTENDER = """
import asyncio, sys, time
from redis.asyncio import Redis
from domain.adapters.lease import Lease

async def main(url, key):
    redis = Redis.from_url(url)
    lease = Lease(redis, key, ttl=10)
    await redis.incr(key + ":started")
    while int(await redis.get(key + ":started")) < 2:
        await asyncio.sleep(0.01)
    if await lease.acquire():
        print("won", time.time(), flush=True)
        await asyncio.sleep(1.0)
        await lease.release()
    else:
        print("busy", time.time(), flush=True)
        while not await lease.acquire():
            await asyncio.sleep(0.02)
        print("took-over", time.time(), flush=True)
        await lease.release()
    await redis.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def key(redis: Redis) -> AsyncIterator[str]:
    name = f"test-lease:{uuid.uuid4().hex}"
    yield name
    await redis.delete(name, f"{name}:started")


class TestLease:
    async def test_one_owner_at_a_time(self, redis: Redis, key: str) -> None:
        first, second = Lease(redis, key, ttl=5), Lease(redis, key, ttl=5)
        assert await first.acquire()
        assert not await second.acquire()
        assert not await second.renew()
        assert await first.holder() == first.owner
        assert 4 < await first.remaining() <= 5

    async def test_acquiring_a_held_lease_again_renews_it(self, redis: Redis, key: str) -> None:
        lease = Lease(redis, key, ttl=5)
        assert await lease.acquire()
        await redis.pexpire(key, 1000)
        assert await lease.acquire()
        assert await lease.remaining() > 4

    async def test_renew_extends(self, redis: Redis, key: str) -> None:
        lease = Lease(redis, key, ttl=5)
        assert await lease.acquire()
        await redis.pexpire(key, 100)  # as if most of the lease had passed

        assert await lease.renew()
        assert await lease.remaining() > 4
        assert await lease.holder() == lease.owner

    async def test_release_frees_it_for_others(self, redis: Redis, key: str) -> None:
        first, second = Lease(redis, key), Lease(redis, key)
        assert await first.acquire()
        await first.release()
        assert await first.holder() is None
        assert await first.remaining() == 0
        assert await second.acquire()

    async def test_release_leaves_another_owners_lease_alone(self, redis: Redis, key: str) -> None:
        first, second = Lease(redis, key), Lease(redis, key)
        assert await second.acquire()
        await first.release()
        assert await first.holder() == second.owner

    async def test_an_unrenewed_lease_lapses_and_cannot_be_renewed_once_taken(
        self, redis: Redis, key: str
    ) -> None:
        first, second = Lease(redis, key, ttl=0.2), Lease(redis, key, ttl=5)
        assert await first.acquire()
        await asyncio.sleep(0.3)
        assert await first.holder() is None
        assert await second.acquire()
        assert not await first.renew()
        await first.release()
        assert await second.holder() == second.owner

    async def test_the_default_owner_names_host_and_process(self, redis: Redis) -> None:
        owner = Lease(redis, "unused").owner
        assert f":{os.getpid()}:" in owner

    async def test_a_lease_needs_a_positive_ttl(self, redis: Redis) -> None:
        with pytest.raises(ValueError, match="positive"):
            Lease(redis, "unused", ttl=0)


async def remaining_above(lease: Lease, seconds: float) -> bool:
    return await lease.remaining() > seconds


class Losses:
    """Counts ``on_lost`` calls."""

    def __init__(self) -> None:
        self.count = 0
        self.event = asyncio.Event()

    async def __call__(self) -> None:
        self.count += 1
        self.event.set()


class TestLeaseKeeper:
    async def test_keeps_the_lease_past_its_ttl_and_releases_on_stop(
        self, redis: Redis, key: str
    ) -> None:
        lease, lost = Lease(redis, key, ttl=3), Losses()
        assert await lease.acquire()
        keeper = LeaseKeeper(lease, lost)
        keeper.start()
        await redis.pexpire(key, 2500)  # lapses in 2.5 s unless the keeper renews it (every 1 s)
        await until(lambda: remaining_above(lease, 2.6))
        assert await lease.holder() == lease.owner
        await keeper.stop()
        assert await lease.holder() is None
        assert lost.count == 0

    async def test_reports_a_lease_taken_by_another_owner_once(
        self, redis: Redis, key: str
    ) -> None:
        lease, lost = Lease(redis, key, ttl=0.3), Losses()
        assert await lease.acquire()
        keeper = LeaseKeeper(lease, lost)
        keeper.start()
        await redis.set(key, "thief", px=5000)
        await asyncio.wait_for(lost.event.wait(), DEADLINE)
        await asyncio.sleep(0.3)  # three renewal periods more: no second report
        assert (lost.count, keeper.lost) == (1, True)
        await keeper.stop()
        assert await redis.get(key) == b"thief"

    async def test_reports_a_lease_that_lapsed_and_passed_to_another_owner(
        self, redis: Redis, key: str
    ) -> None:
        lease, lost = Lease(redis, key, ttl=0.3), Losses()
        assert await lease.acquire()
        keeper = LeaseKeeper(lease, lost)
        keeper.start()
        await redis.delete(key)  # as if it lapsed: the renewals stalled past the ttl
        successor = Lease(redis, key, ttl=5)
        assert await successor.acquire()
        await asyncio.wait_for(lost.event.wait(), DEADLINE)
        assert (lost.count, keeper.lost) == (1, True)
        assert not await lease.renew()
        await keeper.stop()  # its release leaves the successor's lease alone
        assert await lease.holder() == successor.owner

    async def test_gives_up_before_an_unreachable_redis_lets_the_lease_lapse(self) -> None:
        unreachable = Redis.from_url("redis://127.0.0.1:1/15", socket_connect_timeout=0.05)
        # It gives up one renewal period (0.5 s) before the lease would lapse (1.5 s): that
        # period is the margin a busy machine has before this test fails.
        lease, lost = Lease(unreachable, "anything", ttl=1.5), Losses()
        keeper = LeaseKeeper(lease, lost)
        started = time.monotonic()
        keeper.start()
        await asyncio.wait_for(lost.event.wait(), DEADLINE)
        assert time.monotonic() - started < lease.ttl
        await keeper.stop()  # cannot release either; it only logs
        await unreachable.aclose()


class TestContentionBetweenProcesses:
    async def test_exactly_one_process_wins_and_the_other_follows(
        self, key: str, redis_url: str
    ) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        contenders = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                CONTENDER,
                redis_url,
                key,
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(2)
        ]
        outputs = [
            (await asyncio.wait_for(c.communicate(), DEADLINE))[0].decode().split()
            for c in contenders
        ]
        assert [c.returncode for c in contenders] == [0, 0]
        firsts = sorted(out[0] for out in outputs)
        assert firsts == ["busy", "won"]
        [winner] = [out for out in outputs if out[0] == "won"]
        [follower] = [out for out in outputs if out[0] == "busy"]
        assert follower[2] == "took-over"
        # The winner held it a full second before the other could take it.
        assert float(follower[3]) >= float(winner[1]) + 0.9
