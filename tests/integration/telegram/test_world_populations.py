"""Populations and contacts in the world store: a population is a rule in the document however
many users it has, and the accounts' contacts are a Redis set beside the document, written in
the step's transaction, shown by sandboxWorld, and read back by every process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any, cast

import pytest
import yaml

from domain.adapters.simulated.store import WorldStore
from domain.adapters.telegram import simulated
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.telegram.errors import PrivacyRestricted
from domain.types import TelegramID
from tests.conftest import started_runtime
from tests.world import (
    ACCOUNT_PHONE,
    load_world,
    signed_in_credentials,
    stored_document,
    stored_set,
    world,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator
    from pathlib import Path

    from domain.adapters.simulated.sandbox import SimulatedSandbox
    from domain.adapters.simulated.world import World
    from domain.bootstrap import Runtime
    from domain.settings import Settings
    from domain.telegram.model import AccountCredentials, StatusObservation

FIRST = 7_000_000_000
PEOPLE: dict[str, Any] = {
    "first_id": FIRST,
    "count": 100_000,
    "phone_from": "+79000000000",
    "username_prefix": "client_",
}
# Shows its status and takes invites from its contacts only, and the account is one of them.
FRIENDS: dict[str, Any] = {
    "first_id": 8_000_000_000,
    "count": 10,
    "privacy": {"status": "contacts", "invites": "contacts"},
    "contacts": [9001],
}
# The same privacy, without the account among its contacts.
STRANGERS: dict[str, Any] = {**FRIENDS, "first_id": 8_100_000_000, "contacts": []}


def with_populations(**account: Any) -> dict[str, Any]:
    document = world(**account)
    document["populations"] = [PEOPLE, FRIENDS, STRANGERS]
    return document


@pytest.fixture
async def store(runtime: Runtime) -> WorldStore:
    await load_world(runtime, with_populations())
    assert runtime.world is not None
    return runtime.world


@pytest.fixture
def sandbox(runtime: Runtime) -> SimulatedSandbox:
    assert runtime.sandbox is not None
    return runtime.sandbox


async def shown_contacts(sandbox: SimulatedSandbox) -> list[int]:
    (account,) = (await sandbox.world())["accounts"]
    contacts: list[int] = account["contacts"]
    return contacts


async def first_update(
    gateway: SimulatedGateway, creds: AccountCredentials, sandbox: SimulatedSandbox, user_id: int
) -> StatusObservation:
    """The first status update the account's stream yields, while the sandbox turns the user
    on and off (the stream sees only changes after it first looked, a moment it does not tell
    from outside)."""
    stream = cast("AsyncGenerator[StatusObservation, None]", gateway.status_updates(creds))
    update = asyncio.ensure_future(anext(stream))
    deadline = time.monotonic() + 30
    try:
        online = True
        while not update.done() and time.monotonic() < deadline:
            await sandbox.set_user_status(TelegramID(user_id), online=online)
            await asyncio.wait({update}, timeout=1)
            online = not online
        assert update.done(), "no status update in 30 s"
        return update.result()
    finally:
        update.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await update
        await stream.aclose()


class TestContactsBesideTheDocument:
    async def test_an_import_adds_one_entry_to_the_set_not_to_the_document(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)

        found = [
            await gateway.import_phone(creds, phone)
            for phone in ("+79000099999", "+79990000001", "+7 900 000-00-05", "+79000099999")
        ]
        nobody = await gateway.import_phone(creds, "+10000000000")

        assert [user.id if user else None for user in found] == [
            FIRST + 99_999, 1001, FIRST + 5, FIRST + 99_999
        ]  # fmt: skip
        assert nobody is None
        assert await stored_set(store, store.contacts_key) == {
            f"9001:{FIRST + 99_999}",
            "9001:1001",
            f"9001:{FIRST + 5}",
        }
        assert (await stored_document(store))["accounts"][0]["contacts"] == []
        assert await shown_contacts(sandbox) == [1001, FIRST + 5, FIRST + 99_999]
        # Another process of the deployment reads the same contacts.
        other = WorldStore(store.redis, store.key)
        assert await stored_set(other, other.contacts_key) == await stored_set(
            store, store.contacts_key
        )

    async def test_the_document_does_not_grow_with_the_contacts(self, store: WorldStore) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        await gateway.import_phone(creds, "+79990000001")  # the account's first calls of each
        await gateway.send_message(creds, "1001", "warm-up", random_id=1_000)

        def numbered_in_thousands(world: World) -> None:
            world.state.seq = 1000  # the last number written takes as many digits after

        await store.update(numbered_in_thousands)
        size = await store.redis.strlen(store.key)

        for n in range(300):
            user = await gateway.import_phone(creds, f"+7900000{n:04d}")
            assert user is not None
            await gateway.send_message(creds, str(user.id), f"hello {n}", random_id=n + 1)

        assert await store.redis.strlen(store.key) == size
        assert len(await stored_set(store, store.contacts_key)) == 301

    async def test_a_step_that_raises_adds_no_contact(self, store: WorldStore) -> None:
        creds = await signed_in_credentials(SimulatedGateway(store))

        def imports_then_fails(world: World) -> None:
            simulated.import_phone(world, creds, "+79000000001")
            raise RuntimeError("half done")

        with pytest.raises(RuntimeError):
            await store.update(imports_then_fails)

        assert await stored_set(store, store.contacts_key) == set()

    async def test_a_merge_keeps_them_and_a_replacement_empties_them(
        self, runtime: Runtime, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        await gateway.import_phone(creds, "+79000000001")

        await sandbox.load_world({"accounts": [{"id": 9001, "latency": {}}]}, merge=True)
        assert await shown_contacts(sandbox) == [FIRST + 1]

        await load_world(runtime, with_populations())
        assert await shown_contacts(sandbox) == []
        assert await stored_set(store, store.contacts_key) == set()

    async def test_contacts_a_document_gives_move_into_the_set(
        self, runtime: Runtime, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        await load_world(runtime, with_populations(contacts=[1002, FIRST + 3]))

        assert await stored_set(store, store.contacts_key) == {"9001:1002", f"9001:{FIRST + 3}"}
        assert (await stored_document(store))["accounts"][0]["contacts"] == []

        await sandbox.load_world({"accounts": [{"id": 9001, "contacts": [1003]}]}, merge=True)

        assert await shown_contacts(sandbox) == [1002, 1003, FIRST + 3]  # a merge adds

    async def test_an_older_tghubs_contacts_in_the_document_read_and_move_out(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        old = await stored_document(store)
        old["accounts"][0]["contacts"] = [1001, 1002]
        del old["populations"], old["population_statuses"]  # an older tghub had neither
        await store.redis.set(store.key, json.dumps(old))

        assert await shown_contacts(sandbox) == [1001, 1002]

        creds = await signed_in_credentials(SimulatedGateway(store))  # any step
        await SimulatedGateway(store).import_phone(creds, "+79990000003")

        assert await stored_set(store, store.contacts_key) == {
            "9001:1001",
            "9001:1002",
            "9001:1003",
        }
        assert (await stored_document(store))["accounts"][0]["contacts"] == []
        assert await shown_contacts(sandbox) == [1001, 1002, 1003]


class TestDeletedContacts:
    """delete_contact removes the entry from the contacts set (SREM) in the step's
    transaction, reading none of it, and records a ``contact_delete`` entry."""

    async def test_a_delete_removes_one_entry_from_the_set(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        for phone in ("+79990000001", "+79000000005"):
            await gateway.import_phone(creds, phone)

        await gateway.delete_contact(creds, TelegramID(FIRST + 5))
        await gateway.delete_contact(creds, TelegramID(FIRST + 5))  # no error, nothing more

        assert await stored_set(store, store.contacts_key) == {"9001:1001"}
        assert await shown_contacts(sandbox) == [1001]
        # Another process of the deployment reads the same contacts.
        other = WorldStore(store.redis, store.key)
        assert await stored_set(other, other.contacts_key) == {"9001:1001"}
        deleted = [e for e in (await sandbox.world())["outbox"] if e["type"] == "contact_delete"]
        assert [(e["account"], e["user_id"]) for e in deleted] == [(ACCOUNT_PHONE, FIRST + 5)] * 2

    async def test_a_step_that_raises_deletes_no_contact(self, store: WorldStore) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        await gateway.import_phone(creds, "+79990000001")

        def deletes_then_fails(world: World) -> None:
            simulated.delete_contact(world, creds, 1001)
            raise RuntimeError("half done")

        with pytest.raises(RuntimeError):
            await store.update(deletes_then_fails)

        assert await stored_set(store, store.contacts_key) == {"9001:1001"}

    async def test_a_contact_a_document_gives_is_deleted(
        self, runtime: Runtime, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        await load_world(runtime, with_populations(contacts=[1002, FIRST + 3]))
        creds = await signed_in_credentials(SimulatedGateway(store))

        await SimulatedGateway(store).delete_contact(creds, TelegramID(1002))

        assert await stored_set(store, store.contacts_key) == {f"9001:{FIRST + 3}"}
        assert await shown_contacts(sandbox) == [FIRST + 3]

    async def test_an_older_tghubs_contact_deleted_in_the_step_that_moves_them(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        creds = await signed_in_credentials(SimulatedGateway(store))
        old = await stored_document(store)
        old["accounts"][0]["contacts"] = [1001, 1002]
        await store.redis.set(store.key, json.dumps(old))

        await SimulatedGateway(store).delete_contact(creds, TelegramID(1001))

        assert await stored_set(store, store.contacts_key) == {"9001:1002"}
        assert (await stored_document(store))["accounts"][0]["contacts"] == []
        assert await shown_contacts(sandbox) == [1002]


class TestPopulationsInRedis:
    async def test_a_population_of_100000_is_a_rule_in_the_document(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)

        user = await gateway.import_phone(creds, "+79000099999")
        assert user is not None
        sent = await gateway.send_message(creds, "client_99999", "hi", random_id=5)

        assert (user.id, user.username, sent.user_id) == (FIRST + 99_999, "client_99999", user.id)
        assert await store.redis.strlen(store.key) < 5_000
        state = await sandbox.world()
        assert [p["count"] for p in state["populations"]] == [100_000, 10, 10]
        assert len(state["users"]) == 3
        assert state["outbox"][-1]["user_id"] == FIRST + 99_999

    async def test_privacy_follows_the_populations_contacts(self, store: WorldStore) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)

        friend, stranger = await gateway.user_statuses(creds, ["8000000001", "8100000001"])
        invited = await gateway.invite_to_channel(creds, "test_channel", TelegramID(8_000_000_001))
        with pytest.raises(PrivacyRestricted):
            await gateway.invite_to_channel(creds, "test_channel", TelegramID(8_100_000_001))
        # Importing a stranger's phone makes them the account's contact, not the other way.
        await gateway.import_phone(creds, "+79000000001")
        (still,) = await gateway.user_statuses(creds, ["8100000001"])

        assert (friend.online, stranger.online, still.online) == (False, None, None)
        assert invited.invited

    async def test_a_status_the_sandbox_sets_is_kept_for_that_user_only(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        gateway = SimulatedGateway(store, poll_interval=0.05)
        creds = await signed_in_credentials(gateway)

        seen = await first_update(gateway, creds, sandbox, FIRST + 7)

        assert seen.user_id == FIRST + 7
        await sandbox.set_user_status(TelegramID(FIRST + 7), online=True)
        online, offline = await gateway.user_statuses(creds, [str(FIRST + 7), str(FIRST + 8)])
        assert (online.online, offline.online) == (True, False)
        assert list((await stored_document(store))["population_statuses"]) == [str(FIRST + 7)]


class TestAWorldFile:
    async def test_a_population_in_the_world_file_seeds_the_world(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        path = tmp_path / "world.yaml"
        path.write_text(yaml.safe_dump(with_populations()))
        seeded = settings.model_copy(update={"telegram_world": path})

        async with started_runtime(seeded) as runtime:  # seeds a world Redis does not hold
            assert runtime.world is not None
            gateway = SimulatedGateway(runtime.world)
            creds = await signed_in_credentials(gateway)
            user = await gateway.import_phone(creds, "+79000012345")

            assert user is not None
            assert user.id == FIRST + 12_345
            assert await runtime.world.redis.strlen(runtime.world.key) < 5_000
