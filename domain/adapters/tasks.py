"""Stopping background tasks that talk to Redis."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

# Seconds to wait for a cancelled task before cancelling it again.
CANCEL_RETRY = 1.0


async def cancelled(task: asyncio.Future[Any], *, retry: float = CANCEL_RETRY) -> None:
    """Cancels ``task`` and waits for it to end, cancelling it again every ``retry`` seconds:
    redis-py 5.3 can swallow a cancellation (one landing while it opens a connection), and a
    loop would then go on as if nothing had happened."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=retry)
    with contextlib.suppress(asyncio.CancelledError):
        await task
