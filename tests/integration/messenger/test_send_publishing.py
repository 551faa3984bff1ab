"""A send's event goes out after the commit to every member's channel in one pipelined round
trip, each member's subscriber receives it, and a Redis connection lost during that round trip
is counted and logged as an outage without touching what PostgreSQL committed.

The sending process reaches Redis through a proxy (``PipelineProbe`` or ``CuttingProxy``); the
members listen through this test's own runtime, straight on Redis.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from domain.messenger import service
from domain.messenger.events import MessageEvent
from domain.messenger.model import Message
from tests.conftest import started_runtime
from tests.cutting_proxy import CuttingProxy
from tests.integration.messenger.factories import as_actor, group, inbox, new_users
from tests.pipeline_probe import PipelineProbe

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import pytest

    from domain.accounts.model import User
    from domain.bootstrap import Runtime
    from domain.messenger.cards import MessageCard
    from domain.messenger.model import Chat
    from domain.settings import Settings
    from tests.integration.messenger.factories import Hub, Inbox

GROUP = 12


@contextlib.asynccontextmanager
async def runtime_through(settings: Settings, port: int) -> AsyncIterator[Runtime]:
    """A runtime like the test's own whose Redis connections go through 127.0.0.1:``port``."""
    url = urlsplit(str(settings.redis_url))
    proxied = url._replace(netloc=f"127.0.0.1:{port}").geturl()
    async with started_runtime(settings.model_copy(update={"redis_url": proxied})) as runtime:
        yield runtime


def redis_address(settings: Settings) -> tuple[str, int]:
    url = urlsplit(str(settings.redis_url))
    return url.hostname or "127.0.0.1", url.port or 6379


async def send_through(runtime: Runtime, sender: User, chat: Chat, text: str) -> MessageCard:
    new = service.NewMessage(chat_id=chat.id, text=text)
    async with runtime.uow() as uow:
        return await service.send_message(uow, runtime.messenger, actor=as_actor(sender), new=new)


@contextlib.asynccontextmanager
async def inboxes(runtime: Runtime, users: list[User]) -> AsyncIterator[list[Inbox]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(inbox(runtime, user)) for user in users]


async def assert_each_received(boxes: list[Inbox], card: MessageCard) -> None:
    for box in boxes:
        event = await box.next()
        assert isinstance(event, MessageEvent)
        assert (event.kind, event.message.id, event.message.text) == ("create", card.id, card.text)


async def stored(runtime: Runtime, card: MessageCard) -> bool:
    async with runtime.uow() as uow:
        return await uow.session.get(Message, card.id) is not None


async def test_a_group_send_publishes_to_every_member_in_one_pipeline(
    hub: Hub, settings: Settings
) -> None:
    members = await new_users(hub, GROUP)
    chat = await group(hub, members[0], *members[1:])
    async with (
        PipelineProbe(*redis_address(settings)) as probe,
        runtime_through(settings, probe.port) as sender,
        inboxes(hub.runtime, members) as boxes,
    ):
        # Redis answers none of the GROUP PUBLISHes before it has been sent all of them: a
        # publisher awaiting each answer in turn would wait until its socket timed out.
        probe.expect(GROUP)
        card = await send_through(sender, members[1], chat, "to the whole group")
        await assert_each_received(boxes, card)
        assert probe.published == GROUP
        assert sender.uow.outages.publishing.failures == 0


async def test_events_of_one_channel_keep_their_order(hub: Hub, settings: Settings) -> None:
    members = await new_users(hub, 3)
    chat = await group(hub, members[0], *members[1:])
    async with (
        PipelineProbe(*redis_address(settings)) as probe,
        runtime_through(settings, probe.port) as sender,
        inboxes(hub.runtime, members) as boxes,
    ):
        cards = [await send_through(sender, members[n % 3], chat, f"#{n}") for n in range(5)]
        for box in boxes:
            received = [await box.next() for _ in cards]
            assert [e.message.id for e in received if isinstance(e, MessageEvent)] == [
                card.id for card in cards
            ]


async def test_a_connection_lost_during_the_pipeline_is_an_outage_and_loses_no_row(
    hub: Hub, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    members = await new_users(hub, GROUP)
    chat = await group(hub, members[0], *members[1:])
    caplog.set_level(logging.INFO, logger="domain.uow")
    async with (
        CuttingProxy(*redis_address(settings), trigger=b"PUBLISH") as proxy,
        runtime_through(settings, proxy.port) as sender,
        inboxes(hub.runtime, members) as boxes,
    ):
        lost = await send_through(sender, members[1], chat, "lost on the way")
        assert proxy.cut == 1
        assert sender.uow.outages.publishing.failures == 1  # one event, however many channels
        assert await stored(hub.runtime, lost)  # committed before the publish failed
        # The cut PUBLISHes never reached Redis. The next send takes a new connection (the
        # proxy cuts once), which ends the outage, and every member gets its event.
        kept = await send_through(sender, members[2], chat, "after the outage")
        await assert_each_received(boxes, kept)
        assert await stored(hub.runtime, kept)
    records = [r for r in caplog.records if r.name == "domain.uow"]
    [started, ended] = records
    assert "publishing events failed" in started.getMessage()
    assert started.exc_info is None  # an outage is not a bug: no traceback
    assert "publishing events works again" in ended.getMessage()
    assert "1 events lost" in ended.getMessage()
