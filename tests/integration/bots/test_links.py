"""Channel links: each reference form resolved by the chosen bot, unresolvable ones stored
invalid, bots chosen evenly under concurrency, and the hourly rights check."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from domain.adapters.telegram.simulated import SimulatedGateway
from domain.bots import service as bots
from domain.bots.events import CHANNEL, BotChannelEvent
from domain.bots.model import ChannelLink
from domain.bots.rules import LINK_ADDED, NO_RIGHTS, LinkStatus
from domain.events import decode
from domain.jobs.model import JobStatus
from domain.telegram.errors import InviteNotVisible
from tests.conftest import DEADLINE
from tests.integration.bots.scene import (
    SYSTEM,
    bots_world,
    channel_id,
    check,
    link,
    link_status,
    load,
    registered,
    result,
)
from tests.world import ACCOUNT_PHONE, signed_in_account

if TYPE_CHECKING:
    from domain.bootstrap import Runtime


class TestLinking:
    @pytest.mark.parametrize(
        "reference",
        [
            "https://t.me/chan_1",
            "t.me/chan_1",
            "@chan_1",
            str(channel_id(1)),
            "https://t.me/c/1000000001/1",
        ],
    )
    async def test_each_reference_form_links_the_channel(
        self, runtime: Runtime, reference: str
    ) -> None:
        await load(runtime)
        await registered(runtime, 1)

        done = await link(runtime, reference)

        assert result(done) == {
            "channel_id": channel_id(1),
            "bot_link": "@bot_1",
            "message": LINK_ADDED,
            "task_id": done.id,
        }
        stored = await link_status(runtime, channel_id(1))
        assert (stored.status, stored.title, stored.channel_ref) == (
            LinkStatus.NEW,
            "Channel 1",
            reference,
        )

    async def test_an_unresolvable_channel_is_stored_invalid(self, runtime: Runtime) -> None:
        await load(runtime)
        await registered(runtime, 1)

        done = await link(runtime, "https://t.me/no_such_channel")

        assert done.status is JobStatus.FAILED
        assert done.error == "Задан некорректный идентификатор канала"
        async with runtime.uow() as uow:
            stored = (await uow.session.scalars(select(ChannelLink))).one()
        assert stored.status is LinkStatus.INVALID
        assert stored.reason == "Telegram has no channel https://t.me/no_such_channel."

    @pytest.mark.parametrize(
        "reference", ["https://t.me/+Invite0001", "https://t.me/joinchat/Invite0001"]
    )
    async def test_a_private_invite_link_no_account_can_open_is_stored_invalid(
        self, runtime: Runtime, reference: str
    ) -> None:
        await load(runtime)
        await registered(runtime, 1)

        done = await link(runtime, reference)

        assert (done.status, done.error) == (
            JobStatus.FAILED,
            bots.ChannelUnresolvable.default_message,
        )
        async with runtime.uow() as uow:
            stored = (await uow.session.scalars(select(ChannelLink))).one()
        assert stored.status is LinkStatus.INVALID
        assert stored.reason == InviteNotVisible().message

    async def test_a_private_invite_link_is_opened_by_an_account_in_the_channel(
        self, runtime: Runtime
    ) -> None:
        # Bots cannot open invite links; a signed-in account that is a member can.
        world = bots_world()
        world["accounts"] = [{"id": 9001, "phone": ACCOUNT_PHONE, "code": "12345"}]
        world["channels"][0]["admins"].append({"id": 9001, "invite_users": True})
        assert runtime.sandbox is not None
        await runtime.sandbox.load_world(world, merge=False)
        await signed_in_account(runtime)
        await registered(runtime, 1)

        done = await link(runtime, "https://t.me/+Invite0001")

        assert done.status is JobStatus.SUCCEEDED, done.error
        stored = await link_status(runtime, channel_id(1))
        assert (stored.status, stored.title) == (LinkStatus.NEW, "Channel 1")

    async def test_a_channel_linked_already_is_a_conflict(self, runtime: Runtime) -> None:
        await load(runtime)
        await registered(runtime, 1, 2)
        await link(runtime, "@chan_1")

        again = await link(runtime, str(channel_id(1)))

        assert again.status is JobStatus.FAILED
        assert again.error == bots.ChannelAlreadyLinked.default_message
        assert (await link_status(runtime, channel_id(1))).job_id != again.id

    async def test_a_deactivated_link_frees_the_channel(self, runtime: Runtime) -> None:
        await load(runtime)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")
        first = await link_status(runtime, channel_id(1))

        async with runtime.uow() as uow:
            gone = await bots.deactivate_link(uow, actor=SYSTEM, link_id=first.id)
        again = await link(runtime, "@chan_1")

        assert gone.status is LinkStatus.INACTIVE
        assert again.status is JobStatus.SUCCEEDED, again.error
        assert (await link_status(runtime, channel_id(1))).job_id == again.id

    async def test_the_bot_given_is_used(self, runtime: Runtime) -> None:
        await load(runtime)
        _, second = await registered(runtime, 1, 2)

        done = await link(runtime, "@chan_1", bot_id=second)

        assert result(done)["bot_link"] == "@bot_2"

    async def test_an_inactive_bot_is_not_given(self, runtime: Runtime) -> None:
        await load(runtime)
        (bot_id,) = await registered(runtime, 1)
        async with runtime.uow() as uow:
            await bots.update_bot(
                uow, runtime.secrets, actor=SYSTEM, bot_id=bot_id, is_active=False
            )

        async with runtime.uow() as uow:
            with pytest.raises(bots.BotInactive):
                await bots.request_link(uow, actor=SYSTEM, channel="@chan_1", bot_id=bot_id)
        done = await link(runtime, "@chan_1")
        assert done.error == bots.NoActiveBot.default_message


class TestArbitrage:
    async def test_fifty_concurrent_links_spread_evenly_over_five_bots(
        self, runtime: Runtime
    ) -> None:
        await load(runtime, bots_count=5, channels=50)
        bot_ids = await registered(runtime, 1, 2, 3, 4, 5)
        assert runtime.world is not None
        gateway = SimulatedGateway(runtime.world)

        async def one(n: int) -> dict[str, object]:
            async with runtime.uow() as uow:
                return await bots.link_channel(
                    uow,
                    gateway,
                    runtime.secrets,
                    actor=SYSTEM,
                    job_id=f"link-{n}",
                    channel=f"@chan_{n}",
                    bot_id=None,
                )

        answers = await asyncio.gather(*(one(n) for n in range(1, 51)))

        assert Counter(a["bot_link"] for a in answers) == {f"@bot_{n}": 10 for n in range(1, 6)}
        async with runtime.uow() as uow:
            links = await bots.list_links(uow, actor=SYSTEM)
        assert {link.status for link in links} == {LinkStatus.NEW}
        assert len({link.channel_id for link in links}) == 50
        # Each reservation saw every one before it (the lock), so they went round the bots.
        assert [link.bot_id for link in links] == bot_ids * 10

    async def test_a_rerun_continues_its_own_link(self, runtime: Runtime) -> None:
        await load(runtime)
        await registered(runtime, 1, 2)
        assert runtime.world is not None
        gateway = SimulatedGateway(runtime.world)

        answers = []
        for _ in range(2):
            async with runtime.uow() as uow:
                answers.append(
                    await bots.link_channel(
                        uow,
                        gateway,
                        runtime.secrets,
                        actor=SYSTEM,
                        job_id="same",
                        channel="@chan_1",
                        bot_id=None,
                    )
                )

        assert answers[0] == answers[1]
        async with runtime.uow() as uow:
            assert len(await bots.list_links(uow, actor=SYSTEM)) == 1


class TestHourlyCheck:
    async def test_a_new_link_becomes_active_once_the_bot_may_post(self, runtime: Runtime) -> None:
        await load(runtime)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")
        assert runtime.sandbox is not None

        await check(runtime)
        waiting = await link_status(runtime, channel_id(1))
        await runtime.sandbox.set_bot_rights("bot_1", "chan_1", post_messages=True)
        done = await check(runtime)
        active = await link_status(runtime, channel_id(1))

        assert (waiting.status, waiting.reason) == (LinkStatus.NEW, NO_RIGHTS)
        assert waiting.last_checked_at is not None
        assert (active.status, active.reason) == (LinkStatus.ACTIVE, None)
        assert result(done) == {"checked": 1, "activated": 1, "invalidated": 0, "skipped": 0}

    async def test_a_revoked_right_makes_an_active_link_invalid(self, runtime: Runtime) -> None:
        await load(runtime, admins=True)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")
        await check(runtime)
        assert (await link_status(runtime, channel_id(1))).status is LinkStatus.ACTIVE
        assert runtime.sandbox is not None

        await runtime.sandbox.set_bot_rights("bot_1", "chan_1", post_messages=False)
        done = await check(runtime)

        stored = await link_status(runtime, channel_id(1))
        assert (stored.status, stored.reason) == (LinkStatus.INVALID, NO_RIGHTS)
        assert result(done)["invalidated"] == 1

    async def test_many_links_of_one_bot_are_checked(self, runtime: Runtime) -> None:
        await load(runtime, bots_count=1, channels=12, admins=True)
        await registered(runtime, 1)
        for n in range(1, 13):
            await link(runtime, f"@chan_{n}")

        done = await check(runtime)

        assert result(done)["activated"] == 12


class TestEvents:
    async def test_status_changes_and_posts_are_published_after_commit(
        self, runtime: Runtime
    ) -> None:
        await load(runtime, admins=True)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")
        stored = await link_status(runtime, channel_id(1))

        async with runtime.bus.subscribe(CHANNEL) as messages:
            await check(runtime)
            event = decode(await asyncio.wait_for(anext(messages), DEADLINE))

        assert event == BotChannelEvent(
            what="link_status", link_id=stored.id, channel_id=channel_id(1), status="active"
        )
