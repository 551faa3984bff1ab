"""Does a mailing's step of the simulated Telegram cost more in a world of 100,000 users?

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.world_population               # 2,000 pairs, 3 rounds
    .venv/bin/python -m tests.bench.world_population -n 300 -r 1   # a quick check
    .venv/bin/python -m tests.bench.world_population --listed-100k # also 100,000 listed users

A mailing sends each client one ``import_phone`` (the client's phone becomes the account's
contact) and one ``send_message`` (to the user found, with its own ``random_id``): two steps of
the world. This script times such pairs, through the ``SimulatedGateway``, in two worlds under
fresh keys of Redis (``TGHUB_BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/13``, a
database no test run empties meanwhile; their keys are deleted at the end, nothing else there
is touched):

- **baseline**: the test world (``tests/world.py``) plus 1,000 users listed one by one;
- **population**: the test world plus a population of 100,000 users (one rule), 50,000 of
  whom were contacted before: the account's contacts list them (loaded as the world file's
  ``accounts[].contacts``, which the store moves into its contacts set) and the sent index
  holds 50,000 messages (written straight into its hash, as 50,000 earlier sends leave it).

The pairs go to users not contacted yet, in order. The worlds take turns, ``--rounds`` times,
so a busy moment of the machine falls on both; each round prints wall and CPU (of this
process) per pair, pairs per second, the document's size, and the contacts set's and sent
index's sizes; then the median round of each. With ``--listed-100k`` a third world lists its
100,000 users one by one in the document (what a population replaces) and runs a few pairs.
Before that, it times loading the 100,000-user population by ``sandboxLoadWorld`` and by a
world file (``TGHUB_TELEGRAM_WORLD``'s path: read and checked, then stored). Nothing here
asserts timings; figures go to docs/perf.md.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from redis.asyncio import Redis

from domain.adapters.simulated.sandbox import SimulatedSandbox
from domain.adapters.simulated.store import WorldStore
from domain.adapters.simulated.worldfile import read_world_file
from domain.adapters.telegram.simulated import SimulatedGateway, sent_key
from domain.telegram.model import AccountCredentials
from tests.world import ACCOUNT_PHONE, API_HASH, WORLD

REDIS_URL = os.environ.get("TGHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
FIRST_ID = 7_000_000_000
PHONE_FROM = 79_000_000_000  # +79000000000 and on
POPULATION = 100_000
CONTACTED = 50_000
LISTED = 1_000
LISTED_FIRST_ID = 100_000
LISTED_PHONE_FROM = 79_500_000_000


@dataclass(frozen=True)
class Round:
    wall: float  # seconds per pair
    cpu: float
    document: int  # bytes
    contacts: int
    sent: int


def population_rule(count: int) -> dict[str, Any]:
    return {"first_id": FIRST_ID, "count": count, "phone_from": f"+{PHONE_FROM}"}


def listed_users(count: int, first_id: int, phone_from: int) -> list[dict[str, Any]]:
    return [
        {"id": first_id + n, "phone": f"+{phone_from + n}", "first_name": f"Client {n}"}
        for n in range(count)
    ]


def baseline_world() -> dict[str, Any]:
    world = copy.deepcopy(WORLD)
    world["users"].extend(listed_users(LISTED, LISTED_FIRST_ID, LISTED_PHONE_FROM))
    return world


def population_world(count: int, contacted: int) -> dict[str, Any]:
    world = copy.deepcopy(WORLD)
    world["populations"] = [population_rule(count)]
    world["accounts"][0]["contacts"] = [FIRST_ID + n for n in range(contacted)]
    return world


def listed_100k_world() -> dict[str, Any]:
    world = copy.deepcopy(WORLD)
    world["users"].extend(listed_users(POPULATION, FIRST_ID, PHONE_FROM))
    return world


class Bench:
    """One world under its own key, its account signed in, sending to the next user."""

    def __init__(self, redis: Redis, name: str, phones: list[str]) -> None:
        self.name = name
        self.store = WorldStore(redis, f"bench-{uuid.uuid4().hex[:12]}:simulated-world")
        self.gateway = SimulatedGateway(self.store)
        self.phones = phones  # whom to send to, in order (the first ones again past the end)
        self.sent = 0
        self.creds = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH)

    async def load(self, document: dict[str, Any], earlier_sends: int = 0) -> None:
        await SimulatedSandbox(self.store).load_world(document, merge=False)
        if earlier_sends:
            await self._sent_before(earlier_sends)
        fresh = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH)
        code = await self.gateway.send_login_code(fresh)
        pending = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=code.session)
        signed = await self.gateway.sign_in(
            pending, code="12345", phone_code_hash=code.phone_code_hash
        )
        self.creds = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=signed.session)

    async def _sent_before(self, count: int) -> None:
        """The sent index as ``count`` earlier sends leave it (random_ids below 0 here)."""
        chunk = 10_000
        for start in range(0, count, chunk):
            keys = range(start, min(start + chunk, count))
            mapping = {sent_key(ACCOUNT_PHONE, -1 - n): n + 1 for n in keys}
            await self.store.redis.hset(self.store.sent_key, mapping=mapping)  # type: ignore[misc]

    async def pairs(self, count: int) -> Round:
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            phone = self.phones[self.sent % len(self.phones)]
            user = await self.gateway.import_phone(self.creds, phone)
            assert user is not None, phone
            self.sent += 1
            await self.gateway.send_message(
                self.creds, str(user.id), f"mailing {self.sent}", random_id=self.sent
            )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return Round(wall / count, cpu / count, *await self.sizes())

    async def sizes(self) -> tuple[int, int, int]:
        redis = self.store.redis
        async with redis.pipeline(transaction=False) as pipe:
            pipe.strlen(self.store.key)
            pipe.scard(self.store.contacts_key)
            pipe.hlen(self.store.sent_key)
            size, contacts, sent = await pipe.execute()
        return int(size), int(contacts), int(sent)

    async def delete(self) -> None:
        await self.store.redis.delete(*self.store.keys)


def show(name: str, result: Round) -> None:
    print(
        f"{name:<11} {result.wall * 1000:>9.3f} {result.cpu * 1000:>8.3f} "
        f"{1 / result.wall:>8.0f} {result.document:>10} {result.contacts:>9} {result.sent:>8}"
    )


def median(rounds: list[Round]) -> Round:
    return sorted(rounds, key=lambda r: r.wall)[len(rounds) // 2]


async def loading(redis: Redis) -> None:
    """How long a 100,000-user population takes to load: it is one rule."""
    store = WorldStore(redis, f"bench-{uuid.uuid4().hex[:12]}:simulated-world")
    document = copy.deepcopy(WORLD)
    document["populations"] = [population_rule(POPULATION)]
    try:
        started = time.perf_counter()
        await SimulatedSandbox(store).load_world(document, merge=False)
        by_sandbox = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "world.yaml"
            path.write_text(yaml.safe_dump(document))
            started = time.perf_counter()
            await SimulatedSandbox(store).replace_world(read_world_file(path))
            by_file = time.perf_counter() - started
        size = await redis.strlen(store.key)
    finally:
        await redis.delete(*store.keys)
    print(f"loading a world with a population of {POPULATION:,} users (document {size} bytes):")
    print(f"  sandboxLoadWorld (merge: false): {by_sandbox * 1000:.1f} ms")
    print(f"  world file (read, check, store): {by_file * 1000:.1f} ms")


async def run(pairs: int, rounds: int, listed_100k: int) -> None:
    redis = Redis.from_url(REDIS_URL)
    baseline = Bench(redis, "baseline", [f"+{LISTED_PHONE_FROM + n}" for n in range(LISTED)])
    # Each population sends to those it has not contacted yet, in order.
    small = Bench(redis, "pop-1k", [f"+{PHONE_FROM + n}" for n in range(LISTED // 2, LISTED)])
    large = Bench(redis, "pop-100k", [f"+{PHONE_FROM + n}" for n in range(CONTACTED, POPULATION)])
    benches = [baseline, small, large]
    try:
        await loading(redis)
        started = time.perf_counter()
        await baseline.load(baseline_world())
        await small.load(population_world(LISTED, LISTED // 2), earlier_sends=LISTED // 2)
        await large.load(population_world(POPULATION, CONTACTED), earlier_sends=CONTACTED)
        print(f"prepared the worlds in {time.perf_counter() - started:.1f} s")
        print(
            f"\nbaseline: {LISTED:,} users listed one by one; pop-1k: {LISTED:,} users by a "
            f"rule, {LISTED // 2:,} contacted before; pop-100k: {POPULATION:,} users by a rule, "
            f"{CONTACTED:,} contacted before. {pairs:,} import_phone + send_message pairs per "
            "world and round."
        )
        header = f"{'world':<11} {'wall ms':>9} {'CPU ms':>8} {'pairs/s':>8} "
        print(f"{header}{'doc bytes':>10} {'contacts':>9} {'sent':>8}")
        results: dict[str, list[Round]] = {bench.name: [] for bench in benches}
        for number in range(rounds):
            for bench in benches if number % 2 == 0 else benches[::-1]:
                result = await bench.pairs(pairs)
                results[bench.name].append(result)
                show(bench.name, result)
        print("median round (per pair):")
        for bench in benches:
            show(bench.name, median(results[bench.name]))
        if listed_100k:
            listed = Bench(redis, "listed-100k", [f"+{PHONE_FROM + n}" for n in range(POPULATION)])
            benches.append(listed)
            started = time.perf_counter()
            await listed.load(listed_100k_world())
            print(f"\n{POPULATION:,} users listed one by one: loaded in ", end="")
            print(f"{time.perf_counter() - started:.1f} s; {listed_100k} pairs:")
            show(listed.name, await listed.pairs(listed_100k))
    finally:
        for bench in benches:
            await bench.delete()
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--pairs", type=int, default=2_000, help="pairs per round")
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument(
        "--listed-100k",
        type=int,
        nargs="?",
        const=50,
        default=0,
        help="also time this many pairs (default 50) with 100,000 users listed one by one",
    )
    args = parser.parse_args()
    asyncio.run(run(args.pairs, args.rounds, args.listed_100k))


if __name__ == "__main__":
    main()
