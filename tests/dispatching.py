"""A dispatcher (mailings, invites) driven by a test: passes on a clock the test moves, the
simulated Telegram's clock moving with it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import pytest

from domain.adapters.telegram import build_gateway
from tests.conftest import DEADLINE

if TYPE_CHECKING:
    from collections.abc import Callable

    from domain.bootstrap import Runtime
    from tests.fakes import FrozenClock


class Dispatcher(Protocol):
    async def run(self, seconds: float) -> Any: ...


D = TypeVar("D", bound=Dispatcher)


@dataclass
class Dispatch(Generic[D]):
    """``make`` is the dispatcher's class: (unit of work, gateway, secrets, clock, options)."""

    runtime: Runtime
    clock: FrozenClock
    options: Any
    make: Callable[..., D]

    def dispatcher(self) -> D:
        gateway = build_gateway(self.runtime.settings, self.runtime)
        return self.make(self.runtime.uow, gateway, self.runtime.secrets, self.clock, self.options)

    async def run(self, seconds: float = 0.3) -> Any:
        """One pass; its report."""
        return await self.dispatcher().run(seconds)

    async def until(self, condition: Any, *, within: float = DEADLINE) -> None:
        """Dispatch passes until ``await condition()`` holds; fails past the deadline."""
        deadline = time.monotonic() + within
        while not await condition():
            if time.monotonic() > deadline:
                pytest.fail(f"still not true after {within:.0f} s of dispatch")
            await self.run()

    async def advance(self, seconds: float) -> None:
        """Our clock and the simulated Telegram's move together."""
        self.clock.advance(seconds)
        assert self.runtime.sandbox is not None
        await self.runtime.sandbox.advance_clock(seconds)
