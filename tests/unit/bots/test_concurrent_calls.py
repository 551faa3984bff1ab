"""The bots jobs' concurrent Telegram calls: the first failure stops the others."""

from __future__ import annotations

import asyncio

import pytest

from domain.bots.service import _all


async def test_results_come_in_order() -> None:
    async def value(n: int) -> int:
        await asyncio.sleep(0.001 * (3 - n))
        return n

    assert await _all(value(n) for n in range(3)) == [0, 1, 2]


async def test_the_first_failure_cancels_the_rest_and_is_raised_as_itself() -> None:
    cancelled: set[int] = set()
    started = asyncio.Event()

    async def slow(n: int) -> int:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.add(n)
            raise
        return n

    async def failing() -> int:
        await started.wait()
        raise RuntimeError("Telegram broke")

    with pytest.raises(RuntimeError, match="Telegram broke"):
        await _all([slow(1), failing(), slow(2)])

    assert cancelled == {1, 2}  # ended before _all returned: nothing left calling Telegram
