"""Does a step of the simulated Telegram cost more as the world records more?

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.world_growth            # 20,000 messages, batches of 1,000
    .venv/bin/python -m tests.bench.world_growth -n 2000 -b 200   # a quick check

One run loads the test world (``tests/world.py``) plus ``--users`` more users into a world
under a fresh key of Redis (``TGHUB_BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/13``;
its keys are deleted at the end, nothing else there is touched), signs the account in through
the ``SimulatedGateway``, then sends ``-n`` messages, one at a time, each to the next user
with its own ``random_id``: each send is one step of the world (read, rules, write). Per batch
it prints the wall time and the CPU of this process per step, the document's size and the
outbox's length. Flat per-step figures mean a step's cost does not grow with what the world
recorded. Nothing here asserts timings; figures go to docs/perf.md.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import time
import uuid
from typing import Any

from redis.asyncio import Redis

from domain.adapters.simulated.sandbox import SimulatedSandbox
from domain.adapters.simulated.store import WorldStore
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.telegram.model import AccountCredentials
from tests.world import ACCOUNT_PHONE, API_HASH, WORLD

REDIS_URL = os.environ.get("TGHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def document(users: int) -> dict[str, Any]:
    world = copy.deepcopy(WORLD)
    world["users"].extend(
        {"id": 100_000 + n, "username": f"bench_user_{n}", "first_name": f"User {n}"}
        for n in range(users)
    )
    return world


async def sizes(store: WorldStore) -> tuple[int, int]:
    async with store.redis.pipeline(transaction=False) as pipe:
        pipe.strlen(store.key)
        pipe.llen(f"{store.key}:outbox")  # 0 for an older tghub: its outbox is in the document
        size, length = await pipe.execute()
    return int(size), int(length)


async def run(messages: int, batch: int, users: int) -> None:
    redis = Redis.from_url(REDIS_URL)
    store = WorldStore(redis, f"bench-{uuid.uuid4().hex[:12]}:simulated-world")
    # The keys a store of this tghub keeps beside the document (an older one has none).
    keys = [store.key, f"{store.key}:outbox", f"{store.key}:sent"]
    try:
        await SimulatedSandbox(store).load_world(document(users), merge=False)
        gateway = SimulatedGateway(store)
        fresh = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH)
        code = await gateway.send_login_code(fresh)
        pending = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=code.session)
        signed = await gateway.sign_in(pending, code="12345", phone_code_hash=code.phone_code_hash)
        creds = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=signed.session)
        print(f"{messages} messages in batches of {batch}, world of {users + 3} users")
        print(f"{'sent':>7}  {'wall ms/step':>12}  {'CPU ms/step':>11}  {'doc bytes':>9}  outbox")
        sent = 0
        while sent < messages:
            count = min(batch, messages - sent)
            wall, cpu = time.perf_counter(), time.process_time()
            for n in range(sent, sent + count):
                user = f"bench_user_{n % users}" if users else "ivan_test"
                await gateway.send_message(creds, user, f"mailing {n}", random_id=n + 1)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            sent += count
            size, length = await sizes(store)
            print(
                f"{sent:>7}  {wall / count * 1000:>12.3f}  {cpu / count * 1000:>11.3f}  "
                f"{size:>9}  {length}"
            )
    finally:
        await redis.delete(*keys)
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--messages", type=int, default=20_000)
    parser.add_argument("-b", "--batch", type=int, default=1_000)
    parser.add_argument("--users", type=int, default=1_000, help="users besides the test world")
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.batch, args.users))


if __name__ == "__main__":
    main()
