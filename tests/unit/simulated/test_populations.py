"""Populations: users given by a rule (ids, phones and usernames counted up from the first),
made when the world looks one up and never stored; their rules checked against each other and
against the users listed one by one."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest

from domain.adapters.simulated.document import WorldState
from domain.adapters.simulated.sandbox import _set_status
from domain.adapters.simulated.validation import WorldInvalid
from domain.adapters.simulated.world import World, load_document
from domain.adapters.simulated.worldfile import read_world_file
from domain.adapters.telegram import simulated
from domain.telegram.errors import PrivacyRestricted, TelegramNotFound
from domain.telegram.model import AccountCredentials
from tests.world import ACCOUNT_PHONE, API_HASH, WORLD

if TYPE_CHECKING:
    from pathlib import Path

T0 = 1_800_000_000.0
FIRST = 7_000_000_000
PEOPLE: dict[str, Any] = {
    "first_id": FIRST,
    "count": 100_000,
    "phone_from": "+79000000000",
    "username_prefix": "Client_",
    "first_name": "Client",
}


def world_with(*populations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    document = copy.deepcopy(WORLD)
    document["populations"] = [dict(population) for population in populations]
    document.update(extra)
    return document


def loaded(document: dict[str, Any], base: WorldState | None = None) -> WorldState:
    return load_document(base or WorldState(), document, merge=base is not None, now=T0)


def at(state: WorldState, seconds: float = 0.0) -> World:
    return World(state, T0 + seconds)


def problems(document: dict[str, Any], base: WorldState | None = None) -> dict[str, list[str]]:
    with pytest.raises(WorldInvalid) as raised:
        loaded(document, base)
    return raised.value.field_errors


def signed_in(state: WorldState) -> AccountCredentials:
    fresh = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH)
    code = simulated.send_login_code(at(state), fresh)
    pending = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=code.session)
    signed = simulated.sign_in(at(state), pending, "12345", code.phone_code_hash, None)
    return AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=signed.session)


class TestTheRule:
    def test_user_n_has_the_nth_id_phone_and_username(self) -> None:
        world = at(loaded(world_with(PEOPLE)))

        user = world.user(FIRST + 42)

        assert (user.id, user.phone, user.username) == (FIRST + 42, "+79000000042", "Client_42")
        assert (user.first_name, user.online, user.changed_at) == ("Client", False, 0.0)

    @pytest.mark.parametrize(
        "ref",
        [str(FIRST + 99_999), FIRST + 99_999, "client_99999", "@CLIENT_99999", " Client_99999 "],
    )
    def test_the_last_user_is_found_by_id_and_username(self, ref: str | int) -> None:
        assert at(loaded(world_with(PEOPLE))).user(ref).id == FIRST + 99_999

    @pytest.mark.parametrize(
        "ref",
        [
            FIRST - 1,
            FIRST + 100_000,
            "client_100000",
            "client_007",  # only the number as written for the user
            "client_",
            "client_-1",
            "0" + str(FIRST),
            "9" * 30,
        ],
    )
    def test_past_the_range_is_nobody(self, ref: str | int) -> None:
        with pytest.raises(TelegramNotFound):
            at(loaded(world_with(PEOPLE))).user(ref)

    def test_a_phone_finds_its_user_in_any_spelling(self) -> None:
        world = at(loaded(world_with(PEOPLE)))

        found = world.user_by_phone("+7 900 000-01-23")

        assert found is not None
        assert found.id == FIRST + 123
        assert world.user_by_phone("+79000100000") is None  # one past the last
        assert world.user_by_phone("+78999999999") is None  # one before the first

    def test_users_listed_one_by_one_are_found_as_before(self) -> None:
        world = at(loaded(world_with(PEOPLE)))

        found = world.users(["ivan_test", "client_5", str(FIRST + 6), "nobody", 1002])

        assert [None if u is None else u.id for u in found] == [
            1001, FIRST + 5, FIRST + 6, None, 1002
        ]  # fmt: skip
        assert world.user_by_phone("+79990000001") is world.state.users[0]

    def test_without_phones_or_usernames_only_ids_find_them(self) -> None:
        world = at(loaded(world_with({"first_id": 5_000_000, "count": 10})))

        user = world.user(5_000_009)

        assert (user.phone, user.username) == (None, None)
        with pytest.raises(TelegramNotFound):
            world.user("5000010")

    def test_the_document_keeps_the_rule_not_the_users(self) -> None:
        state = loaded(world_with(PEOPLE))

        assert len(state.users) == 3
        assert len(state.model_dump_json()) < 3_000


class TestStatusAndPrivacy:
    def test_offline_until_the_sandbox_sets_it_and_only_that_user_is_kept(self) -> None:
        state = loaded(world_with(PEOPLE))

        _set_status(at(state, 10), FIRST + 7, True)

        assert at(state).user(FIRST + 7).online is True
        assert at(state).user(FIRST + 7).changed_at == T0 + 10
        assert at(state).user(FIRST + 8).online is False
        assert list(state.population_statuses) == [FIRST + 7]
        assert [user.id for user in at(state).changing_users()] == [1001, 1002, 1003, FIRST + 7]

        _set_status(at(state, 20), FIRST + 7, False)

        assert at(state).user(FIRST + 7).online is False
        assert at(state).last_seen(at(state).user(FIRST + 7)) == T0 + 20

    def test_status_shown_to_contacts_only_follows_the_populations_contacts(self) -> None:
        hidden = {**PEOPLE, "privacy": {"status": "contacts", "invites": "contacts"}}
        knows = {**hidden, "first_id": 1, "count": 10, "phone_from": None, "username_prefix": None}
        state = loaded(world_with(hidden, {**knows, "contacts": [9001]}))
        creds = signed_in(state)

        strangers, friend = simulated.user_statuses(at(state), creds, [str(FIRST), "3"])

        assert (strangers.user_id, strangers.online) == (FIRST, None)
        assert (friend.user_id, friend.online) == (3, False)
        with pytest.raises(PrivacyRestricted):
            simulated.invite_to_channel(at(state), creds, "test_channel", FIRST)
        invited = simulated.invite_to_channel(at(state), creds, "test_channel", 3)
        assert invited.invited


class TestSending:
    def test_import_then_send_adds_a_contact_and_records_the_message(self) -> None:
        state = loaded(world_with(PEOPLE))
        creds = signed_in(state)
        world = at(state)

        imported = simulated.import_phone(world, creds, "+79000054321")
        assert imported is not None
        sent = simulated.send_message(world, creds, str(imported.id), "hello", 77)

        assert (imported.id, imported.username) == (FIRST + 54321, "Client_54321")
        assert world.new_contacts == {(9001, FIRST + 54321)}
        assert state.accounts[0].contacts == []  # the store keeps them beside the document
        assert sent.user_id == FIRST + 54321
        assert [entry.type for entry in world.recorded] == ["contact_import", "message"]


class TestValidation:
    @pytest.mark.parametrize(
        ("second", "field"),
        [
            ({"first_id": FIRST + 99_999, "count": 1}, "first_id"),
            ({"first_id": 1, "count": 5, "phone_from": "+79000099999"}, "phone_from"),
            ({"first_id": 1, "count": 5, "username_prefix": "client_"}, "username_prefix"),
            # client_1 + 0 is client_10, which the first population gives its user 10.
            ({"first_id": 1, "count": 5, "username_prefix": "CLIENT_1"}, "username_prefix"),
        ],
    )
    def test_populations_that_would_share_a_user_are_refused(
        self, second: dict[str, Any], field: str
    ) -> None:
        assert f"populations[1].{field}" in problems(world_with(PEOPLE, second))

    @pytest.mark.parametrize(
        "prefix",
        ["client_0", "client_x", "clien"],  # client_00… reads as no number; the others differ
    )
    def test_prefixes_that_cannot_meet_are_accepted(self, prefix: str) -> None:
        small = {**PEOPLE, "count": 10}  # client_0 … client_9: client_10 is nobody's
        other = {"first_id": 1, "count": 5, "username_prefix": prefix}
        state = loaded(
            world_with(small, other, {**other, "first_id": 10, "username_prefix": "client_1"})
        )

        assert [p.first_id for p in state.populations] == [FIRST, 1, 10]

    @pytest.mark.parametrize(
        ("user", "field"),
        [
            ({"id": FIRST + 5}, "users[3].id"),
            ({"id": 1, "phone": "+7 900 000 00 05"}, "users[3].phone"),
            ({"id": 1, "username": "CLIENT_5"}, "users[3].username"),
        ],
    )
    def test_a_listed_user_may_not_be_one_of_a_population(
        self, user: dict[str, Any], field: str
    ) -> None:
        document = world_with(PEOPLE)
        document["users"].append(user)

        errors = problems(document)

        assert list(errors) == [field]
        assert str(FIRST + 5) in errors[field][0]

    def test_a_population_merged_over_a_listed_user_names_the_population(self) -> None:
        base = loaded(world_with())

        errors = problems({"populations": [{"first_id": 1000, "count": 5}]}, base)

        assert list(errors) == ["populations[0].first_id"]
        assert "user 1001," in errors["populations[0].first_id"][0]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"phone_from": "+0123456789"}, "populations[0].phone_from"),
            ({"phone_from": "+999999999999999"}, "populations[0].phone_from"),  # 15 digits, +count
            ({"username_prefix": "1client"}, "populations[0].username_prefix"),
            ({"username_prefix": "client-"}, "populations[0].username_prefix"),
            ({"username_prefix": "c" * 28}, "populations[0].username_prefix"),  # + "99999"
            ({"first_id": 2**63 - 10}, "populations[0].count"),
            ({"contacts": [9002]}, "populations[0].contacts[0]"),
            ({"count": 0}, "populations[0].count"),
            ({"first_id": 0}, "populations[0].first_id"),
            ({"phone_from": "nope"}, "populations[0].phone_from"),
            ({"privacy": {"status": "friends"}}, "populations[0].privacy.status"),
        ],
    )
    def test_a_rule_that_gives_a_bad_user_is_refused(
        self, change: dict[str, Any], field: str
    ) -> None:
        assert list(problems(world_with({**PEOPLE, **change}))) == [field]

    def test_a_misspelt_key_is_named_with_the_key_it_meant(self) -> None:
        errors = problems(world_with({**PEOPLE, "phone_form": "+79000000000"}))

        assert errors == {
            "populations[0].phone_form": ["Unknown field (did you mean 'phone_from'?)."]
        }

    def test_the_same_first_id_twice_is_refused(self) -> None:
        assert "populations[1].first_id" in problems(world_with(PEOPLE, PEOPLE))

    def test_members_and_contacts_may_name_population_users(self) -> None:
        document = world_with(PEOPLE)
        document["channels"][0]["members"] = [1001, FIRST, FIRST + 99_999]
        document["accounts"][0]["contacts"] = [FIRST + 1]

        state = loaded(document)

        assert state.channels[0].members == [1001, FIRST, FIRST + 99_999]
        document["channels"][0]["members"] = [FIRST + 100_000]
        assert list(problems(document)) == ["channels[0].members[0]"]

    def test_a_merge_upserts_a_population_by_first_id_and_drops_statuses_it_no_longer_has(
        self,
    ) -> None:
        base = loaded(world_with(PEOPLE))
        _set_status(at(base), FIRST + 5, True)
        _set_status(at(base), FIRST + 50, True)

        merged = loaded({"populations": [{"first_id": FIRST, "count": 10}]}, base)

        assert len(merged.populations) == 1
        assert merged.populations[0].count == 10
        assert merged.populations[0].phone_from == "+79000000000"  # fields not given are kept
        assert list(merged.population_statuses) == [FIRST + 5]
        assert list(base.population_statuses) == [FIRST + 5, FIRST + 50]  # left as it was

    def test_a_replacement_has_no_statuses(self) -> None:
        base = loaded(world_with(PEOPLE))
        _set_status(at(base), FIRST + 5, True)

        replaced = load_document(base, world_with(PEOPLE), merge=False, now=T0)

        assert replaced.population_statuses == {}


class TestWorldFile:
    def test_a_file_with_a_population_reads_and_names_its_lines(self, tmp_path: Path) -> None:
        text = """\
users:
  - {id: 1001, username: ivan_test}
populations:
  - first_id: 7000000000
    count: 100000
    phone_from: "+79000000000"
    privacy: {invites: everybody, status: everybody}
    username_prefix: null
accounts:
  - {id: 9001, phone: "+79990000100"}
"""
        path = tmp_path / "world.yaml"
        path.write_text(text)

        document = read_world_file(path)

        assert (document.populations[0].count, document.populations[0].username_prefix) == (
            100_000,
            None,
        )
        path.write_text(text.replace("- {id: 1001,", "- {id: 7000000001,"))
        with pytest.raises(WorldInvalid) as raised:
            read_world_file(path)
        assert [(p.path, p.line) for p in raised.value.problems] == [("users[0].id", 2)]
