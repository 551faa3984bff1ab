"""A simulated world of bots and channels, and helpers that drive bot management through
its real jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.access import System
from domain.bots import service as bots
from domain.jobs.model import Job
from tests.world import run_jobs

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

SYSTEM = System("tests")
SECRET = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # the shape of a real token's secret half


def token(n: int) -> str:
    return f"{5000 + n}:{SECRET[:-4]}{n:04d}"


def channel_id(n: int) -> int:
    return -1001000000000 - n


def bots_world(*, bots_count: int = 2, channels: int = 3, admins: bool = False) -> dict[str, Any]:
    """Bots ``bot_1``…, channels ``chan_1``… (invite hash ``Invite0001``…, a post each);
    with ``admins`` every bot may post everywhere."""
    bot_entries = [
        {"id": 5000 + n, "token": token(n), "username": f"bot_{n}", "first_name": f"Bot {n}"}
        for n in range(1, bots_count + 1)
    ]
    rights = [{"bot": f"bot_{n}", "post_messages": True} for n in range(1, bots_count + 1)]
    channel_entries = [
        {
            "id": channel_id(n),
            "username": f"chan_{n}",
            "title": f"Channel {n}",
            "invite_hash": f"Invite{n:04d}",
            "admins": rights if admins else [],
            "posts": [{"id": 1, "text": "first", "views": 5}],
        }
        for n in range(1, channels + 1)
    ]
    return {"seed": 3, "bots": bot_entries, "channels": channel_entries}


async def load(runtime: Runtime, **kwargs: Any) -> None:
    assert runtime.sandbox is not None
    await runtime.sandbox.load_world(bots_world(**kwargs), merge=False)


async def job(runtime: Runtime, job_id: str) -> Job:
    async with runtime.uow() as uow:
        found = await uow.session.get(Job, job_id)
        assert found is not None
        return found


async def register(runtime: Runtime, bot_token: str, **fields: str) -> Job:
    """POST /bots/: the registration job queued and run."""
    async with runtime.uow() as uow:
        queued = await bots.request_bot(
            uow, runtime.secrets, actor=SYSTEM, token=bot_token, **fields
        )
    await run_jobs(runtime)
    return await job(runtime, queued.id)


async def registered(runtime: Runtime, *numbers: int) -> list[int]:
    """The bots of these numbers, registered; their ids."""
    ids = []
    for n in numbers:
        done = await register(runtime, token(n), alias=f"alias {n}")
        assert done.result is not None, done.error
        ids.append(done.result["id"])
    return ids


async def link(runtime: Runtime, channel: str, bot_id: int | None = None) -> Job:
    """POST /channels/: the link job queued and run."""
    async with runtime.uow() as uow:
        queued = await bots.request_link(uow, actor=SYSTEM, channel=channel, bot_id=bot_id)
    await run_jobs(runtime)
    return await job(runtime, queued.id)


async def check(runtime: Runtime) -> Job:
    async with runtime.uow() as uow:
        queued = await bots.queue_check(uow, actor=SYSTEM)
    await run_jobs(runtime)
    return await job(runtime, queued.id)


async def link_status(runtime: Runtime, channel: int) -> bots.ChannelLink:
    async with runtime.uow() as uow:
        return await bots.get_channel(uow, actor=SYSTEM, channel_id=channel)


def result(done: Job) -> dict[str, Any]:
    """The job's result; the job's error when it has none."""
    assert isinstance(done.result, dict), (done.status, done.error)
    return done.result
