"""The world store keeps the world it last wrote, so the next step need not parse it again:
never a world other than the one Redis holds, never one a failed step changed."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest
from redis.asyncio import Redis

from domain.adapters.simulated.document import WorldState
from domain.adapters.simulated.store import WorldStore
from domain.adapters.simulated.world import MAX_OUTBOX
from domain.adapters.telegram import simulated
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.errors import ExternalUnavailable
from domain.telegram.model import AccountCredentials
from domain.types import TelegramID
from tests.world import (
    ACCOUNT_PHONE,
    API_HASH,
    load_world,
    signed_in_credentials,
)
from tghub.embedded import free_port

if TYPE_CHECKING:
    from domain.adapters.simulated.world import World
    from domain.bootstrap import Runtime


async def stored(store: WorldStore) -> WorldState:
    return WorldState.model_validate_json(await store.redis.get(store.key) or b"")


async def beside(store: WorldStore) -> tuple[int, dict[bytes, bytes]]:
    """The outbox's length and the sent index, as Redis keeps them beside the document."""
    async with store.redis.pipeline(transaction=False) as pipe:
        pipe.llen(store.outbox_key)
        pipe.hgetall(store.sent_key)
        length, sent = await pipe.execute()
    return length, sent


async def online(store: WorldStore, user_id: int) -> bool:
    return await store.view(lambda w: w.user(user_id).online)


@pytest.fixture
async def store(runtime: Runtime) -> WorldStore:
    await load_world(runtime)
    assert runtime.world is not None
    return runtime.world


class TestKeptWorld:
    async def test_is_the_world_redis_holds_after_every_kind_of_step(
        self, runtime: Runtime, store: WorldStore
    ) -> None:
        assert runtime.sandbox is not None
        gateway = SimulatedGateway(store)
        fresh = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH)
        code = await gateway.send_login_code(fresh)
        pending = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=code.session)
        signed = await gateway.sign_in(pending, code="12345", phone_code_hash=code.phone_code_hash)
        creds = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=signed.session)
        await runtime.sandbox.set_user_status(TelegramID(1001), online=True)
        await gateway.user_statuses(creds, ["ivan_test", "maria_test"])
        await gateway.send_message(creds, "ivan_test", "hi", random_id=7)
        await runtime.sandbox.add_post("test_channel", "news", 3)
        renamed = {"users": [{"id": 1003, "first_name": "Oleg"}]}
        await runtime.sandbox.load_world(renamed, merge=True)
        await runtime.sandbox.advance_clock(5)

        kept = store._kept  # what the next step would start from
        assert kept is not None
        assert kept[1] == WorldState.model_validate_json(kept[0]) == await stored(store)

    async def test_a_step_that_fails_leaves_nothing_behind(self, store: WorldStore) -> None:
        await store.update(lambda w: None)

        def fails(world: World) -> None:
            world.user(1001).online = True
            raise RuntimeError("half done")

        with pytest.raises(RuntimeError):
            await store.update(fails)

        assert await store.update(lambda w: w.user(1001).online) is False
        assert (await stored(store)).users[0].online is False

    async def test_a_world_written_elsewhere_is_read_again(self, store: WorldStore) -> None:
        await store.update(lambda w: None)
        other = WorldStore(store.redis, store.key)  # another process of the deployment

        def goes_online(world: World) -> None:
            world.user(1001).online = True

        await other.update(goes_online)

        assert await store.update(lambda w: w.user(1001).online) is True
        assert await online(store, 1001) is True


class TestRedisFailing:
    async def test_is_telegram_unavailable_not_a_redis_error(self) -> None:
        nowhere = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=5)
        store = WorldStore(nowhere, "tghub-test:world")
        try:
            with pytest.raises(ExternalUnavailable, match="simulated Telegram is unavailable"):
                await store.view(lambda world: world.now)
            with pytest.raises(ExternalUnavailable, match="simulated Telegram is unavailable"):
                await store.update(lambda world: world.now)
        finally:
            await nowhere.aclose()


async def outbox(runtime: Runtime) -> list[dict[str, Any]]:
    assert runtime.sandbox is not None
    entries: list[dict[str, Any]] = (await runtime.sandbox.world())["outbox"]
    return entries


class TestOutboxBesideTheDocument:
    """The outbox and the sent index are Redis structures of their own, written with the
    document in one transaction: the document keeps its size however much is sent."""

    async def test_entries_keep_their_order_and_numbers_across_steps(
        self, runtime: Runtime, store: WorldStore
    ) -> None:
        assert runtime.sandbox is not None
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)  # login_code: 1
        await gateway.send_message(creds, "ivan_test", "one", random_id=1)  # 2
        await runtime.sandbox.add_post("test_channel", "news", 0)  # 3
        await gateway.send_message(creds, "maria_test", "two", random_id=2)  # 4
        await gateway.send_message(creds, "ivan_test", "one again", random_id=1)  # none

        entries = await outbox(runtime)
        assert [(e["seq"], e["type"]) for e in entries] == [
            (1, "login_code"),
            (2, "message"),
            (3, "post"),
            (4, "message"),
        ]
        assert [e["text"] for e in entries if e["type"] == "message"] == ["one", "two"]
        world = await runtime.sandbox.world()
        assert world["seq"] == 4
        assert world["sent"] == {f"{ACCOUNT_PHONE}:1": 2, f"{ACCOUNT_PHONE}:2": 4}
        assert (await beside(store))[0] == 4
        assert "outbox" not in json.loads(await store.redis.get(store.key) or b"{}")

    async def test_a_step_that_raises_records_nothing(
        self, runtime: Runtime, store: WorldStore
    ) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        before = await outbox(runtime)

        def sends_then_fails(world: World) -> None:
            simulated.send_message(world, creds, "ivan_test", "lost", 99)
            raise RuntimeError("half done")

        keys = [simulated.sent_key(ACCOUNT_PHONE, 99)]
        with pytest.raises(RuntimeError):
            await store.update(sends_then_fails, sent_keys=keys)

        assert await outbox(runtime) == before
        assert keys[0].encode() not in (await beside(store))[1]
        # Nothing was delivered, so the same random_id delivers now.
        sent = await gateway.send_message(creds, "ivan_test", "found", random_id=99)
        assert (await outbox(runtime))[-1]["text"] == "found"
        assert sent.message_id == (await outbox(runtime))[-1]["seq"]

    async def test_a_repeated_random_id_is_delivered_once_by_any_process(
        self, runtime: Runtime, store: WorldStore
    ) -> None:
        first = SimulatedGateway(store)
        creds = await signed_in_credentials(first)
        # Another process of the deployment: its own store, nothing kept in memory.
        second = SimulatedGateway(WorldStore(store.redis, store.key))
        one = await first.send_message(creds, "ivan_test", "hi", random_id=7)
        two = await second.send_message(creds, "ivan_test", "hi", random_id=7)
        three = await first.send_message(creds, "ivan_test", "hi", random_id=7)

        assert one.message_id == two.message_id == three.message_id
        assert [e["text"] for e in await outbox(runtime) if e["type"] == "message"] == ["hi"]

    async def test_a_step_must_name_the_sent_keys_it_reads(
        self, runtime: Runtime, store: WorldStore
    ) -> None:
        creds = await signed_in_credentials(SimulatedGateway(store))
        with pytest.raises(LookupError):
            await store.update(lambda w: simulated.send_message(w, creds, "ivan_test", "x", 5))
        assert [e for e in await outbox(runtime) if e["type"] == "message"] == []

    async def test_the_document_does_not_grow_with_the_messages_sent(
        self, runtime: Runtime, store: WorldStore
    ) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        await gateway.send_message(creds, "ivan_test", "warm-up", random_id=1)

        def numbered_in_thousands(world: World) -> None:
            world.state.seq = 1000  # the last number written takes as many digits after

        await store.update(numbered_in_thousands)
        size = await store.redis.strlen(store.key)

        await asyncio.gather(
            *(
                gateway.send_message(creds, "ivan_test", f"message {n}", random_id=n)
                for n in range(2, 1002)
            )
        )

        assert await store.redis.strlen(store.key) == size
        length, sent = await beside(store)
        assert (length, len(sent)) == (1002, 1001)  # the login code and 1,001 messages
        assert (await stored(store)).seq == 2000

    async def test_the_outbox_keeps_the_last_entries(
        self, runtime: Runtime, store: WorldStore
    ) -> None:
        def posts(world: World) -> None:
            channel = world.channel("test_channel")
            for n in range(MAX_OUTBOX + 5):
                world.add_post(channel, f"post {n}", 0, "sandbox")

        await store.update(posts)
        entries = await outbox(runtime)
        assert len(entries) == MAX_OUTBOX
        assert entries[0]["seq"] == 6
        assert entries[-1]["seq"] == MAX_OUTBOX + 5

    async def test_a_replaced_world_starts_with_an_empty_outbox(
        self, runtime: Runtime, store: WorldStore
    ) -> None:
        assert runtime.sandbox is not None
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        await gateway.send_message(creds, "ivan_test", "hi", random_id=7)
        await runtime.sandbox.add_post("test_channel", "kept", 0)
        await runtime.sandbox.load_world({"users": [{"id": 1003, "first_name": "O"}]}, merge=True)
        assert len(await outbox(runtime)) == 3  # a merge keeps it

        await load_world(runtime)  # a replacement

        world = await runtime.sandbox.world()
        assert (world["outbox"], world["sent"], world["seq"]) == ([], {}, 0)
        creds = await signed_in_credentials(gateway)
        sent = await gateway.send_message(creds, "ivan_test", "hi again", random_id=7)
        assert sent.message_id == 2
        assert [e["text"] for e in await outbox(runtime) if e["type"] == "message"] == ["hi again"]


class TestAWorldStoredByAnOlderTghub:
    """Its document still holds the outbox and the sent index: they read as before, and the
    next step moves them into their own structures."""

    async def test_its_outbox_and_sent_index_move_out_of_the_document(
        self, runtime: Runtime, store: WorldStore
    ) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        await store.redis.delete(store.outbox_key, store.sent_key)
        old = (await stored(store)).model_dump(mode="json")
        old["outbox"] = [
            {"seq": 1, "type": "login_code", "at": "2026-01-01T00:00:00+00:00", "phone": "+7999"},
            {
                "seq": 2,
                "type": "message",
                "at": "2026-01-01T00:00:01+00:00",
                "account": ACCOUNT_PHONE,
                "user_id": 1001,
                "text": "old",
                "random_id": "7",
            },
        ]
        old["sent"], old["seq"] = {f"{ACCOUNT_PHONE}:7": 2}, 2
        await store.redis.set(store.key, json.dumps(old))
        assert runtime.sandbox is not None
        assert [e["seq"] for e in await outbox(runtime)] == [1, 2]

        again = await gateway.send_message(creds, "ivan_test", "old", random_id=7)
        new = await gateway.send_message(creds, "ivan_test", "new", random_id=8)

        assert (again.message_id, new.message_id) == (2, 3)
        assert [e["seq"] for e in await outbox(runtime)] == [1, 2, 3]
        document = json.loads(await store.redis.get(store.key) or b"{}")
        assert "outbox" not in document
        assert "sent" not in document
        assert (await beside(store))[1] == {
            f"{ACCOUNT_PHONE}:7".encode(): b"2",
            f"{ACCOUNT_PHONE}:8".encode(): b"3",
        }
