"""A dispatch pass that runs once at a time in the whole deployment, under a Redis lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from domain.adapters.lease import Lease, LeaseKeeper

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from workers.deps import WorkerDeps

log = logging.getLogger(__name__)
R = TypeVar("R")


@dataclass(frozen=True)
class PassResult(Generic[R]):
    """``ran``: this process held the lease; ``report``: the pass's own, unless it lost the
    lease on the way."""

    ran: bool
    report: R | None = None
    lease_lost: bool = False


async def leased_pass(
    deps: WorkerDeps, key: str, ttl: float, name: str, work: Callable[[], Awaitable[R]]
) -> PassResult[R]:
    """Run ``work`` unless another process holds the lease. A pass that loses its lease
    (Redis failed, or it stalled past the ttl) stops at once: another may have taken over,
    and two must not claim work for one account."""
    lease = Lease(deps.runtime.redis, key, ttl=ttl)
    if not await lease.acquire():
        return PassResult(ran=False)
    task = asyncio.ensure_future(work())

    async def on_lost() -> None:
        log.warning("%s lost its lease; stopping this pass", name)
        task.cancel()

    keeper = LeaseKeeper(lease, on_lost)
    keeper.start()
    try:
        report = await task
    except asyncio.CancelledError:
        if not keeper.lost:
            raise
        return PassResult(ran=True, lease_lost=True)
    finally:
        with contextlib.suppress(Exception):
            await keeper.stop()
    return PassResult(ran=True, report=report)
