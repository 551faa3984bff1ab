"""Posting through a channel's bot: the post recorded with its Telegram id, readable
failures, a flood wait deferring the job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.bots import service as bots
from domain.errors import RateLimited
from domain.jobs.model import JobStatus
from tests.integration.bots.scene import (
    SYSTEM,
    channel_id,
    check,
    job,
    link,
    load,
    registered,
    result,
)
from tests.world import run_jobs
from workers.main import startup

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from domain.jobs.model import Job
    from domain.ports import TelegramGateway


async def linked(runtime: Runtime, *, active: bool = True) -> None:
    await load(runtime, admins=active)
    await registered(runtime, 1)
    await link(runtime, "@chan_1")
    await check(runtime)


async def post(runtime: Runtime, text: str, channel: int = channel_id(1), **run: Any) -> Job:
    async with runtime.uow() as uow:
        queued = await bots.queue_post(uow, actor=SYSTEM, channel_id=channel, text=text)
    await run_jobs(runtime, **run)
    return await job(runtime, queued.id)


class TestPosting:
    async def test_a_post_is_published_and_recorded(self, runtime: Runtime) -> None:
        await linked(runtime)

        done = await post(runtime, "**Hello** channel")

        assert done.status is JobStatus.SUCCEEDED, done.error
        assert result(done)["message_id"] == 2  # the world's channel has post 1 already
        async with runtime.uow() as uow:
            posts = await bots.channel_posts(uow, actor=SYSTEM, channel_id=channel_id(1))
        assert [(p.message_id, p.job_id) for p in posts] == [(2, done.id)]
        assert runtime.sandbox is not None
        world = await runtime.sandbox.world()
        # The text Telegram keeps: the Markdown parsed into entities.
        assert world["channels"][0]["posts"][-1]["text"] == posts[0].text == "Hello channel"

    async def test_an_empty_or_too_long_text_fails_the_task(self, runtime: Runtime) -> None:
        await linked(runtime)

        empty = await post(runtime, "   ")
        long = await post(runtime, "x" * 4097)

        assert (empty.status, empty.error) == (JobStatus.FAILED, "The message is empty.")
        assert long.status is JobStatus.FAILED
        assert long.error == "The message is 4097 characters long; Telegram takes at most 4096."

    async def test_a_channel_without_an_active_link_fails_the_task(self, runtime: Runtime) -> None:
        await linked(runtime, active=False)  # linked, but the bot is no admin: still new

        waiting = await post(runtime, "hello")
        unknown = await post(runtime, "hello", channel=channel_id(3))

        for done in (waiting, unknown):
            assert (done.status, done.error) == (
                JobStatus.FAILED,
                bots.NoUsableBot.default_message,
            )


class Flooding:
    """The gateway, but the first post meets a flood wait of ``seconds``."""

    def __init__(self, gateway: TelegramGateway, seconds: float) -> None:
        self.gateway, self.seconds, self.floods = gateway, seconds, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.gateway, name)

    async def post_markdown(self, *args: Any) -> Any:
        if not self.floods:
            self.floods += 1
            raise RateLimited(retry_after=self.seconds)
        return await self.gateway.post_markdown(*args)


class TestFloodWait:
    async def test_a_flood_wait_defers_the_job_until_after_it(self, runtime: Runtime) -> None:
        await linked(runtime)
        gateways: list[Flooding] = []

        async def flooding_startup(ctx: dict[str, Any]) -> None:
            await startup(ctx)
            gateways.append(Flooding(ctx["deps"].gateway, 1.0))
            ctx["deps"].gateway = gateways[-1]

        done = await post(runtime, "hello", on_startup=flooding_startup)

        assert done.status is JobStatus.SUCCEEDED, done.error
        assert done.attempts == 2
        assert gateways[0].floods == 1
        assert done.started_at is not None
        assert done.finished_at is not None
        assert (done.finished_at - done.started_at).total_seconds() >= 1.0
        async with runtime.uow() as uow:
            posts = await bots.channel_posts(uow, actor=SYSTEM, channel_id=channel_id(1))
        assert len(posts) == 1
