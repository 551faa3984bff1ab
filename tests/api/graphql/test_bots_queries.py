"""The bots' connections and lookups: filters (bots by isActive; links by status, bot and
channel; posts and daily stats by channel and dates), pages, ``node``; admins only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from domain.bots import service as bots
from tests.api.graphql.bots_support import (
    active_link,
    bot,
    channel_id,
    finished,
    link_of,
    linked,
    load,
    no_token_in,
)
from tests.api.graphql.tracking_support import Caller, admin_caller, gid, user_caller
from tests.integration.bots.scene import SYSTEM
from tests.world import run_jobs

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    return await admin_caller(runtime, http)


class TestBotsAndLinks:
    async def test_filters_pages_and_lookups(self, runtime: Runtime, admin: Caller) -> None:
        await load(runtime, bots_count=3)
        first, second, third = [await bot(runtime, admin, n) for n in (1, 2, 3)]
        await admin.succeeded("UpdateBot", botId=second["id"], isActive=False)
        await linked(runtime, admin, "@chan_1", botId=first["id"])
        await linked(runtime, admin, "@chan_2", botId=third["id"])
        await linked(runtime, admin, "@nowhere")  # invalid, on the least-loaded bot

        active = await admin.nodes("Bots", filter={"isActive": True})
        page = await admin.query("Bots", first=2)
        rest = await admin.query("Bots", first=2, after=page["pageInfo"]["endCursor"])
        of_third = await admin.nodes("ChannelLinks", filter={"botId": third["id"]})
        invalid = await admin.nodes("ChannelLinks", filter={"status": "INVALID"})
        new_of_first = await admin.nodes(
            "ChannelLinks", filter={"status": "NEW", "botId": first["id"]}
        )

        assert [b["id"] for b in active] == [first["id"], third["id"]]
        assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (3, True)
        assert [b["id"] for b in page["nodes"] + rest["nodes"]] == [
            first["id"],
            second["id"],
            third["id"],
        ]
        assert rest["pageInfo"]["hasNextPage"] is False
        assert [link["channelTelegramId"] for link in of_third] == [str(channel_id(2))]
        assert [link["channelRef"] for link in invalid] == ["@nowhere"]
        assert [link["channelTelegramId"] for link in new_of_first] == [str(channel_id(1))]

        assert await admin.query("BotNode", id=first["id"]) == {"__typename": "Bot", **first}
        link = of_third[0]
        assert await admin.query("ChannelLinkNode", id=link["id"]) == {
            "__typename": "ChannelLink",
            **link,
        }
        assert await admin.query("BotNode", id=gid("Bot", 999999)) is None
        assert await admin.query("BotNode", id=gid("Bot", "x")) is None
        no_token_in(admin)

    async def test_bad_filters_and_cursors_are_refused(self, admin: Caller) -> None:
        codes, messages = await admin.refused(
            "ChannelLinks", first=5, filter={"botId": gid("ChannelLink", 1)}
        )
        bad_cursor = await admin.refused("Bots", first=5, after="bm9wZQ")

        assert (codes, messages) == (["BAD_USER_INPUT"], ["Not a Bot id."])
        assert bad_cursor[0] == ["BAD_USER_INPUT"]


class TestPostsAndStats:
    async def test_by_channel_and_dates(self, runtime: Runtime, admin: Caller) -> None:
        assert runtime.sandbox is not None
        link = await active_link(runtime, admin)
        channel = link["channelTelegramId"]
        posted = await admin.succeeded("PostToChannel", channelLinkId=link["id"], text="ours")
        await finished(runtime, admin, posted["task"])
        day = (await runtime.sandbox.now()).date()
        await runtime.sandbox.advance_clock(24 * 3600)
        async with runtime.uow() as uow:
            await bots.queue_stats(uow, actor=SYSTEM, day=day)
        await run_jobs(runtime)

        posts = await admin.nodes("ChannelPosts", filter={"channelTelegramId": channel})
        [ours] = [p for p in posts if p["text"] == "ours"]
        at = ours["date"]
        after = await admin.nodes(
            "ChannelPosts", filter={"channelTelegramId": channel, "postedAfter": at}
        )
        before = await admin.nodes("ChannelPosts", filter={"postedBefore": at})
        other = await admin.nodes("ChannelPosts", filter={"channelTelegramId": "-1"})
        stats = await admin.nodes("ChannelDailyStats", filter={"channelTelegramId": channel})
        that_day = await admin.nodes(
            "ChannelDailyStats", filter={"from": day.isoformat(), "to": day.isoformat()}
        )
        later = await admin.nodes("ChannelDailyStats", filter={"from": "2999-01-01"})

        assert ours in after
        assert ours not in before
        assert other == []
        [row] = stats
        assert (row["date"], row["channelLinkId"], row["posts"]) == (
            day.isoformat(),
            link["id"],
            sum(1 for p in posts if p["date"][:10] == day.isoformat()),
        )
        assert that_day == stats
        assert later == []
        assert await admin.query("ChannelDailyStatsNode", id=row["id"]) == {
            "__typename": "ChannelDailyStats",
            **row,
        }
        assert (await link_of(admin, channel_id(1)))["id"] == link["id"]

    async def test_a_window_the_wrong_way_round_is_refused(self, admin: Caller) -> None:
        codes, messages = await admin.refused(
            "ChannelDailyStats", first=5, filter={"from": "2025-02-01", "to": "2025-01-01"}
        )
        posts = await admin.refused(
            "ChannelPosts",
            first=5,
            filter={"postedAfter": "2025-02-01T00:00:00", "postedBefore": "2025-01-01T00:00:00"},
        )

        assert (codes, messages) == (["BAD_USER_INPUT"], ["The window ends before it starts."])
        assert posts == (["BAD_USER_INPUT"], ["The window ends before it starts."])

    @pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
    async def test_a_time_utc_cannot_hold_is_refused(self, admin: Caller, moment: str) -> None:
        codes, _ = await admin.refused("ChannelPosts", first=5, filter={"postedAfter": moment})

        assert codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("name", ["Bots", "ChannelLinks", "ChannelPosts", "ChannelDailyStats"])
async def test_lists_are_for_admins(http: httpx.AsyncClient, name: str) -> None:
    user = await user_caller(http)

    assert (await user.refused(name, first=5))[0] == ["FORBIDDEN"]
    assert (await Caller(http, None).refused(name, first=5))[0] == ["UNAUTHENTICATED"]


async def test_lookups_are_null_for_non_admins(
    runtime: Runtime, http: httpx.AsyncClient, admin: Caller
) -> None:
    await load(runtime)
    found = await bot(runtime, admin)
    user = await user_caller(http)

    assert await user.query("BotNode", id=found["id"]) is None
