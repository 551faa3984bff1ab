"""What the simulated Telegram does for bots: channels by every reference, rights, posts with
Markdown entities, flood waits on posting, and messages fetched by id.

The first classes step the world itself (pure, at chosen instants); the last ones run the
simulated gateway and sandbox on a world in real Redis, as the worker and the API do.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from redis.asyncio import Redis

from domain.adapters.simulated.document import WorldState
from domain.adapters.simulated.sandbox import SimulatedSandbox
from domain.adapters.simulated.store import WorldStore
from domain.adapters.simulated.validation import WorldInvalid
from domain.adapters.simulated.world import World, load_document
from domain.adapters.telegram import simulated
from domain.adapters.telegram.markdown import parse_post
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.errors import Invalid, RateLimited
from domain.telegram.errors import (
    BotCannotOpenInvite,
    ChatAdminRequired,
    InvalidBotToken,
    InviteNotVisible,
    TelegramNotFound,
)
from domain.telegram.model import AccountCredentials, AdminRights, BotCredentials, ChannelInfo
from domain.types import TelegramID
from tests.world import BOT_TOKEN, WORLD

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

T0 = 1_800_000_000.0
BOT = BotCredentials(BOT_TOKEN)
CHANNEL = TelegramID(-1001234567890)
TEST_CHANNEL = ChannelInfo(CHANNEL, "Test", "test_channel")


def state(**bot: Any) -> WorldState:
    document = copy.deepcopy(WORLD)
    document["bots"][0].update(bot)
    return load_document(WorldState(), document, merge=False, now=T0)


def at(doc: WorldState, seconds: float = 0.0) -> World:
    return World(doc, T0 + seconds)


def post(doc: WorldState, text: str, seconds: float = 0.0) -> int:
    plain, entities = parse_post(text)
    stored = simulated.stored_entities(entities)
    return simulated.post_markdown(at(doc, seconds), BOT, CHANNEL, plain, stored).message_id


class TestOpenInvite:
    ACCOUNT = AccountCredentials("+79990000100", 12345, "0" * 32, session="s1")

    def signed_in(self) -> WorldState:
        doc = state()
        doc.accounts[0].sessions.append("s1")
        return doc

    def test_an_account_in_the_channel_learns_it(self) -> None:
        # The world's account 9001 is an admin (invite right) of the test channel.
        found = simulated.open_invite(at(self.signed_in()), self.ACCOUNT, "t.me/+AbCdEf")
        assert found == TEST_CHANNEL

    def test_an_account_not_in_it_does_not(self) -> None:
        doc = self.signed_in()
        doc.channels[0].admins = [a for a in doc.channels[0].admins if a.id != 9001]
        with pytest.raises(InviteNotVisible):
            simulated.open_invite(at(doc), self.ACCOUNT, "https://t.me/joinchat/AbCdEf")


class TestResolveChannel:
    @pytest.mark.parametrize(
        "ref",
        [
            "@test_channel",
            "test_channel",
            "TEST_CHANNEL",
            "t.me/test_channel",
            "https://t.me/test_channel",
            "https://telegram.me/test_channel/",
            "-1001234567890",
            "1234567890",
            "https://t.me/c/1234567890/1",
        ],
    )
    def test_every_public_form_finds_the_channel(self, ref: str) -> None:
        assert simulated.resolve_channel(at(state()), BOT, ref) == TEST_CHANNEL

    @pytest.mark.parametrize(
        "ref", ["https://t.me/+AbCdEf", "t.me/joinchat/AbCdEf", "https://t.me/+Unknown1"]
    )
    def test_a_bot_cannot_open_invite_links(self, ref: str) -> None:
        # As on Telegram (messages.checkChatInvite is for user accounts), known link or not.
        with pytest.raises(BotCannotOpenInvite) as raised:
            simulated.resolve_channel(at(state()), BOT, ref)
        assert isinstance(raised.value, TelegramNotFound)
        assert "-100" in raised.value.message

    def test_accounts_do_open_invite_links(self) -> None:
        assert at(state()).channel("https://t.me/+AbCdEf").id == CHANNEL

    @pytest.mark.parametrize("ref", ["@no_such_channel", "-1009999999999", "t.me/c/42/1"])
    def test_an_unknown_channel_is_not_found_by_name(self, ref: str) -> None:
        with pytest.raises(TelegramNotFound) as raised:
            simulated.resolve_channel(at(state()), BOT, ref)
        assert raised.value.message == f"Telegram has no channel {ref}."

    def test_a_malformed_reference_is_invalid(self) -> None:
        with pytest.raises(Invalid):
            simulated.resolve_channel(at(state()), BOT, "not a channel!")

    def test_an_unknown_token_is_refused(self) -> None:
        with pytest.raises(InvalidBotToken):
            simulated.resolve_channel(at(state()), BotCredentials("5001:wrong"), "@test_channel")


class TestBotRights:
    def test_the_admin_entry_gives_the_rights(self) -> None:
        doc = state()
        doc.channels[0].admins[0].edit_messages = True
        assert simulated.bot_rights(at(doc), BOT, CHANNEL) == AdminRights(
            is_admin=True, post_messages=True, edit_messages=True
        )

    def test_no_entry_no_rights(self) -> None:
        doc = state()
        doc.channels[0].admins = doc.channels[0].admins[1:]
        assert simulated.bot_rights(at(doc), BOT, CHANNEL) == AdminRights.none()


class TestPostMarkdown:
    def test_the_post_keeps_plain_text_and_entities(self) -> None:
        doc = state()
        world = at(doc)
        plain, entities = parse_post("**Big** news: [read](https://example.com) `now` 🎉 __ok__")
        stored_entities = simulated.stored_entities(entities)
        message_id = simulated.post_markdown(world, BOT, CHANNEL, plain, stored_entities).message_id
        stored = doc.channels[0].posts[-1]
        assert (stored.id, stored.text) == (message_id, "Big news: read now 🎉 ok")
        assert [e.model_dump() for e in stored.entities] == [
            {"type": "bold", "offset": 0, "length": 3},
            {"type": "text_url", "offset": 10, "length": 4, "url": "https://example.com"},
            {"type": "code", "offset": 15, "length": 3},
            # The emoji counts two UTF-16 code units, as Telegram counts offsets.
            {"type": "italic", "offset": 22, "length": 2},
        ]
        assert world.recorded[-1].model_dump(include={"type", "message_id", "text", "by"}) == {
            "type": "post",
            "message_id": message_id,
            "text": "Big news: read now 🎉 ok",
            "by": "@test_bot",
        }

    def test_the_answer_is_dated_on_the_world_clock(self) -> None:
        doc = state(flood={"post_markdown": {"per_minute": 5}})
        doc.clock_offset = 86400.0
        world = at(doc)
        posted = simulated.post_markdown(world, BOT, CHANNEL, "hi", [])
        assert posted.date == world.now_dt == datetime.fromtimestamp(T0 + 86400, UTC)
        assert (posted.channel_id, posted.message_id, posted.text, posted.views) == (
            CHANNEL,
            2,
            "hi",
            0,
        )

    def test_without_the_right_nothing_is_posted(self) -> None:
        doc = state()
        doc.channels[0].admins[0].post_messages = False
        with pytest.raises(ChatAdminRequired):
            post(doc, "hi")
        assert [p.id for p in doc.channels[0].posts] == [1]

    def test_a_per_minute_limit_makes_a_flood_wait(self) -> None:
        doc = state(flood={"post_markdown": {"per_minute": 2}})
        post(doc, "one")
        post(doc, "two", 10)
        with pytest.raises(RateLimited) as raised:
            post(doc, "three", 20)
        assert raised.value.retry_after == pytest.approx(40)
        post(doc, "three", 61)  # the window moved on
        assert [p.text for p in doc.channels[0].posts] == ["hi", "one", "two", "three"]

    def test_a_set_flood_wait(self) -> None:
        doc = state(flood_until=T0 + 30)
        with pytest.raises(RateLimited) as raised:
            post(doc, "hi", 10)
        assert raised.value.retry_after == pytest.approx(20)
        post(doc, "hi", 30)


class TestParsePost:
    def test_telethons_markdown(self) -> None:
        plain, entities = parse_post("**a** ~~b~~ ```c```")
        assert plain == "a b c"
        assert [type(e).__name__ for e in entities] == [
            "MessageEntityBold",
            "MessageEntityStrike",
            "MessageEntityPre",
        ]

    def test_at_most_4096_utf16_units_once_parsed(self) -> None:
        assert parse_post("**" + "x" * 4096 + "**")[0] == "x" * 4096  # the stars are gone
        with pytest.raises(Invalid) as raised:
            parse_post("🎉" * 2049)  # 2049 characters, 4098 units
        assert raised.value.field_errors == {
            "text": ["A post is at most 4096 characters once its Markdown is applied; "
                     "this one has 4098."]
        }  # fmt: skip

    @pytest.mark.parametrize("text", ["", "   ", "** **"])
    def test_nothing_to_post(self, text: str) -> None:
        with pytest.raises(Invalid):
            parse_post(text)


class TestChannelMessages:
    def test_existing_ids_in_id_order_with_views(self) -> None:
        doc = state()
        post(doc, "**second**", 60)
        found = simulated.channel_messages(at(doc, 3600), BOT, CHANNEL, [3, 2, 99, 1, 2])
        assert [(m.message_id, m.text) for m in found] == [(1, "hi"), (2, "second")]
        assert found[0].views == at(doc, 3600).views(doc.channels[0], doc.channels[0].posts[0])
        assert found[0].views > 10
        assert found[1].date == datetime.fromtimestamp(T0 + 60, UTC)

    def test_views_grow_as_the_clock_moves(self) -> None:
        doc = state()
        (before,) = simulated.channel_messages(at(doc), BOT, CHANNEL, [1])
        at(doc).advance(7200)
        (after,) = simulated.channel_messages(at(doc), BOT, CHANNEL, [1])
        assert (before.views, before.date) == (10, after.date)
        assert after.views > before.views

    def test_an_unknown_channel_is_not_found(self) -> None:
        with pytest.raises(TelegramNotFound):
            simulated.channel_messages(at(state()), BOT, TelegramID(-1009999999999), [1])


class TestDocument:
    def test_posts_and_bots_load_with_entities_and_flood(self) -> None:
        document = copy.deepcopy(WORLD)
        document["bots"][0]["flood"] = {"post_markdown": {"per_minute": 3}}
        document["channels"][0]["posts"] = [
            {"id": 1, "text": "hi you", "entities": [{"type": "bold", "offset": 3, "length": 3}]}
        ]
        doc = load_document(WorldState(), document, merge=False, now=T0)
        assert doc.bots[0].flood["post_markdown"].per_minute == 3
        assert doc.channels[0].posts[0].entities[0].type == "bold"

    def test_a_span_past_the_text_is_refused(self) -> None:
        document = copy.deepcopy(WORLD)
        document["channels"][0]["posts"] = [
            {"id": 1, "text": "hi", "entities": [{"type": "bold", "offset": 1, "length": 5}]}
        ]
        with pytest.raises(WorldInvalid) as raised:
            load_document(WorldState(), document, merge=False, now=T0)
        assert "channels[0].posts[0].entities[0]" in str(raised.value)


# -- the gateway and sandbox on a world in Redis ------------------------------------------------


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[WorldStore]:
    redis = Redis.from_url(redis_url)
    key = f"test-bots-{uuid.uuid4().hex[:12]}:simulated-world"
    store = WorldStore(redis, key)
    await SimulatedSandbox(store).load_world(copy.deepcopy(WORLD), merge=False)
    yield store
    await redis.delete(*store.keys)
    await redis.aclose()


class TestGateway:
    async def test_markdown_is_posted_as_text_and_entities(self, store: WorldStore) -> None:
        gateway, sandbox = SimulatedGateway(store), SimulatedSandbox(store)
        posted = await gateway.post_markdown(BOT, CHANNEL, "**Hello** there")
        assert (posted.message_id, posted.text) == (2, "Hello there")
        assert posted.date <= await sandbox.now()
        world = await sandbox.world()
        assert world["channels"][0]["posts"][-1]["entities"] == [
            {"type": "bold", "offset": 0, "length": 5}
        ]

    async def test_too_long_is_refused_before_anything_is_sent(self, store: WorldStore) -> None:
        gateway, sandbox = SimulatedGateway(store), SimulatedSandbox(store)
        before = await sandbox.world()
        with pytest.raises(Invalid) as raised:
            await gateway.post_markdown(BotCredentials("1:unknown"), CHANNEL, "x" * 4097)
        assert raised.value.message.endswith("this one has 4097.")
        after = await sandbox.world()
        assert {**after, "now": None} == {**before, "now": None}

    async def test_the_sandbox_takes_the_right_to_post(self, store: WorldStore) -> None:
        gateway, sandbox = SimulatedGateway(store), SimulatedSandbox(store)
        await sandbox.set_bot_rights("test_bot", "@test_channel", post_messages=False)
        assert await gateway.bot_rights(BOT, CHANNEL) == AdminRights.none()
        with pytest.raises(ChatAdminRequired):
            await gateway.post_markdown(BOT, CHANNEL, "hi")
        await sandbox.set_bot_rights("@test_bot", "t.me/test_channel", post_messages=True)
        assert (await gateway.bot_rights(BOT, CHANNEL)).post_messages
        await gateway.post_markdown(BOT, CHANNEL, "hi")

    async def test_a_flood_limit_loaded_into_the_world(self, store: WorldStore) -> None:
        gateway, sandbox = SimulatedGateway(store), SimulatedSandbox(store)
        bots = [{"id": 5001, "flood": {"post_markdown": {"per_minute": 1}}}]
        await sandbox.load_world({"bots": bots}, merge=True)
        await gateway.post_markdown(BOT, CHANNEL, "one")
        with pytest.raises(RateLimited) as raised:
            await gateway.post_markdown(BOT, CHANNEL, "two")
        assert 0 < raised.value.retry_after <= 60
        await sandbox.advance_clock(60)
        await gateway.post_markdown(BOT, CHANNEL, "two")

    async def test_posts_made_outside_tghub_are_found_by_id(self, store: WorldStore) -> None:
        gateway, sandbox = SimulatedGateway(store), SimulatedSandbox(store)
        outside = await sandbox.add_post("@test_channel", "from the app", 5)
        mine = await gateway.post_markdown(BOT, CHANNEL, "__mine__")
        found = await gateway.channel_messages(BOT, CHANNEL, range(1, 101))
        assert [(m.message_id, m.text) for m in found] == [
            (1, "hi"),
            (outside, "from the app"),
            (mine.message_id, "mine"),
        ]
        await sandbox.advance_clock(3 * 3600)
        later = await gateway.channel_messages(BOT, CHANNEL, [outside])
        assert later[0].views > found[1].views >= 5
        assert later[0].date == found[1].date
        assert await gateway.message_views(BOT, CHANNEL, [outside]) == {outside: later[0].views}
