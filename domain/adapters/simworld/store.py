"""The world document in Redis: every process of a deployment steps the same world."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, TypeVar

from redis.exceptions import WatchError

from domain.adapters.simworld.world import Doc, World, empty_state
from domain.errors import ExternalUnavailable

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis.asyncio import Redis

T = TypeVar("T")
MAX_CONFLICTS = 100


class WorldStore:
    def __init__(self, redis: Redis, key: str) -> None:
        self.redis = redis
        self.key = key

    async def read(self) -> Doc:
        raw = await self.redis.get(self.key)
        return json.loads(raw) if raw else empty_state()

    async def view(self, step: Callable[[World], T]) -> T:
        """Run a read-only step on the current world."""
        return step(World(await self.read(), time.time()))

    async def update(self, step: Callable[[World], T]) -> T:
        """Run ``step`` and store the world it leaves, atomically (optimistic, WATCH/MULTI).

        A step that raises writes nothing.
        """
        for _ in range(MAX_CONFLICTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self.key)
                    raw = await pipe.get(self.key)
                    world = World(json.loads(raw) if raw else empty_state(), time.time())
                    result = step(world)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(self.key, json.dumps(world.state, separators=(",", ":")))
                    await pipe.execute()
                    return result
                except WatchError:
                    continue
        raise ExternalUnavailable("The simulated Telegram is too busy; try again.")
