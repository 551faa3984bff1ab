"""The world state in Redis: every process of a deployment steps the same world."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError
from redis.exceptions import RedisError, WatchError

from domain.adapters.simulated.document import WorldState
from domain.adapters.simulated.validation import Problem
from domain.adapters.simulated.world import World
from domain.errors import ExternalUnavailable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

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


@contextlib.contextmanager
def _redis_errors() -> Iterator[None]:
    """Redis failing under the simulated Telegram is Telegram being unavailable: callers
    handle ExternalUnavailable (a check leaves the link for the next round), not redis-py's
    own errors."""
    try:
        yield
    except RedisError as exc:
        raise ExternalUnavailable(
            f"The simulated Telegram is unavailable ({type(exc).__name__}); try again."
        ) from exc


class WorldStore:
    def __init__(self, redis: Redis, key: str) -> None:
        self.redis = redis
        self.key = key
        # The world this store last wrote, with the exact JSON it wrote: a step that reads
        # that same JSON back starts from it instead of parsing the whole world again (most
        # of a step's cost in a large world). One step at a time takes it, as a step changes
        # the world in place; it is kept again only once that step's write went through.
        self._kept: tuple[bytes, WorldState] | None = None

    def _take(self, raw: bytes | str | None) -> WorldState:
        kept, self._kept = self._kept, None
        if kept is not None and raw == kept[0]:
            return kept[1]
        return _state(raw)

    async def read(self) -> WorldState:
        with _redis_errors():
            return _state(await self.redis.get(self.key))

    async def view(self, step: Callable[[World], T]) -> T:
        """Run a read-only step on the current world."""
        return step(World(await self.read(), time.time()))

    async def update(self, step: Callable[[World], T], *, fresh: bool = False) -> T:
        """Run ``step`` and store the world it leaves, atomically (optimistic, WATCH/MULTI).

        A step that raises writes nothing. ``fresh``: the step starts from an empty world,
        whatever Redis holds.
        """
        with _redis_errors():
            return await self._update(step, fresh=fresh)

    async def _update(self, step: Callable[[World], T], *, fresh: bool) -> T:
        for _ in range(MAX_CONFLICTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self.key)
                    state = WorldState() if fresh else self._take(await pipe.get(self.key))
                    world = World(state, time.time())
                    result = step(world)
                    text = world.state.model_dump_json().encode()
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(self.key, text)
                    await pipe.execute()
                    # Not a world made from scratch: it may hold the caller's own objects (a
                    # document given to ``replace_world``), which the next step would change.
                    self._kept = None if fresh else (text, world.state)
                    return result
                except WatchError:
                    continue
        raise ExternalUnavailable("The simulated Telegram is too busy; try again.")
