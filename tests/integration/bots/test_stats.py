"""Daily stats: the previous UTC day on the simulated clock, posts made outside tghub found by
reading message ids forward, one row per channel and day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from domain.bots import service as bots
from domain.jobs.model import JobStatus
from tests.integration.bots.scene import SYSTEM, channel_id, check, job, link, load, registered
from tests.integration.bots.scene import result as result_of
from tests.world import run_jobs

if TYPE_CHECKING:
    from domain.bootstrap import Runtime


async def to_next_noon(runtime: Runtime) -> datetime:
    """The simulated clock moved to noon UTC of the next day, so a day's posts stay in that
    day and what came before is of an earlier day."""
    assert runtime.sandbox is not None
    now = await runtime.sandbox.now()
    noon = datetime(now.year, now.month, now.day, 12, tzinfo=UTC) + timedelta(days=1)
    return await runtime.sandbox.advance_clock((noon - now).total_seconds())


class TestDailyStats:
    async def test_the_previous_days_posts_and_views_are_counted(self, runtime: Runtime) -> None:
        assert runtime.sandbox is not None
        await load(runtime, admins=True)
        await to_next_noon(runtime)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")
        await check(runtime)
        day = (await runtime.sandbox.now()).date()
        async with runtime.uow() as uow:
            await bots.queue_post(uow, actor=SYSTEM, channel_id=channel_id(1), text="ours")
        await run_jobs(runtime)
        await runtime.sandbox.add_post("chan_1", "made outside tghub", 7)
        # The world's first post was dated when the world loaded: the day before.

        await runtime.sandbox.advance_clock(24 * 3600)
        async with runtime.uow() as uow:
            queued = await bots.queue_stats(uow, actor=SYSTEM)
        await run_jobs(runtime)
        done = await job(runtime, queued.id)

        assert done.status is JobStatus.SUCCEEDED, done.error
        assert result_of(done) == {"day": day.isoformat(), "channels": 1, "skipped": {}}
        async with runtime.uow() as uow:
            (row,) = await bots.daily_stats(uow, actor=SYSTEM, channel_id=channel_id(1))
            posts = await bots.channel_posts(uow, actor=SYSTEM, channel_id=channel_id(1))
        assert [p.message_id for p in posts] == [1, 2, 3]
        assert (row.day, row.posts) == (day, 2)
        assert row.views == sum(p.views for p in posts if p.message_id > 1)
        assert row.views >= 7

    async def test_a_rerun_replaces_the_days_row(self, runtime: Runtime) -> None:
        await load(runtime, admins=True)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")
        await check(runtime)
        day = datetime.now(UTC).date()

        for _ in range(2):
            async with runtime.uow() as uow:
                await bots.queue_stats(uow, actor=SYSTEM, day=day)
            await run_jobs(runtime)

        async with runtime.uow() as uow:
            rows = await bots.daily_stats(uow, actor=SYSTEM)
        assert [(r.channel_id, r.day) for r in rows] == [(channel_id(1), day)]
