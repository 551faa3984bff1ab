"""The sandbox over GraphQL: admins drive the simulated Telegram, and see it in sandboxWorld.
With real Telegram (``telegram_mode="telethon"``) the schema has no sandbox at all."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import graphql as graphql_core
import pytest

from resolvers.root import GraphQLLimits, build_schema
from tests.api.graphql.factories import (
    Tokens,
    error_codes,
    login,
    post_document,
    register_and_login,
)
from tests.api.rest.factories import PASSWORD, create_admin
from tests.conftest import app_client, graphql
from tests.world import ACCOUNT_PHONE, load_world

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

CHANNEL_ID = -1001234567890
BOT_ID = 5001

MUTATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "SandboxLoadWorld": ("sandboxLoadWorld", {"world": {"users": []}, "merge": True}),
    "SandboxSetUserStatus": ("sandboxSetUserStatus", {"telegramId": "1001", "online": True}),
    "SandboxSetBotRights": (
        "sandboxSetBotRights",
        {"bot": "test_bot", "channel": "test_channel", "postMessages": False},
    ),
    "SandboxAddPost": ("sandboxAddPost", {"channel": "test_channel", "text": "hi", "views": 1}),
    "SandboxSetAccountFlood": ("sandboxSetAccountFlood", {"phone": ACCOUNT_PHONE, "seconds": 5}),
    "SandboxAdvanceClock": ("sandboxAdvanceClock", {"seconds": 60}),
}


class Caller:
    """One caller (admin, user or anonymous) of the sandbox operations."""

    def __init__(self, http: httpx.AsyncClient, tokens: Tokens | None) -> None:
        self.http = http
        self.token = None if tokens is None else tokens.access

    async def call(self, name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Operation ``name``; a mutation's variables are its one ``input``."""
        if name in MUTATIONS:
            variables = {"input": variables or {}}
        return await graphql(self.http, name, variables, token=self.token)

    async def mutate(self, name: str, **variables: Any) -> dict[str, Any]:
        """The payload of sandbox mutation ``name``; no GraphQL errors expected."""
        body = await self.call(name, variables)
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"][MUTATIONS[name][0]]
        return payload

    async def world(self) -> dict[str, Any]:
        body = await self.call("SandboxWorld")
        assert "errors" not in body, body
        state: dict[str, Any] = body["data"]["sandboxWorld"]
        return state


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    await load_world(runtime)
    user = await create_admin(runtime)
    return Caller(http, await login(http, user.username, PASSWORD))


def user_in(state: dict[str, Any], telegram_id: int) -> dict[str, Any]:
    return next(u for u in state["users"] if u["id"] == telegram_id)


def channel_in(state: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in state["channels"] if c["id"] == CHANNEL_ID)


def account_in(state: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in state["accounts"] if a["phone"] == ACCOUNT_PHONE)


def sandbox_result(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["__typename"].endswith("Success"), payload
    return payload


def field_errors(payload: dict[str, Any]) -> dict[str, list[str]]:
    assert payload["__typename"] == "ValidationError", payload
    assert payload["code"] == "invalid"
    return {error["field"]: error["messages"] for error in payload["fields"]}


def not_found(payload: dict[str, Any]) -> str:
    assert payload["__typename"] == "NotFoundError", payload
    assert payload["code"] == "not_found"
    message: str = payload["message"]
    return message


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


class TestSandboxWorld:
    async def test_shows_the_loaded_world_and_its_clock(self, admin: Caller) -> None:
        state = await admin.world()

        assert [u["username"] for u in state["users"]] == ["ivan_test", "maria_test", "oleg_test"]
        assert [b["id"] for b in state["bots"]] == [BOT_ID]
        assert channel_in(state)["admins"][0] == {"id": BOT_ID, "post_messages": True}
        assert channel_in(state)["members"] == [1001]  # kept beside the document, shown here
        assert account_in(state)["id"] == 9001
        assert state["outbox"] == []
        assert instant(state["now"]).tzinfo is not None

    async def test_a_plain_user_is_forbidden(self, admin: Caller, http: httpx.AsyncClient) -> None:
        user = Caller(http, await register_and_login(http, "ivan"))

        body = await user.call("SandboxWorld")

        assert body["data"] is None
        assert error_codes(body) == ["FORBIDDEN"]

    async def test_anonymous_is_unauthenticated(self, http: httpx.AsyncClient) -> None:
        body = await Caller(http, None).call("SandboxWorld")

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]


class TestSandboxSetUserStatus:
    @pytest.mark.parametrize("telegram_id", ["1001", 1001], ids=["string", "integer"])
    async def test_puts_a_user_online(self, admin: Caller, telegram_id: str | int) -> None:
        payload = await admin.mutate("SandboxSetUserStatus", telegramId=telegram_id, online=True)

        sandbox_result(payload)
        user = user_in(await admin.world(), 1001)
        assert user["online"] is True
        assert user["changed_at"] == pytest.approx(instant(payload["now"]).timestamp(), abs=1)

    async def test_takes_a_user_offline_again(self, admin: Caller) -> None:
        await admin.mutate("SandboxSetUserStatus", telegramId="1002", online=True)

        sandbox_result(await admin.mutate("SandboxSetUserStatus", telegramId="1002", online=False))

        assert user_in(await admin.world(), 1002)["online"] is False

    async def test_an_unknown_user_is_not_found(self, admin: Caller) -> None:
        payload = await admin.mutate("SandboxSetUserStatus", telegramId="424242", online=True)

        assert "424242" in not_found(payload)

    async def test_an_id_past_64_bits_is_refused(self, admin: Caller) -> None:
        body = await admin.call("SandboxSetUserStatus", {"telegramId": str(2**63), "online": True})

        assert body.get("data") is None
        [error] = body["errors"]
        assert "signed 64-bit integer" in error["message"]


class TestSandboxSetBotRights:
    async def test_revokes_the_right_to_post(self, admin: Caller) -> None:
        payload = await admin.mutate(
            "SandboxSetBotRights", bot="test_bot", channel="test_channel", postMessages=False
        )

        sandbox_result(payload)
        admins = channel_in(await admin.world())["admins"]
        assert [a["id"] for a in admins] == [9001]

    @pytest.mark.parametrize(
        ("bot", "channel"),
        [
            ("test_bot", "test_channel"),
            ("@test_bot", "t.me/test_channel"),
            ("5001", str(CHANNEL_ID)),
        ],
        ids=["names", "at_and_link", "ids"],
    )
    async def test_grants_it_again(self, admin: Caller, bot: str, channel: str) -> None:
        await admin.mutate(
            "SandboxSetBotRights", bot="test_bot", channel="test_channel", postMessages=False
        )

        payload = await admin.mutate(
            "SandboxSetBotRights", bot=bot, channel=channel, postMessages=True
        )

        sandbox_result(payload)
        admins = channel_in(await admin.world())["admins"]
        assert {"id": BOT_ID, "post_messages": True} in admins
        assert [a["id"] for a in admins].count(BOT_ID) == 1

    async def test_an_unknown_bot_is_not_found(self, admin: Caller) -> None:
        payload = await admin.mutate(
            "SandboxSetBotRights", bot="ghost_bot", channel="test_channel", postMessages=True
        )

        assert "ghost_bot" in not_found(payload)

    async def test_an_unknown_channel_is_not_found(self, admin: Caller) -> None:
        payload = await admin.mutate(
            "SandboxSetBotRights", bot="test_bot", channel="no_such_channel", postMessages=True
        )

        assert "no_such_channel" in not_found(payload)

    async def test_a_malformed_channel_is_invalid(self, admin: Caller) -> None:
        payload = await admin.mutate(
            "SandboxSetBotRights", bot="test_bot", channel="not a channel!", postMessages=True
        )

        assert list(field_errors(payload)) == ["channel"]


class TestSandboxAddPost:
    async def test_publishes_a_post_and_returns_its_message_id(self, admin: Caller) -> None:
        payload = await admin.mutate("SandboxAddPost", channel="test_channel", text="news", views=5)

        assert sandbox_result(payload)["messageId"] == 2  # after the world's post 1
        state = await admin.world()
        post = channel_in(state)["posts"][-1]
        assert (post["id"], post["text"], post["views"]) == (2, "news", 5)
        [entry] = state["outbox"]
        assert (entry["type"], entry["channel_id"], entry["message_id"], entry["text"]) == (
            "post",
            CHANNEL_ID,
            2,
            "news",
        )

    async def test_numbers_posts_in_order(self, admin: Caller) -> None:
        first = await admin.mutate("SandboxAddPost", channel="test_channel", text="a", views=0)
        second = await admin.mutate("SandboxAddPost", channel="test_channel", text="b", views=0)

        assert (first["messageId"], second["messageId"]) == (2, 3)

    async def test_negative_views_are_invalid(self, admin: Caller) -> None:
        payload = await admin.mutate("SandboxAddPost", channel="test_channel", text="a", views=-1)

        assert list(field_errors(payload)) == ["views"]
        assert len(channel_in(await admin.world())["posts"]) == 1

    async def test_an_unknown_channel_is_not_found(self, admin: Caller) -> None:
        payload = await admin.mutate("SandboxAddPost", channel="no_such_channel", text="a", views=0)

        not_found(payload)


class TestSandboxSetAccountFlood:
    async def test_flood_limits_the_account_until_then(self, admin: Caller) -> None:
        payload = await admin.mutate("SandboxSetAccountFlood", phone=ACCOUNT_PHONE, seconds=120)

        now = instant(sandbox_result(payload)["now"]).timestamp()
        flood_until = account_in(await admin.world())["flood_until"]
        assert flood_until == pytest.approx(now + 120, abs=1)

    async def test_zero_seconds_lifts_it(self, admin: Caller) -> None:
        await admin.mutate("SandboxSetAccountFlood", phone=ACCOUNT_PHONE, seconds=120)

        payload = await admin.mutate("SandboxSetAccountFlood", phone=ACCOUNT_PHONE, seconds=0)

        now = instant(sandbox_result(payload)["now"]).timestamp()
        assert account_in(await admin.world())["flood_until"] <= now + 1

    async def test_negative_seconds_are_invalid(self, admin: Caller) -> None:
        payload = await admin.mutate("SandboxSetAccountFlood", phone=ACCOUNT_PHONE, seconds=-1)

        assert list(field_errors(payload)) == ["seconds"]
        assert account_in(await admin.world())["flood_until"] == 0

    async def test_a_phone_telegram_does_not_know_is_invalid(self, admin: Caller) -> None:
        payload = await admin.mutate("SandboxSetAccountFlood", phone="+79990000999", seconds=5)

        assert list(field_errors(payload)) == ["phone"]


class TestSandboxAdvanceClock:
    async def test_moves_now_forward(self, admin: Caller) -> None:
        before = instant((await admin.world())["now"])

        payload = await admin.mutate("SandboxAdvanceClock", seconds=3600)

        after = instant(sandbox_result(payload)["now"])
        assert 3600 <= (after - before).total_seconds() < 3660
        assert instant((await admin.world())["now"]) >= after

    async def test_backwards_is_invalid(self, admin: Caller) -> None:
        payload = await admin.mutate("SandboxAdvanceClock", seconds=-1)

        assert list(field_errors(payload)) == ["seconds"]

    @pytest.mark.parametrize("seconds", [1e12, 1e300], ids=["millennia", "huge"])
    async def test_past_what_a_date_can_hold_is_invalid(
        self, admin: Caller, seconds: float
    ) -> None:
        payload = await admin.mutate("SandboxAdvanceClock", seconds=seconds)

        assert list(field_errors(payload)) == ["seconds"]
        assert (await admin.world())["clock_offset"] == 0

    async def test_steps_add_up_to_the_limit(self, admin: Caller) -> None:
        fifty_years = 50 * 365 * 86400

        first = await admin.mutate("SandboxAdvanceClock", seconds=fifty_years)
        second = await admin.mutate("SandboxAdvanceClock", seconds=fifty_years)
        third = await admin.mutate("SandboxAdvanceClock", seconds=fifty_years)

        sandbox_result(first)
        sandbox_result(second)
        assert list(field_errors(third)) == ["seconds"]
        assert (await admin.world())["clock_offset"] == 2 * fifty_years


NEW_USER = {"id": 1004, "username": "nina_test", "phone": "+79990000004"}


class TestSandboxLoadWorld:
    async def test_merge_upserts_by_id_and_keeps_the_rest(self, admin: Caller) -> None:
        renamed = {"id": 1001, "username": "ivan_renamed"}

        payload = await admin.mutate(
            "SandboxLoadWorld", world={"users": [renamed, NEW_USER]}, merge=True
        )

        sandbox_result(payload)
        state = await admin.world()
        assert [u["username"] for u in state["users"]] == [
            "ivan_renamed",
            "maria_test",
            "oleg_test",
            "nina_test",
        ]
        assert user_in(state, 1001)["first_name"] == "Ivan"  # fields not given are kept
        assert [c["id"] for c in state["channels"]] == [CHANNEL_ID]
        assert account_in(state)["id"] == 9001

    async def test_replace_drops_everything_else(self, admin: Caller) -> None:
        payload = await admin.mutate("SandboxLoadWorld", world={"users": [NEW_USER]}, merge=False)

        sandbox_result(payload)
        state = await admin.world()
        assert [u["id"] for u in state["users"]] == [1004]
        assert user_in(state, 1004)["online"] is False  # defaults filled in
        assert (state["bots"], state["channels"], state["accounts"]) == ([], [], [])

    async def test_merge_defaults_to_true(self, admin: Caller) -> None:
        document = """mutation LoadWithoutMerge {
          sandboxLoadWorld(input: {world: {users: [{id: 1004, username: "nina_test"}]}}) {
            __typename
          }
        }"""

        body = await post_document(admin.http, document, token=admin.token)

        assert body == {"data": {"sandboxLoadWorld": {"__typename": "SandboxLoadWorldSuccess"}}}
        assert [u["id"] for u in (await admin.world())["users"]] == [1001, 1002, 1003, 1004]

    @pytest.mark.parametrize(
        "world",
        [
            pytest.param([{"users": []}], id="a_list"),
            pytest.param("users", id="a_string"),
            pytest.param(42, id="a_number"),
            pytest.param(None, id="null"),
            pytest.param({"users": [{"username": "no_id"}]}, id="an_entry_without_id"),
            pytest.param({"users": ["ivan"]}, id="an_entry_not_an_object"),
            pytest.param({"users": [{"id": "abc"}]}, id="an_id_not_a_number"),
            pytest.param({"bots": [{"id": 5002}]}, id="a_bot_without_token"),
            pytest.param(
                {"channels": [{"id": -100, "admins": [{"bot": "ghost"}]}]},
                id="an_admin_naming_an_unknown_bot",
            ),
            pytest.param({"accounts": [{"id": 9002, "phone": "nope"}]}, id="a_bad_phone"),
            pytest.param({"seed": "abc"}, id="a_seed_not_a_number"),
        ],
    )
    @pytest.mark.parametrize("merge", [True, False], ids=["merge", "replace"])
    async def test_a_world_that_is_not_a_document_is_invalid(
        self, admin: Caller, world: Any, merge: bool
    ) -> None:
        before = await admin.world()

        body = await admin.call("SandboxLoadWorld", {"world": world, "merge": merge})

        if world is None:  # JSON! refuses null before the resolver runs
            assert body.get("data") is None
            assert "errors" in body
        else:
            assert "errors" not in body, body
            field_errors(body["data"]["sandboxLoadWorld"])
        after = await admin.world()
        assert {k: v for k, v in after.items() if k != "now"} == {
            k: v for k, v in before.items() if k != "now"
        }

    @pytest.mark.parametrize(
        ("world", "field"),
        [
            ({"users": [{"id": 1005, "usernme": "x"}]}, "users[0].usernme"),
            ({"users": [{"id": 1001, "online": "sometimes"}]}, "users[0].online"),
            ({"channels": [{"id": -1, "admins": [{"bot": "ghost"}]}]}, "channels[0].admins[0].bot"),
            ({"channels": [{"id": -1, "admins": [{"id": 1001}]}]}, "channels[0].admins[0].id"),
            ({"users": [{"id": 1005}, {"id": 1005}]}, "users[1].id"),
            (
                {"populations": [{"first_id": 2000, "count": 2, "contacts": [1]}]},
                "populations[0].contacts[0]",
            ),
            ({"populations": [{"first_id": 5, "count": 0}]}, "populations[0].count"),
        ],
    )
    async def test_the_error_names_the_field(
        self, admin: Caller, world: dict[str, Any], field: str
    ) -> None:
        payload = await admin.mutate("SandboxLoadWorld", world=world, merge=True)

        assert list(field_errors(payload)) == [field]
        assert field in payload["message"]

    async def test_a_stored_world_that_no_longer_reads_can_be_replaced(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        assert runtime.world is not None
        await runtime.redis.set(runtime.world.key, '{"users": [{"id": 1, "retired_field": 1}]}')

        stuck = await admin.call("SandboxWorld")
        payload = await admin.mutate("SandboxLoadWorld", world={"users": [NEW_USER]}, merge=False)

        assert error_codes(stuck) == ["UNAVAILABLE"]
        assert "sandboxLoadWorld(merge: false)" in stuck["errors"][0]["message"]
        sandbox_result(payload)
        assert [u["id"] for u in (await admin.world())["users"]] == [1004]


POPULATION = {"first_id": 7_000_000_000, "count": 100_000, "phone_from": "+79000000000"}


class TestSandboxPopulations:
    """A population (users by a rule) loads as a rule; the sandbox sets a status for one of its
    users, and only that one is kept."""

    async def test_loads_as_a_rule_beside_the_listed_users(self, admin: Caller) -> None:
        payload = await admin.mutate("SandboxLoadWorld", world={"populations": [POPULATION]})

        sandbox_result(payload)
        state = await admin.world()
        assert [(p["first_id"], p["count"]) for p in state["populations"]] == [
            (7_000_000_000, 100_000)
        ]
        assert [u["id"] for u in state["users"]] == [1001, 1002, 1003]
        assert state["population_statuses"] == {}

    async def test_puts_a_population_user_online(self, admin: Caller) -> None:
        await admin.mutate("SandboxLoadWorld", world={"populations": [POPULATION]})

        payload = await admin.mutate("SandboxSetUserStatus", telegramId="7000099999", online=True)

        now = instant(sandbox_result(payload)["now"]).timestamp()
        statuses = (await admin.world())["population_statuses"]
        assert list(statuses) == ["7000099999"]
        assert statuses["7000099999"]["online"] is True
        assert statuses["7000099999"]["changed_at"] == pytest.approx(now, abs=1)

    async def test_one_past_the_last_is_not_found(self, admin: Caller) -> None:
        await admin.mutate("SandboxLoadWorld", world={"populations": [POPULATION]})

        payload = await admin.mutate("SandboxSetUserStatus", telegramId="7000100000", online=True)

        assert "7000100000" in not_found(payload)

    async def test_one_overlapping_another_is_invalid_and_changes_nothing(
        self, admin: Caller
    ) -> None:
        await admin.mutate("SandboxLoadWorld", world={"populations": [POPULATION]})
        before = await admin.world()
        overlapping = {"first_id": 6_999_999_999, "count": 2}

        payload = await admin.mutate("SandboxLoadWorld", world={"populations": [overlapping]})

        assert len(field_errors(payload)) == 1
        assert (
            "populations[0].first_id: Its ids (6999999999–7000000000) overlap"
            in (payload["message"])
        )
        after = await admin.world()
        assert after["populations"] == before["populations"]


class TestSandboxPermissions:
    @pytest.mark.parametrize("name", MUTATIONS)
    async def test_a_plain_user_is_denied(
        self, admin: Caller, http: httpx.AsyncClient, name: str
    ) -> None:
        before = await admin.world()
        user = Caller(http, await register_and_login(http, "ivan"))

        body = await user.call(name, MUTATIONS[name][1])

        assert body["data"] is None
        assert error_codes(body) == ["FORBIDDEN"]
        after = await admin.world()
        assert {k: v for k, v in after.items() if k != "now"} == {
            k: v for k, v in before.items() if k != "now"
        }

    @pytest.mark.parametrize("name", MUTATIONS)
    async def test_anonymous_is_unauthenticated(
        self, runtime: Runtime, http: httpx.AsyncClient, name: str
    ) -> None:
        await load_world(runtime)

        body = await Caller(http, None).call(name, MUTATIONS[name][1])

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]


def sandbox_fields(names: list[str]) -> list[str]:
    return [name for name in names if name.lower().startswith("sandbox")]


@pytest.fixture
async def telethon_http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API configured for real Telegram (it never talks to Telegram itself)."""
    async with app_client(settings.model_copy(update={"telegram_mode": "telethon"})) as http:
        yield http


def root_fields(limits: GraphQLLimits) -> tuple[list[str], list[str]]:
    """The Query and Mutation field names of the schema built with ``limits`` (from its SDL)."""
    sdl = graphql_core.build_schema(build_schema(limits).as_str())
    assert sdl.query_type is not None
    assert sdl.mutation_type is not None
    return list(sdl.query_type.fields), list(sdl.mutation_type.fields)


class TestWithRealTelegram:
    def test_the_schema_has_no_sandbox_fields(self) -> None:
        query_fields, mutation_fields = root_fields(GraphQLLimits(sandbox=False))

        assert sandbox_fields(query_fields) == []
        assert sandbox_fields(mutation_fields) == []
        assert "telegramAccounts" in query_fields  # the rest of Telegram stays
        assert "sendTelegramMessage" in mutation_fields

    def test_the_simulated_schema_has_them(self) -> None:
        query_fields, mutation_fields = root_fields(GraphQLLimits(sandbox=True))

        assert sandbox_fields(query_fields) == ["sandboxWorld"]
        assert sorted(sandbox_fields(mutation_fields)) == sorted(
            field for field, _ in MUTATIONS.values()
        )

    async def test_the_server_refuses_sandbox_operations(
        self, runtime: Runtime, telethon_http: httpx.AsyncClient
    ) -> None:
        user = await create_admin(runtime)
        admin = Caller(telethon_http, await login(telethon_http, user.username, PASSWORD))
        body = await admin.call("SandboxWorld")
        introspection = await post_document(
            telethon_http, '{ __type(name: "Mutation") { fields { name } } }'
        )

        assert body.get("data") is None
        assert "sandboxWorld" in body["errors"][0]["message"]
        fields = [f["name"] for f in introspection["data"]["__type"]["fields"]]
        assert sandbox_fields(fields) == []
        assert "addTelegramAccount" in fields
