"""Sandbox controls: drive the simulated world from outside (admins, tests, the README)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.adapters.simulated.document import Admin, WorldState
from domain.adapters.simulated.world import World, apply_document, load_document
from domain.errors import Invalid

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from domain.adapters.simulated.document import WorldDocument
    from domain.adapters.simulated.store import WorldStore
    from domain.ports import TelegramSandbox
    from domain.types import TelegramID

DEMO_WORLD = Path(__file__).with_name("demo_world.yaml")


def _set_status(world: World, telegram_id: int, online: bool) -> None:
    world.set_status(world.user(telegram_id), online)


def _set_bot_rights(world: World, bot_ref: str, channel_ref: str, post_messages: bool) -> None:
    bot, channel = world.bot_by_ref(bot_ref), world.channel(channel_ref)
    channel.admins = [admin for admin in channel.admins if admin.id != bot.id]
    if post_messages:
        channel.admins.append(Admin(id=bot.id, post_messages=True))


def _flood(world: World, phone: str, seconds: int) -> None:
    if seconds < 0:
        raise Invalid.single("seconds", "Ensure this value is greater than or equal to 0.")
    world.account(phone).flood_until = world.now + seconds


def _add_post(world: World, channel_ref: str, text: str, views: int) -> int:
    if views < 0:
        raise Invalid.single("views", "Ensure this value is greater than or equal to 0.")
    return world.add_post(world.channel(channel_ref), text, views, "sandbox").id


def _load(world: World, document: Mapping[str, Any], merge: bool) -> None:
    world.state = load_document(world.state, document, merge=merge, now=world.now)


def _seed(world: World, document: WorldDocument) -> None:
    world.state = apply_document(WorldState(), document, world.now)


class SimulatedSandbox:
    def __init__(self, store: WorldStore) -> None:
        self.store = store

    async def load_world(self, document: Mapping[str, Any], *, merge: bool) -> None:
        """Merge (upsert by id) or replace; WorldInvalid names each field in error."""
        # A replacement needs nothing of the world it replaces, not even one that no longer
        # reads (stored by an older tghub): it starts from an empty world.
        await self.store.update(lambda w: _load(w, document, merge), fresh=not merge)

    async def replace_world(self, document: WorldDocument) -> None:
        """Replace the world with a checked document (a world file: ``read_world_file``)."""
        await self.store.update(lambda w: _seed(w, document), fresh=True)

    async def world(self) -> dict[str, Any]:
        world, outbox, sent, contacts, members = await self.store.snapshot()
        state = world.state.model_dump(mode="json")
        state["outbox"], state["sent"] = outbox, sent  # kept beside the document
        for account in state["accounts"]:  # and so are the contacts
            account["contacts"] = contacts.get(account["id"], [])
        for channel in state["channels"]:  # and the members
            channel["members"] = members.get(channel["id"], [])
        return {**state, "now": world.now_dt.isoformat()}

    async def set_user_status(self, telegram_id: TelegramID, *, online: bool) -> None:
        await self.store.update(lambda w: _set_status(w, telegram_id, online))

    async def set_bot_rights(self, bot: str, channel: str, *, post_messages: bool) -> None:
        await self.store.update(lambda w: _set_bot_rights(w, bot, channel, post_messages))

    async def add_post(self, channel: str, text: str, views: int) -> int:
        return await self.store.update(lambda w: _add_post(w, channel, text, views))

    async def set_account_flood(self, phone: str, seconds: int) -> None:
        await self.store.update(lambda w: _flood(w, phone, seconds))

    async def now(self) -> datetime:
        return await self.store.view(lambda world: world.now_dt)

    async def advance_clock(self, seconds: float) -> datetime:
        def advance(world: World) -> datetime:
            world.advance(seconds)
            return world.now_dt

        return await self.store.update(advance)


if TYPE_CHECKING:
    _conforms: type[TelegramSandbox] = SimulatedSandbox
