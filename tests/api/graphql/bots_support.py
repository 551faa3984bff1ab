"""Helpers of the bots GraphQL tests: an admin calling the real API against the simulated
world of tests/integration/bots/scene.py, its jobs run by the in-process burst worker."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.integration.bots.scene import SECRET, channel_id, check, load, token
from tests.world import run_jobs

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from tests.api.graphql.tracking_support import Caller

__all__ = ["channel_id", "check", "load", "token"]


async def finished(runtime: Runtime, admin: Caller, task: dict[str, Any]) -> dict[str, Any]:
    """The task after the burst worker ran what is queued."""
    await run_jobs(runtime)
    found: dict[str, Any] = await admin.query("Task", id=task["id"])
    return found


async def bot(runtime: Runtime, admin: Caller, n: int = 1, **fields: Any) -> dict[str, Any]:
    """Bot ``n`` of the world, registered through registerBot; its node."""
    payload = await admin.succeeded("RegisterBot", token=token(n), **fields)
    done = await finished(runtime, admin, payload["task"])
    assert done["status"] == "SUCCEEDED", done
    [found] = [b for b in await admin.nodes("Bots") if b["telegramId"] == str(5000 + n)]
    return found


async def linked(
    runtime: Runtime, admin: Caller, channel: str = "@chan_1", **fields: Any
) -> dict[str, Any]:
    """The channel linked through linkChannel; the task, finished."""
    payload = await admin.succeeded("LinkChannel", channel=channel, **fields)
    return await finished(runtime, admin, payload["task"])


async def link_of(admin: Caller, channel: int) -> dict[str, Any]:
    [found] = await admin.nodes("ChannelLinks", filter={"channelTelegramId": str(channel)})
    return found


async def active_link(runtime: Runtime, admin: Caller) -> dict[str, Any]:
    """World with admin bots, bot 1 registered, chan_1 linked and checked: ACTIVE."""
    await load(runtime, admins=True)
    await bot(runtime, admin)
    await linked(runtime, admin)
    await check(runtime)
    link = await link_of(admin, channel_id(1))
    assert link["status"] == "ACTIVE", link
    return link


def no_token_in(admin: Caller) -> None:
    """No body the admin got holds a token's secret (any of the world's bots)."""
    everything = json.dumps(admin.bodies)
    assert SECRET[:-4] not in everything
