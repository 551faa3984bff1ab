"""One contract for the TelegramGateway, run against every adapter.

The simulated adapter always runs it (on a test world in real Redis); the Telethon adapter
runs it under ``-m telegram_live`` when ``TGHUB_LIVE_*`` credentials name a real bot, channel
and signed-in account (never in CI: tests must not reach Telegram without them). Two more are
optional, each for the tests that need it: ``TGHUB_LIVE_CONTACT_PHONE``, the phone of a user
the account does not keep as a contact (the tests import it and delete it again), and
``TGHUB_LIVE_REVOKED_SESSION``, a session of the account ended in Telegram's settings
("Terminate session").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import pytest

from domain.adapters.telegram.simulated import SimulatedGateway
from domain.errors import Invalid, NotFound
from domain.telegram.errors import (
    AccountNotSignedIn,
    AccountSessionRevoked,
    BotCannotOpenInvite,
    InvalidBotToken,
)
from domain.telegram.model import AccountCredentials, BotCredentials
from domain.telegram.rules import random_id
from domain.types import TelegramID
from tests.world import ACCOUNT_PHONE, API_HASH, BOT_TOKEN, load_world

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from domain.bootstrap import Runtime
    from domain.ports import TelegramGateway

T = TypeVar("T")
LIVE_VARIABLES = (
    "TGHUB_LIVE_API_ID",
    "TGHUB_LIVE_API_HASH",
    "TGHUB_LIVE_BOT_TOKEN",
    "TGHUB_LIVE_CHANNEL",
    "TGHUB_LIVE_PHONE",
    "TGHUB_LIVE_SESSION",
    "TGHUB_LIVE_USER",
)
OPTIONAL_VARIABLES = ("TGHUB_LIVE_CONTACT_PHONE", "TGHUB_LIVE_REVOKED_SESSION")


@dataclass(frozen=True)
class Fixture:
    """What the contract needs to exist on the Telegram under test."""

    gateway: TelegramGateway
    bot: BotCredentials
    bot_username: str
    channel_username: str
    account: AccountCredentials
    user: str  # someone whose status the account may see, and who accepts messages
    simulated: bool
    contact_phone: str | None  # someone's phone the account may import and delete again
    revoked: AccountCredentials | None  # the account with a session Telegram ended

    def needs(self, value: T | None, variable: str) -> T:
        """``value``, or the test skipped: the live run was given no ``variable``."""
        if value is None:
            pytest.skip(f"live Telegram: {variable} not set")
        return value


async def simulated_fixture(runtime: Runtime) -> Fixture:
    await load_world(runtime)
    assert runtime.world is not None
    gateway = SimulatedGateway(runtime.world, poll_interval=0.05)
    fresh = AccountCredentials(phone=ACCOUNT_PHONE, api_id=12345, api_hash=API_HASH)
    code = await gateway.send_login_code(fresh)
    pending = AccountCredentials(ACCOUNT_PHONE, 12345, API_HASH, session=code.session)
    signed = await gateway.sign_in(pending, code="12345", phone_code_hash=code.phone_code_hash)
    return Fixture(
        gateway=gateway,
        bot=BotCredentials(BOT_TOKEN),
        bot_username="test_bot",
        channel_username="test_channel",
        account=AccountCredentials(ACCOUNT_PHONE, 12345, API_HASH, session=signed.session),
        user="ivan_test",
        simulated=True,
        contact_phone="+79990000002",  # maria_test
        revoked=AccountCredentials(ACCOUNT_PHONE, 12345, API_HASH, session="sim-ended-session"),
    )


async def telethon_fixture(runtime: Runtime) -> Fixture:
    missing = [name for name in LIVE_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.skip(f"live Telegram credentials missing: {', '.join(missing)}")
    from domain.adapters.telegram.telethon import TelethonGateway

    env = os.environ
    api_id, api_hash = int(env["TGHUB_LIVE_API_ID"]), env["TGHUB_LIVE_API_HASH"]
    gateway = TelethonGateway(
        runtime.redis,
        prefix=runtime.settings.channel_prefix,
        bot_api_id=api_id,
        bot_api_hash=api_hash,
    )
    bot = BotCredentials(env["TGHUB_LIVE_BOT_TOKEN"])
    return Fixture(
        gateway=gateway,
        bot=bot,
        bot_username=(await gateway.verify_bot(bot)).username,
        channel_username=env["TGHUB_LIVE_CHANNEL"].removeprefix("@"),
        account=AccountCredentials(
            env["TGHUB_LIVE_PHONE"], api_id, api_hash, session=env["TGHUB_LIVE_SESSION"]
        ),
        user=env["TGHUB_LIVE_USER"],
        simulated=False,
        contact_phone=env.get("TGHUB_LIVE_CONTACT_PHONE") or None,
        revoked=AccountCredentials(
            env["TGHUB_LIVE_PHONE"], api_id, api_hash, session=env["TGHUB_LIVE_REVOKED_SESSION"]
        )
        if env.get("TGHUB_LIVE_REVOKED_SESSION")
        else None,
    )


@pytest.fixture(
    params=[
        pytest.param("simulated"),
        pytest.param("telethon", marks=pytest.mark.telegram_live),
    ]
)
async def telegram(request: pytest.FixtureRequest, runtime: Runtime) -> AsyncIterator[Fixture]:
    build = simulated_fixture if request.param == "simulated" else telethon_fixture
    fixture = await build(runtime)
    try:
        yield fixture
    finally:
        await fixture.gateway.close()


class TestBots:
    async def test_verify_bot_names_the_bot(self, telegram: Fixture) -> None:
        info = await telegram.gateway.verify_bot(telegram.bot)
        assert info.username == telegram.bot_username
        assert info.id == telegram.bot.bot_id

    async def test_verify_bot_refuses_a_wrong_token(self, telegram: Fixture) -> None:
        wrong = BotCredentials(f"{telegram.bot.bot_id}:AAwrong-token-0000000000000000000")
        with pytest.raises(InvalidBotToken):
            await telegram.gateway.verify_bot(wrong)

    async def test_a_channel_resolves_the_same_by_username_link_and_id(
        self, telegram: Fixture
    ) -> None:
        by_name = await telegram.gateway.resolve_channel(
            telegram.bot, f"@{telegram.channel_username}"
        )
        by_link = await telegram.gateway.resolve_channel(
            telegram.bot, f"https://t.me/{telegram.channel_username}"
        )
        by_id = await telegram.gateway.resolve_channel(telegram.bot, str(by_name.id))
        assert by_name == by_link == by_id
        assert by_name.id < -1_000_000_000_000  # the marked id of a channel

    async def test_an_unknown_channel_is_not_found(self, telegram: Fixture) -> None:
        with pytest.raises(NotFound):
            await telegram.gateway.resolve_channel(telegram.bot, "@no_such_channel_tghub_x")

    async def test_a_malformed_channel_reference_is_invalid(self, telegram: Fixture) -> None:
        with pytest.raises(Invalid):
            await telegram.gateway.resolve_channel(telegram.bot, "not a channel!")

    async def test_the_bot_may_post_where_it_is_admin(self, telegram: Fixture) -> None:
        channel = await telegram.gateway.resolve_channel(telegram.bot, telegram.channel_username)
        rights = await telegram.gateway.bot_rights(telegram.bot, channel.id)
        assert rights.is_admin
        assert rights.post_messages

    async def test_a_post_is_published_and_has_views(self, telegram: Fixture) -> None:
        channel = await telegram.gateway.resolve_channel(telegram.bot, telegram.channel_username)
        posted = await telegram.gateway.post_markdown(telegram.bot, channel.id, "*contract* test")
        assert posted.message_id > 0
        assert posted.channel_id == channel.id
        views = await telegram.gateway.message_views(
            telegram.bot, channel.id, [posted.message_id, 999_999_999]
        )
        assert set(views) == {posted.message_id}
        assert views[posted.message_id] >= 0

    async def test_posts_are_fetched_by_id(self, telegram: Fixture) -> None:
        channel = await telegram.gateway.resolve_channel(telegram.bot, telegram.channel_username)
        posted = await telegram.gateway.post_markdown(telegram.bot, channel.id, "**contract** test")
        assert posted.text == "contract test"  # the Markdown became entities
        ids = [posted.message_id + 1_000_000, posted.message_id, posted.message_id]
        found = await telegram.gateway.channel_messages(telegram.bot, channel.id, ids)
        assert [(m.message_id, m.text, m.date) for m in found] == [
            (posted.message_id, "contract test", posted.date)
        ]
        assert found[0].channel_id == channel.id
        assert found[0].views >= 0

    async def test_a_post_too_long_for_telegram_is_invalid(self, telegram: Fixture) -> None:
        channel = await telegram.gateway.resolve_channel(telegram.bot, telegram.channel_username)
        with pytest.raises(Invalid):
            await telegram.gateway.post_markdown(telegram.bot, channel.id, "x" * 4097)

    async def test_a_bot_cannot_open_invite_links(self, telegram: Fixture) -> None:
        with pytest.raises(BotCannotOpenInvite):
            await telegram.gateway.resolve_channel(telegram.bot, "https://t.me/+AbCdEf")


class TestAccounts:
    async def test_an_account_without_a_session_is_not_signed_in(self, telegram: Fixture) -> None:
        anonymous = AccountCredentials(telegram.account.phone, 1, "0" * 32, session=None)
        with pytest.raises(AccountNotSignedIn):
            await telegram.gateway.user_statuses(anonymous, [telegram.user])

    async def test_user_statuses_observe_a_visible_user(self, telegram: Fixture) -> None:
        seen = await telegram.gateway.user_statuses(telegram.account, [telegram.user])
        assert len(seen) == 1
        assert seen[0].online in {True, False}

    async def test_a_repeated_random_id_delivers_once(self, telegram: Fixture) -> None:
        key = random_id("contract", telegram.user)
        first = await telegram.gateway.send_message(
            telegram.account, telegram.user, "contract test", random_id=key
        )
        again = await telegram.gateway.send_message(
            telegram.account, telegram.user, "contract test", random_id=key
        )
        assert first.user_id == again.user_id
        if telegram.simulated:
            assert first.message_id == again.message_id

    async def test_importing_an_unknown_phone_finds_nobody(self, telegram: Fixture) -> None:
        assert await telegram.gateway.import_phone(telegram.account, "+10000000000") is None

    async def test_an_unknown_user_is_not_found(self, telegram: Fixture) -> None:
        with pytest.raises(NotFound):
            await telegram.gateway.send_message(
                telegram.account, "no_such_user_tghub_x", "hi", random_id=1
            )

    async def test_invite_outcome_names_user_and_channel(self, telegram: Fixture) -> None:
        if not telegram.simulated:
            pytest.skip("inviting a real user is not repeatable")
        user = (await telegram.gateway.user_statuses(telegram.account, [telegram.user]))[0]
        outcome = await telegram.gateway.invite_to_channel(
            telegram.account, telegram.channel_username, TelegramID(user.user_id)
        )
        assert outcome.user_id == user.user_id
        assert outcome.invited is False  # ivan is a member already


class TestContacts:
    async def test_an_imported_contact_is_deleted_and_deleting_again_is_no_error(
        self, telegram: Fixture
    ) -> None:
        phone = telegram.needs(telegram.contact_phone, "TGHUB_LIVE_CONTACT_PHONE")
        user = await telegram.gateway.import_phone(telegram.account, phone)
        assert user is not None
        await telegram.gateway.delete_contact(telegram.account, user.id)
        await telegram.gateway.delete_contact(telegram.account, user.id)  # idempotent

    async def test_deleting_someone_never_imported_is_no_error(self, telegram: Fixture) -> None:
        if not telegram.simulated:
            pytest.skip("the live account's contacts are its owner's: none is deleted")
        (seen,) = await telegram.gateway.user_statuses(telegram.account, ["oleg_test"])
        await telegram.gateway.delete_contact(telegram.account, seen.user_id)

    async def test_an_account_without_a_session_is_not_signed_in(self, telegram: Fixture) -> None:
        anonymous = AccountCredentials(telegram.account.phone, 1, "0" * 32, session=None)
        with pytest.raises(AccountNotSignedIn):
            await telegram.gateway.delete_contact(anonymous, TelegramID(1001))

    async def test_a_revoked_session_is_refused(self, telegram: Fixture) -> None:
        revoked = telegram.needs(telegram.revoked, "TGHUB_LIVE_REVOKED_SESSION")
        with pytest.raises(AccountSessionRevoked):
            await telegram.gateway.delete_contact(revoked, TelegramID(1001))

    async def test_an_unknown_user_is_not_found(self, telegram: Fixture) -> None:
        if not telegram.simulated:
            pytest.skip("no id is sure to name nobody on Telegram")
        with pytest.raises(NotFound):
            await telegram.gateway.delete_contact(telegram.account, TelegramID(4040))
