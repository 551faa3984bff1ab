"""The world store keeps the world it last wrote, so the next step need not parse it again:
never a world other than the one Redis holds, never one a failed step changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from redis.asyncio import Redis

from domain.adapters.simulated.document import WorldState
from domain.adapters.simulated.store import WorldStore
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.errors import ExternalUnavailable
from domain.telegram.model import AccountCredentials
from domain.types import TelegramID
from tests.world import ACCOUNT_PHONE, API_HASH, load_world
from tghub.embedded import free_port

if TYPE_CHECKING:
    from domain.adapters.simulated.world import World
    from domain.bootstrap import Runtime


async def stored(store: WorldStore) -> WorldState:
    return WorldState.model_validate_json(await store.redis.get(store.key) or b"")


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
