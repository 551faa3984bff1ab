"""The pass of a dispatcher that works through a pool of Telegram accounts (mailings,
invites): one sender task per account, started while there is work, all finished (or
cancelled) before the pass ends."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uuid
    from collections.abc import Awaitable, Callable, Coroutine
    from typing import Any

log = logging.getLogger(__name__)

Senders = dict["uuid.UUID", asyncio.Task[None]]


async def run_pass(
    seconds: float,
    poll_interval: float,
    look: Callable[[], Awaitable[None]],
    keep_senders: Callable[[Senders, float], Awaitable[bool]],
) -> None:
    """``look`` (the pass's housekeeping), then ``keep_senders`` (start what the accounts can
    do now; False once nothing is left), every ``poll_interval`` for at most about
    ``seconds``; a last ``look`` after every sender finished. A pass that fails or is
    cancelled cancels its senders and waits for them, so none outlives it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    senders: Senders = {}
    try:
        while True:
            await look()
            if loop.time() >= deadline or not await keep_senders(senders, deadline):
                break
            await asyncio.sleep(min(poll_interval, deadline - loop.time()))
    except BaseException:
        for task in senders.values():
            task.cancel()
        raise
    finally:
        await asyncio.gather(*senders.values(), return_exceptions=True)
    await look()


def keep_sender(
    senders: Senders,
    account_id: uuid.UUID,
    sender: Callable[[], Coroutine[Any, Any, None]],
    what: str,
) -> None:
    """Start the account's sender unless one runs; a sender that crashed starts again at the
    next round, its error logged."""
    if not is_running(senders, account_id):
        task = asyncio.create_task(sender())
        task.add_done_callback(functools.partial(_log_crash, what))
        senders[account_id] = task


def is_running(senders: Senders, account_id: uuid.UUID) -> bool:
    task = senders.get(account_id)
    return task is not None and not task.done()


def any_running(senders: Senders) -> bool:
    return any(not task.done() for task in senders.values())


def _log_crash(what: str, task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("%s crashed", what, exc_info=exc)
