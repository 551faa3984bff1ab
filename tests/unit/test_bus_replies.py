"""How the Redis bus matches SUBSCRIBE replies to the subscribers waiting for them."""

from __future__ import annotations

import asyncio

from domain.adapters.bus import SubscribeReplies
from tests.conftest import DEADLINE


async def answer(replies: SubscribeReplies, channel: str) -> bool:
    return await asyncio.wait_for(replies.confirmed(channel), DEADLINE)


class TestSubscribeReplies:
    async def test_a_reply_confirms_its_channel_only(self) -> None:
        replies = SubscribeReplies()
        replies.expect("chat:1")
        replies.expect("chat:2")
        replies.confirm("chat:2")
        assert await answer(replies, "chat:2")
        waiting = asyncio.ensure_future(replies.confirmed("chat:1"))
        await asyncio.sleep(0)  # one turn of the loop: nothing has answered chat:1
        assert not waiting.done()
        replies.confirm("chat:1")
        assert await asyncio.wait_for(waiting, DEADLINE)

    async def test_the_reply_to_an_earlier_subscribe_does_not_confirm_a_later_one(self) -> None:
        # Left and entered again: the first SUBSCRIBE's reply is still in flight.
        replies = SubscribeReplies()
        replies.expect("chat:1")
        replies.forget("chat:1")
        replies.expect("chat:1")
        replies.confirm("chat:1")
        waiting = asyncio.ensure_future(replies.confirmed("chat:1"))
        await asyncio.sleep(0)
        assert not waiting.done()
        replies.confirm("chat:1")
        assert await asyncio.wait_for(waiting, DEADLINE)

    async def test_a_closed_connection_answers_every_waiter_no(self) -> None:
        replies = SubscribeReplies()
        replies.expect("chat:1")
        waiting = asyncio.ensure_future(replies.confirmed("chat:1"))
        await asyncio.sleep(0)
        replies.close()
        assert not await asyncio.wait_for(waiting, DEADLINE)
        replies.expect("chat:2")  # sent on a connection known to be broken
        assert not await answer(replies, "chat:2")

    async def test_a_confirmed_channel_is_no_longer_confirmed_once_the_connection_closed(
        self,
    ) -> None:
        replies = SubscribeReplies()
        replies.expect("chat:1")
        replies.confirm("chat:1")
        replies.close()
        assert not await answer(replies, "chat:1")

    async def test_a_cancelled_waiter_leaves_the_answer_to_the_others(self) -> None:
        replies = SubscribeReplies()
        replies.expect("chat:1")
        cancelled = asyncio.ensure_future(replies.confirmed("chat:1"))
        other = asyncio.ensure_future(replies.confirmed("chat:1"))
        await asyncio.sleep(0)
        cancelled.cancel()
        replies.confirm("chat:1")
        assert await asyncio.wait_for(other, DEADLINE)

    async def test_an_unexpected_reply_is_ignored(self) -> None:
        replies = SubscribeReplies()
        replies.confirm("chat:1")
        assert not await answer(replies, "chat:1")
