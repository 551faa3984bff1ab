"""Stopping a background task that swallowed a cancellation (as redis-py 5.3 can)."""

from __future__ import annotations

import asyncio
import contextlib

from domain.adapters.tasks import cancelled


async def test_a_swallowed_cancellation_is_delivered_again() -> None:
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)
        swallowed.set()
        await asyncio.sleep(3600)  # goes on as if nothing had happened

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)

    await cancelled(task, retry=0.01)

    assert swallowed.is_set()
    assert task.cancelled()


async def test_a_finished_task_is_left_as_it_ended() -> None:
    async def done() -> int:
        return 1

    task = asyncio.create_task(done())
    await task

    await cancelled(task)

    assert task.result() == 1
