"""The world document: loading it (merge and replace), and every problem named by its field's
path, and in a world file by its line."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

import pytest

from domain.adapters.simulated.document import WorldState
from domain.adapters.simulated.sandbox import DEMO_WORLD
from domain.adapters.simulated.validation import WorldInvalid
from domain.adapters.simulated.world import load_document
from domain.adapters.simulated.worldfile import read_world_file
from domain.errors import Invalid
from tests.world import BOT_TOKEN, WORLD

if TYPE_CHECKING:
    from pathlib import Path

T0 = 1_800_000_000.0

# One world file, with a known line for each entry (the tests break one entry at a time).
WORLD_FILE = """\
seed: 7
users:
  - {id: 1001, phone: "+79990000001", username: ivan_test, first_name: Ivan}
  - id: 1002
    phone: "+79990000002"
    username: maria_test
    privacy: {invites: contacts, status: contacts}
    schedule: {online_every: 300, online_for: 60}
bots:
  - {id: 5001, token: "5001:test-token", username: test_bot}
channels:
  - id: -1001234567890
    username: test_channel
    admins:
      - {bot: test_bot, post_messages: true}
      - {id: 9001, invite_users: true}
    members: [1001]
    posts:
      - {id: 1, text: hi, views: 10}
accounts:
  - id: 9001
    phone: "+79990000100"
    code: "12345"
    flood: {invite_to_channel: {per_minute: 10}}
"""


def loaded(document: dict[str, Any], base: WorldState | None = None) -> WorldState:
    return load_document(base or WorldState(), document, merge=base is not None, now=T0)


def world_file(tmp_path: Path, text: str, name: str = "world.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(path: Path) -> list[tuple[str, int | None]]:
    with pytest.raises(WorldInvalid) as raised:
        read_world_file(path)
    return [(problem.path, problem.line) for problem in raised.value.problems]


class TestLoadDocument:
    def test_defaults_fill_what_a_document_leaves_out(self) -> None:
        world = loaded(WORLD)

        assert world.seed == 7
        assert world.users[0].privacy.status == "everybody"
        assert world.users[0].online is False
        assert world.accounts[0].sessions == []
        assert world.channels[0].posts[0].date == T0  # dated when loaded

    def test_an_admin_named_by_bot_gets_the_bots_id(self) -> None:
        admins = loaded(WORLD).channels[0].admins

        assert [(admin.id, admin.bot) for admin in admins] == [(5001, None), (9001, None)]
        assert admins[0].model_dump() == {"id": 5001, "post_messages": True}

    @pytest.mark.parametrize(
        ("document", "field"),
        [
            ({"users": [{"username": "no_id"}]}, "users[0].id"),
            ({"users": "not a list of users"}, "users"),
            ({"bots": [{"id": 1, "username": "a_bot"}]}, "bots[0].token"),
            ({"accounts": [{"id": 1, "phone": "not a phone"}]}, "accounts[0].phone"),
            ({"seed": "not a number"}, "seed"),
            ({"users": [{"id": 1, "privacy": {"status": "friends"}}]}, "users[0].privacy.status"),
            ({"sed": 1}, "sed"),
            ({"channels": [{"id": -100, "admins": [{}]}]}, "channels[0].admins[0]"),
        ],
    )
    def test_a_malformed_world_names_the_field(self, document: Any, field: str) -> None:
        with pytest.raises(WorldInvalid) as raised:
            loaded(document)

        assert list(raised.value.field_errors) == [field]
        assert isinstance(raised.value, Invalid)  # what GraphQL answers as a ValidationError

    def test_a_misspelt_key_is_named_with_the_key_it_meant(self) -> None:
        with pytest.raises(WorldInvalid) as raised:
            loaded({"users": [{"id": 1, "usrname": "ivan"}]})

        assert raised.value.field_errors == {
            "users[0].usrname": ["Unknown field (did you mean 'username'?)."]
        }

    def test_merge_upserts_by_id(self) -> None:
        base = loaded(WORLD)

        merged = loaded({"users": [{"id": 1001, "first_name": "Vanya"}]}, base)

        assert merged.users[0].first_name == "Vanya"
        assert merged.users[0].username == "ivan_test"
        assert len(merged.users) == len(base.users)
        assert base.users[0].first_name == "Ivan"  # the world it merged into is left as it was

    def test_merge_adds_new_ids_and_keeps_the_rest(self) -> None:
        base = loaded(WORLD)

        merged = loaded({"users": [{"id": 1004, "username": "nina_test"}], "seed": 9}, base)

        assert [user.id for user in merged.users] == [1001, 1002, 1003, 1004]
        assert merged.channels == base.channels
        assert merged.seed == 9

    def test_merge_may_name_only_the_fields_it_changes(self) -> None:
        base = loaded(WORLD)

        merged = loaded({"accounts": [{"id": 9001, "latency": {"send_message": 5}}]}, base)

        assert merged.accounts[0].phone == "+79990000100"
        assert merged.accounts[0].latency == {"send_message": 5.0}

    def test_merge_keeps_the_seed_unless_given(self) -> None:
        merged = loaded({"users": []}, loaded(WORLD))

        assert merged.seed == 7

    def test_replace_starts_from_an_empty_world(self) -> None:
        world = loaded({"users": [{"id": 1004}]})

        assert ([u.id for u in world.users], world.bots, world.seed) == ([1004], [], 0)


class TestReferences:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"channels": [{"id": -1, "admins": [{"bot": "ghost"}]}]}, "channels[0].admins[0].bot"),
            ({"channels": [{"id": -1, "admins": [{"id": 1001}]}]}, "channels[0].admins[0].id"),
            ({"channels": [{"id": -1, "members": [1001, 77]}]}, "channels[0].members[1]"),
            ({"users": [{"id": 1, "contacts": [9002]}]}, "users[0].contacts[0]"),
            ({"users": [{"id": 1}, {"id": 2}, {"id": 1}]}, "users[2].id"),
            ({"users": [{"id": 1, "username": "IVAN_test"}]}, "users[0].username"),
            (
                {"bots": [{"id": 5002, "token": BOT_TOKEN, "username": "b2"}]},
                "bots[0].token",
            ),
            ({"accounts": [{"id": 9002, "phone": "+7 999 000-01-00"}]}, "accounts[0].phone"),
            (
                {"channels": [{"id": -1, "posts": [{"id": 1}, {"id": 1}]}]},
                "channels[0].posts[1].id",
            ),
            (
                {"channels": [{"id": -1, "admins": [{"id": 5001}, {"bot": "test_bot"}]}]},
                "channels[0].admins[1]",
            ),
        ],
    )
    def test_a_bad_reference_names_the_field(self, change: dict[str, Any], field: str) -> None:
        with pytest.raises(WorldInvalid) as raised:
            loaded(change, loaded(WORLD))

        assert list(raised.value.field_errors) == [field]

    def test_an_admin_may_name_a_bot_the_world_already_has(self) -> None:
        merged = loaded({"channels": [{"id": -2, "admins": [{"bot": "@Test_Bot"}]}]}, loaded(WORLD))

        assert merged.channels[-1].admins[0].id == 5001

    def test_an_entity_keeps_its_own_names_when_merged(self) -> None:
        merged = loaded({"users": [{"id": 1001, "username": "ivan_test"}]}, loaded(WORLD))

        assert merged.users[0].username == "ivan_test"


class TestReadWorldFile:
    def test_the_demo_world_reads(self) -> None:
        document = read_world_file(DEMO_WORLD)

        assert {user.username for user in document.users} >= {"ivan_demo"}
        assert [admin.bot for admin in document.channels[0].admins] == [None, None]

    def test_a_good_file_reads(self, tmp_path: Path) -> None:
        document = read_world_file(world_file(tmp_path, WORLD_FILE))

        assert [user.username for user in document.users] == ["ivan_test", "maria_test"]
        assert document.accounts[0].flood["invite_to_channel"].per_minute == 10

    def test_a_bad_key_names_field_and_line(self, tmp_path: Path) -> None:
        text = WORLD_FILE.replace("privacy: {", "privcy: {")

        assert problems_of(world_file(tmp_path, text)) == [("users[1].privcy", 7)]

    def test_a_wrong_type_names_field_and_line(self, tmp_path: Path) -> None:
        text = WORLD_FILE.replace("online_every: 300", "online_every: often")

        assert problems_of(world_file(tmp_path, text)) == [("users[1].schedule.online_every", 8)]

    def test_a_bad_cross_reference_names_field_and_line(self, tmp_path: Path) -> None:
        text = WORLD_FILE.replace("{bot: test_bot,", "{bot: ghost_bot,")

        assert problems_of(world_file(tmp_path, text)) == [("channels[0].admins[0].bot", 15)]

    def test_an_admin_naming_an_unknown_account_names_field_and_line(self, tmp_path: Path) -> None:
        text = WORLD_FILE.replace("{id: 9001, invite_users", "{id: 9002, invite_users")

        assert problems_of(world_file(tmp_path, text)) == [("channels[0].admins[1].id", 16)]

    def test_a_bad_key_of_a_mapping_names_its_line(self, tmp_path: Path) -> None:
        text = WORLD_FILE.replace("flood: {invite_to_channel:", "flood: {invite_to_chanel:")

        assert problems_of(world_file(tmp_path, text)) == [
            ("accounts[0].flood.invite_to_chanel", 24)
        ]

    def test_every_problem_is_named(self, tmp_path: Path) -> None:
        text = WORLD_FILE.replace('code: "12345"', "code: 12345").replace("views: 10", "views: -1")

        assert problems_of(world_file(tmp_path, text)) == [
            ("channels[0].posts[0].views", 19),
            ("accounts[0].code", 23),
        ]

    def test_the_message_is_one_paragraph_with_file_line_and_field(self, tmp_path: Path) -> None:
        path = world_file(tmp_path, WORLD_FILE.replace("{bot: test_bot,", "{bot: ghost_bot,"))

        with pytest.raises(WorldInvalid) as raised:
            read_world_file(path)

        assert raised.value.message == (
            f"{path} is not a valid world: line 15, channels[0].admins[0].bot: "
            "No bot of this world is named 'ghost_bot'."
        )

    def test_a_json_file_names_lines_too(self, tmp_path: Path) -> None:
        document = copy.deepcopy(WORLD)
        document["users"][2]["privacy"]["invites"] = "friends"
        path = world_file(tmp_path, json.dumps(document, indent=2), "world.json")

        ((field, line),) = problems_of(path)

        assert field == "users[2].privacy.invites"
        assert line is not None
        assert path.read_text().splitlines()[line - 1].strip() == '"invites": "friends",'

    @pytest.mark.parametrize(
        ("text", "line"), [("users: [unclosed", 1), ("seed: 1\n- a list\n", 2), ("", 1)]
    )
    def test_a_broken_file_is_invalid(self, tmp_path: Path, text: str, line: int) -> None:
        assert problems_of(world_file(tmp_path, text)) == [("world", line)]

    def test_a_missing_file_is_invalid(self, tmp_path: Path) -> None:
        assert problems_of(tmp_path / "missing.yaml") == [("world", None)]
