"""The world state in Redis: every process of a deployment steps the same world."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError
from redis.exceptions import WatchError

from domain.adapters.simulated.document import WorldState
from domain.adapters.simulated.validation import Problem
from domain.adapters.simulated.world import World
from domain.errors import ExternalUnavailable

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis.asyncio import Redis

T = TypeVar("T")
MAX_CONFLICTS = 100


class WorldUnreadable(ExternalUnavailable):
    """Redis holds a world this version cannot read (stored by an older tghub)."""


def _state(raw: bytes | str | None) -> WorldState:
    if not raw:
        return WorldState()
    try:
        return WorldState.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise WorldUnreadable(
            f"The simulated world in Redis is not a world of this tghub version "
            f"({Problem(tuple(first['loc']), first['msg'])}); "
            "replace it with sandboxLoadWorld(merge: false)."
        ) from None


class WorldStore:
    def __init__(self, redis: Redis, key: str) -> None:
        self.redis = redis
        self.key = key

    async def read(self) -> WorldState:
        return _state(await self.redis.get(self.key))

    async def view(self, step: Callable[[World], T]) -> T:
        """Run a read-only step on the current world."""
        return step(World(await self.read(), time.time()))

    async def update(self, step: Callable[[World], T], *, fresh: bool = False) -> T:
        """Run ``step`` and store the world it leaves, atomically (optimistic, WATCH/MULTI).

        A step that raises writes nothing. ``fresh``: the step starts from an empty world,
        whatever Redis holds.
        """
        for _ in range(MAX_CONFLICTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self.key)
                    state = WorldState() if fresh else _state(await pipe.get(self.key))
                    world = World(state, time.time())
                    result = step(world)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(self.key, world.state.model_dump_json())
                    await pipe.execute()
                    return result
                except WatchError:
                    continue
        raise ExternalUnavailable("The simulated Telegram is too busy; try again.")
