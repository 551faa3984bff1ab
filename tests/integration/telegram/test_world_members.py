"""Channel members in the world store: a Redis set beside the document ("channel id:user id"),
written in the step's transaction, looked up under the step's WATCH, shown by sandboxWorld and
read back by every process, so an invite campaign does not grow the document."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from domain.adapters.simulated.store import WorldStore
from domain.adapters.telegram import simulated
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.telegram.errors import InviteNotVisible
from domain.types import TelegramID
from tests.world import (
    load_world,
    signed_in_credentials,
    stored_document,
    stored_set,
    world,
)

if TYPE_CHECKING:
    from domain.adapters.simulated.sandbox import SimulatedSandbox
    from domain.adapters.simulated.world import World
    from domain.bootstrap import Runtime

FIRST = 7_000_000_000
CHANNEL = -1001234567890
PEOPLE: dict[str, Any] = {"first_id": FIRST, "count": 100_000, "phone_from": "+79000000000"}


def with_people(**account: Any) -> dict[str, Any]:
    document = world(**account)
    document["populations"] = [PEOPLE]
    return document


@pytest.fixture
async def store(runtime: Runtime) -> WorldStore:
    await load_world(runtime, with_people())
    assert runtime.world is not None
    return runtime.world


@pytest.fixture
def sandbox(runtime: Runtime) -> SimulatedSandbox:
    assert runtime.sandbox is not None
    return runtime.sandbox


async def shown_members(sandbox: SimulatedSandbox) -> list[int]:
    (channel,) = (await sandbox.world())["channels"]
    members: list[int] = channel["members"]
    return members


async def invites(sandbox: SimulatedSandbox) -> list[int]:
    """The users the outbox shows invited, in order."""
    return [e["user_id"] for e in (await sandbox.world())["outbox"] if e["type"] == "invite"]


class TestMembersBesideTheDocument:
    async def test_an_invite_adds_one_entry_to_the_set_not_to_the_document(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)

        for user in (FIRST + 2, FIRST + 1):
            outcome = await gateway.invite_to_channel(creds, "test_channel", TelegramID(user))
            assert (outcome.invited, outcome.channel_id) == (True, CHANNEL)

        assert await stored_set(store, store.members_key) == {
            f"{CHANNEL}:1001",  # the world file's member, moved beside the document
            f"{CHANNEL}:{FIRST + 1}",
            f"{CHANNEL}:{FIRST + 2}",
        }
        assert (await stored_document(store))["channels"][0]["members"] == []
        assert await shown_members(sandbox) == [1001, FIRST + 1, FIRST + 2]
        assert await invites(sandbox) == [FIRST + 2, FIRST + 1]

    async def test_a_member_is_not_invited_again_by_any_process(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        first = SimulatedGateway(store)
        creds = await signed_in_credentials(first)
        # Another process of the deployment: its own store, nothing kept in memory.
        second = SimulatedGateway(WorldStore(store.redis, store.key))

        one = await first.invite_to_channel(creds, "test_channel", TelegramID(FIRST + 7))
        # By the channel's invite link: its id is known only once the world is read.
        two = await second.invite_to_channel(creds, "t.me/+AbCdEf", TelegramID(FIRST + 7))
        listed = await second.invite_to_channel(creds, str(CHANNEL), TelegramID(1001))

        assert (one.invited, two.invited, listed.invited) == (True, False, False)
        assert await invites(sandbox) == [FIRST + 7]

    async def test_the_document_does_not_grow_with_the_invites(self, store: WorldStore) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        await gateway.invite_to_channel(creds, "test_channel", TelegramID(FIRST))  # warm-up

        def numbered_in_thousands(world: World) -> None:
            world.state.seq = 1000  # the last number written takes as many digits after

        await store.update(numbered_in_thousands)
        size = await store.redis.strlen(store.key)

        for n in range(1, 301):
            await gateway.invite_to_channel(creds, "test_channel", TelegramID(FIRST + n))

        assert await store.redis.strlen(store.key) == size
        assert len(await stored_set(store, store.members_key)) == 302  # 1001, the warm-up and 300

    async def test_a_step_that_raises_adds_no_member(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        creds = await signed_in_credentials(SimulatedGateway(store))
        key = f"{CHANNEL}:{FIRST}"

        def invites_then_fails(world: World) -> None:
            simulated.invite_to_channel(world, creds, "test_channel", FIRST)
            raise RuntimeError("half done")

        with pytest.raises(RuntimeError):
            await store.update(invites_then_fails, member_keys=lambda w: [key])

        assert await stored_set(store, store.members_key) == {f"{CHANNEL}:1001"}
        assert await invites(sandbox) == []

    async def test_a_step_must_name_the_member_keys_it_reads(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        creds = await signed_in_credentials(SimulatedGateway(store))
        with pytest.raises(LookupError):
            await store.update(
                lambda w: simulated.invite_to_channel(w, creds, "test_channel", FIRST)
            )
        assert await invites(sandbox) == []

    async def test_a_merge_keeps_them_and_a_replacement_empties_them(
        self, runtime: Runtime, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        await gateway.invite_to_channel(creds, "test_channel", TelegramID(FIRST))

        await sandbox.load_world({"channels": [{"id": CHANNEL, "title": "Renamed"}]}, merge=True)
        assert await shown_members(sandbox) == [1001, FIRST]
        await sandbox.load_world({"channels": [{"id": CHANNEL, "members": [1002]}]}, merge=True)
        assert await shown_members(sandbox) == [1001, 1002, FIRST]  # a merge adds

        await load_world(runtime, with_people())
        assert await shown_members(sandbox) == [1001]
        assert await stored_set(store, store.members_key) == {f"{CHANNEL}:1001"}

    async def test_an_older_tghubs_members_in_the_document_read_and_move_out(
        self, store: WorldStore, sandbox: SimulatedSandbox
    ) -> None:
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)
        old = await stored_document(store)
        old["channels"][0]["members"] = [1001, FIRST + 9]  # an older tghub kept them here
        await store.redis.delete(store.members_key)
        await store.redis.set(store.key, json.dumps(old))

        assert await shown_members(sandbox) == [1001, FIRST + 9]
        again = await gateway.invite_to_channel(creds, "test_channel", TelegramID(FIRST + 9))

        assert not again.invited
        assert await stored_set(store, store.members_key) == {
            f"{CHANNEL}:1001",
            f"{CHANNEL}:{FIRST + 9}",
        }
        assert (await stored_document(store))["channels"][0]["members"] == []
        assert await shown_members(sandbox) == [1001, FIRST + 9]


class TestOpenInvite:
    """open_invite shows the channel to its members, wherever the store keeps them."""

    @staticmethod
    def not_an_admin(members: list[int]) -> dict[str, Any]:
        document = with_people()
        # The account's own Telegram user, a member (or not) of a channel it does not admin.
        document["users"].append({"id": 9001, "username": "inviter_test"})
        document["channels"][0]["admins"] = [{"bot": "test_bot", "post_messages": True}]
        document["channels"][0]["members"] = members
        return document

    async def test_a_member_from_the_set_sees_the_channel(
        self, runtime: Runtime, store: WorldStore
    ) -> None:
        await load_world(runtime, self.not_an_admin([1001, 9001]))
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)

        assert (await stored_document(store))["channels"][0]["members"] == []
        found = await gateway.open_invite(creds, "https://t.me/+AbCdEf")
        assert found.id == CHANNEL

    async def test_a_non_member_does_not(self, runtime: Runtime, store: WorldStore) -> None:
        await load_world(runtime, self.not_an_admin([1001]))
        gateway = SimulatedGateway(store)
        creds = await signed_in_credentials(gateway)

        with pytest.raises(InviteNotVisible):
            await gateway.open_invite(creds, "https://t.me/+AbCdEf")
