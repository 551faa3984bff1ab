"""The simulated Telegram's rules, pure: the world document at chosen instants."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from domain.adapters.simulated.document import Schedule, WorldState
from domain.adapters.simulated.world import World, load_document
from domain.adapters.telegram import simulated
from domain.errors import RateLimited
from domain.telegram.errors import (
    AccountSessionRevoked,
    ChatAdminRequired,
    InvalidLoginCode,
    InvalidPassword,
    PasswordRequired,
    PeerFlood,
    PrivacyRestricted,
    TelegramNotFound,
)
from domain.telegram.model import AccountCredentials, BotCredentials
from tests.world import ACCOUNT_PHONE, API_HASH, BOT_TOKEN, WORLD

T0 = 1_800_000_000.0


def state(**account: Any) -> WorldState:
    document = copy.deepcopy(WORLD)
    document["accounts"][0].update(account)
    return load_document(WorldState(), document, merge=False, now=T0)


def at(doc: WorldState, seconds: float = 0.0) -> World:
    return World(doc, T0 + seconds)


def signed_in(doc: WorldState) -> AccountCredentials:
    fresh = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH)
    code = simulated.send_login_code(at(doc), fresh)
    pending = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=code.session)
    signed = simulated.sign_in(at(doc), pending, "12345", code.phone_code_hash, None)
    return AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=signed.session)


class TestSchedules:
    def test_online_time_follows_the_schedule_and_seed(self) -> None:
        doc = state()
        doc.users[0].schedule = Schedule(online_every=100, online_for=30)
        pattern = [at(doc, s).is_online(doc.users[0]) for s in range(0, 300, 10)]
        assert pattern.count(True) == 9  # 30 of every 100 seconds
        assert pattern == [at(doc, s).is_online(doc.users[0]) for s in range(0, 300, 10)]

    def test_another_seed_shifts_the_phase(self) -> None:
        doc, other = state(), state()
        for d, seed in ((doc, 1), (other, 2)):
            d.seed = seed
            d.users[0].schedule = Schedule(online_every=1000, online_for=100)
        first = [at(doc, s).is_online(doc.users[0]) for s in range(0, 1000, 10)]
        second = [at(other, s).is_online(other.users[0]) for s in range(0, 1000, 10)]
        assert first != second


class TestViews:
    def test_views_grow_with_age(self) -> None:
        doc = state()
        channel = doc.channels[0]
        post = channel.posts[0]
        assert at(doc).views(channel, post) == 10
        assert at(doc, 3600).views(channel, post) > 10
        assert at(doc, 7200).views(channel, post) > at(doc, 3600).views(channel, post)


class TestFlood:
    def test_per_minute_limit_then_wait(self) -> None:
        doc = state(flood={"send_message": {"per_minute": 2}})
        account = doc.accounts[0]
        at(doc).check_flood(account, "send_message")
        at(doc, 1).check_flood(account, "send_message")
        with pytest.raises(RateLimited) as raised:
            at(doc, 2).check_flood(account, "send_message")
        assert raised.value.retry_after == pytest.approx(58)
        at(doc, 61).check_flood(account, "send_message")  # the window moved on

    def test_an_explicit_flood_wait(self) -> None:
        doc = state(flood_until=T0 + 30)
        with pytest.raises(RateLimited) as raised:
            at(doc, 10).check_flood(doc.accounts[0], "send_message")
        assert raised.value.retry_after == pytest.approx(20)


class TestLogin:
    def test_a_wrong_code_is_refused(self) -> None:
        doc = state()
        fresh = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH)
        code = simulated.send_login_code(at(doc), fresh)
        pending = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=code.session)
        with pytest.raises(InvalidLoginCode):
            simulated.sign_in(at(doc), pending, "99999", code.phone_code_hash, None)

    def test_the_code_belongs_to_the_session_that_asked(self) -> None:
        doc = state()
        code = simulated.send_login_code(at(doc), AccountCredentials(ACCOUNT_PHONE, 1, API_HASH))
        other = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session="sim-someone-else")
        with pytest.raises(InvalidLoginCode):
            simulated.sign_in(at(doc), other, "12345", code.phone_code_hash, None)

    def test_two_step_verification(self) -> None:
        doc = state(password="pw")
        code = simulated.send_login_code(at(doc), AccountCredentials(ACCOUNT_PHONE, 1, API_HASH))
        pending = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=code.session)
        with pytest.raises(PasswordRequired):
            simulated.sign_in(at(doc), pending, "12345", code.phone_code_hash, None)
        with pytest.raises(InvalidPassword):
            simulated.sign_in(at(doc), pending, "12345", code.phone_code_hash, "nope")
        signed = simulated.sign_in(at(doc), pending, "12345", code.phone_code_hash, "pw")
        assert signed.session == code.session

    def test_a_session_telegram_forgot_is_revoked(self) -> None:
        doc = state()
        creds = signed_in(doc)
        doc.accounts[0].sessions = []
        with pytest.raises(AccountSessionRevoked):
            simulated.user_statuses(at(doc), creds, ["ivan_test"])


class TestPrivacy:
    def test_hidden_status_is_unknown_until_the_account_is_a_contact(self) -> None:
        doc = state()
        creds = signed_in(doc)
        (seen,) = simulated.user_statuses(at(doc), creds, ["maria_test"])
        assert seen.online is None
        doc.users[1].contacts = [9001]
        (seen,) = simulated.user_statuses(at(doc), creds, ["maria_test"])
        assert seen.online is False

    def test_invites_follow_privacy(self) -> None:
        doc = state()
        creds = signed_in(doc)
        with pytest.raises(PrivacyRestricted):
            simulated.invite_to_channel(at(doc), creds, "test_channel", 1003)
        with pytest.raises(PrivacyRestricted):
            simulated.invite_to_channel(at(doc), creds, "test_channel", 1002)
        doc.users[1].contacts = [9001]
        world = at(doc)
        outcome = simulated.invite_to_channel(world, creds, "test_channel", 1002)
        assert outcome.invited
        # The store adds them to the members set beside the document.
        assert world.new_members == {(doc.channels[0].id, 1002)}
        assert doc.channels[0].members == [1001]
        assert world.is_member(doc.channels[0], 1002)

    def test_peer_flood_stops_invites(self) -> None:
        doc = state(peer_flood=True)
        with pytest.raises(PeerFlood):
            simulated.invite_to_channel(at(doc), signed_in(doc), "test_channel", 1001)


class TestContacts:
    def test_deleting_an_imported_contact_undoes_the_import(self) -> None:
        doc = state()
        creds = signed_in(doc)
        world = at(doc)

        imported = simulated.import_phone(world, creds, "+79990000002")
        assert imported is not None
        simulated.delete_contact(world, creds, imported.id)

        # The store removes them from the contacts set beside the document.
        assert (world.new_contacts, world.removed_contacts) == (set(), {(9001, 1002)})
        assert [(e.type, e.model_dump().get("user_id")) for e in world.recorded] == [
            ("contact_import", 1002),
            ("contact_delete", 1002),
        ]

    def test_importing_again_after_a_delete_adds_the_contact_back(self) -> None:
        doc = state()
        creds = signed_in(doc)
        world = at(doc)
        simulated.delete_contact(world, creds, 1002)
        simulated.import_phone(world, creds, "+79990000002")
        assert (world.new_contacts, world.removed_contacts) == ({(9001, 1002)}, set())

    def test_deleting_someone_who_is_no_contact_is_no_error(self) -> None:
        doc = state()
        creds = signed_in(doc)
        world = at(doc)
        simulated.delete_contact(world, creds, 1003)
        simulated.delete_contact(world, creds, 1003)
        assert world.removed_contacts == {(9001, 1003)}
        assert [e.type for e in world.recorded] == ["contact_delete", "contact_delete"]

    def test_a_contact_the_document_lists_leaves_it(self) -> None:
        doc = state(contacts=[1001, 1002])
        simulated.delete_contact(at(doc), signed_in(doc), 1001)
        assert doc.accounts[0].contacts == [1002]

    def test_an_unknown_user_is_not_found(self) -> None:
        doc = state()
        with pytest.raises(TelegramNotFound):
            simulated.delete_contact(at(doc), signed_in(doc), 4040)

    def test_a_revoked_session_deletes_nothing(self) -> None:
        doc = state()
        creds = signed_in(doc)
        doc.accounts[0].sessions = []
        world = at(doc)
        with pytest.raises(AccountSessionRevoked):
            simulated.delete_contact(world, creds, 1001)
        assert (world.removed_contacts, world.recorded) == (set(), [])

    def test_deletes_are_flood_limited_on_their_own(self) -> None:
        doc = state(flood={"delete_contact": {"per_minute": 1}})
        creds = signed_in(doc)
        simulated.delete_contact(at(doc), creds, 1001)
        with pytest.raises(RateLimited):
            simulated.delete_contact(at(doc, 1), creds, 1002)
        simulated.import_phone(at(doc, 1), creds, "+79990000002")  # other methods are not


class TestMembers:
    def test_members_the_document_lists_count(self) -> None:
        doc = state()
        creds = signed_in(doc)
        outcome = simulated.invite_to_channel(at(doc), creds, "test_channel", 1001)
        assert not outcome.invited

    def test_a_member_the_store_read_counts(self) -> None:
        doc = state()
        creds = signed_in(doc)
        world = World(doc, T0, sent={}, members={"-1001234567890:1002": True})
        outcome = simulated.invite_to_channel(world, creds, "test_channel", 1002)
        assert (outcome.invited, world.new_members, world.recorded) == (False, set(), [])

    def test_a_step_must_name_the_member_keys_it_reads(self) -> None:
        doc = state()
        creds = signed_in(doc)
        world = World(doc, T0, sent={}, members={"-1001234567890:1003": False})
        with pytest.raises(LookupError):
            simulated.invite_to_channel(world, creds, "test_channel", 1002)

    def test_one_invited_in_this_step_is_a_member_already(self) -> None:
        doc = state()
        creds = signed_in(doc)
        world = World(doc, T0, sent={}, members={"-1001234567890:1004": False})
        doc.users.append(doc.users[0].model_copy(update={"id": 1004, "username": "nina"}))
        assert simulated.invite_to_channel(world, creds, "test_channel", 1004).invited
        assert not simulated.invite_to_channel(world, creds, "test_channel", 1004).invited
        assert [e.type for e in world.recorded] == ["invite"]


class TestRights:
    def test_a_bot_without_the_right_cannot_post(self) -> None:
        doc = state()
        doc.channels[0].admins = []
        with pytest.raises(ChatAdminRequired):
            simulated.post_markdown(at(doc), BotCredentials(BOT_TOKEN), -1001234567890, "x", [])

    def test_a_post_is_recorded_in_the_outbox(self) -> None:
        world = at(state())
        posted = simulated.post_markdown(
            world, BotCredentials(BOT_TOKEN), -1001234567890, "news", []
        )
        assert posted.message_id == 2
        assert world.recorded[-1].type == "post"


class TestUserLookup:
    def test_many_refs_at_once_find_what_one_ref_finds(self) -> None:
        doc = state()
        # A username that reads as another user's id: the first in the list wins, as one by one.
        doc.users.append(doc.users[0].model_copy(update={"id": 2001, "username": "1002"}))
        doc.users.append(doc.users[0].model_copy(update={"id": 2002, "username": "IVAN_test"}))
        doc.users.insert(0, doc.users[0].model_copy(update={"id": 2003, "username": "1003"}))
        world = at(doc)
        refs: list[str | int] = ["ivan_test", "@Maria_Test", " 1003 ", 1001, "1002", "nobody", ""]

        def one(ref: str | int) -> int | None:
            try:
                return world.user(ref).id
            except TelegramNotFound:
                return None

        found = world.users(refs)

        assert [None if u is None else u.id for u in found] == [one(ref) for ref in refs]
        assert [None if u is None else u.id for u in found] == [
            1001, 1002, 2003, 1001, 1002, None, None
        ]  # fmt: skip
