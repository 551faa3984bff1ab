"""``botChannelEvents`` over a real websocket (gql, graphql-transport-ws): a link's status
changes, a published post and the collected stats reach the admins following them, filtered
by channel or link when asked."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest
from gql.transport.exceptions import TransportQueryError

from domain.bots import service as bots
from domain.bots.events import CHANNEL
from tests.api.graphql.bots_support import bot, channel_id, check, finished, link_of, linked, load
from tests.api.graphql.test_messenger_subscriptions import (
    request,
    session_of,
    stream,
    until_listening,
)
from tests.api.graphql.tracking_support import Caller, admin_caller, gid, user_caller
from tests.integration.bots.scene import SYSTEM
from tests.world import run_jobs

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from tests.conftest import LiveServer


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    return await admin_caller(runtime, http)


async def refusal(server: LiveServer, token: str, variables: dict[str, Any]) -> list[Any]:
    async with (
        session_of(server, token) as session,
        contextlib.aclosing(session.subscribe(request("BotChannelEvents", variables))) as results,
    ):
        with pytest.raises(TransportQueryError) as refused:
            await anext(results)
    errors = refused.value.errors or []
    return [(e.get("extensions", {}).get("code"), e["message"]) for e in errors]


class TestBotChannelEvents:
    async def test_status_changes_posts_and_stats_of_one_channel(
        self, server: LiveServer, runtime: Runtime, admin: Caller
    ) -> None:
        assert runtime.sandbox is not None
        assert admin.token is not None
        await load(runtime, admins=True)
        await bot(runtime, admin)
        wanted = str(channel_id(1))

        async with (
            session_of(server, admin.token) as session,
            stream(session, "BotChannelEvents", {"channelTelegramId": wanted}) as events,
        ):
            await until_listening(server, runtime, CHANNEL, queues=1)
            await linked(runtime, admin, "@chan_2")  # another channel: not told
            await linked(runtime, admin, "@chan_1")
            await check(runtime)  # both become ACTIVE
            link = await link_of(admin, channel_id(1))
            posted = await admin.succeeded("PostToChannel", channelLinkId=link["id"], text="hi")
            await finished(runtime, admin, posted["task"])
            day = (await runtime.sandbox.now()).date()
            async with runtime.uow() as uow:
                await bots.queue_stats(uow, actor=SYSTEM, day=day)
            await run_jobs(runtime)

            seen = [await events.next() for _ in range(3)]

        common = {"channelLinkId": link["id"], "channelTelegramId": wanted, "status": "ACTIVE"}
        assert seen == [
            {**common, "kind": "LINK_STATUS", "reason": None, "messageId": None, "date": None},
            {**common, "kind": "POST_PUBLISHED", "reason": None, "messageId": "2", "date": None},
            {
                **common,
                "kind": "STATS_COLLECTED",
                "reason": None,
                "messageId": None,
                "date": day.isoformat(),
            },
        ]

    async def test_every_channel_and_one_link(
        self, server: LiveServer, runtime: Runtime, admin: Caller
    ) -> None:
        assert admin.token is not None
        await load(runtime)
        await bot(runtime, admin)
        await linked(runtime, admin, "@chan_1")
        await linked(runtime, admin, "@chan_2")
        first, second = await link_of(admin, channel_id(1)), await link_of(admin, channel_id(2))

        async with (
            session_of(server, admin.token) as session,
            stream(session, "BotChannelEvents", {}) as every,
            stream(session, "BotChannelEvents", {"channelLinkId": second["id"]}) as one,
        ):
            await until_listening(server, runtime, CHANNEL, queues=2)
            for link in (first, second):
                await admin.succeeded("DeactivateChannelLink", channelLinkId=link["id"])

            everything = [await every.next() for _ in range(2)]
            only = await one.next()

        assert [(e["channelLinkId"], e["status"]) for e in everything] == [
            (first["id"], "INACTIVE"),
            (second["id"], "INACTIVE"),
        ]
        assert (only["channelLinkId"], only["kind"]) == (second["id"], "LINK_STATUS")

    async def test_refusals(
        self, server: LiveServer, runtime: Runtime, admin: Caller, http: httpx.AsyncClient
    ) -> None:
        assert admin.token is not None
        user = await user_caller(http)
        assert user.token is not None

        unknown = await refusal(server, admin.token, {"channelLinkId": gid("ChannelLink", 9)})
        wrong_form = await refusal(server, admin.token, {"channelLinkId": gid("Bot", 9)})
        not_admin = await refusal(server, user.token, {})

        assert unknown == [("NOT_FOUND", "No ChannelLink matches the given query.")]
        assert wrong_form == [("BAD_USER_INPUT", "Not a ChannelLink id.")]
        assert [code for code, _ in not_admin] == ["FORBIDDEN"]
