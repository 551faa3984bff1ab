"""Sandbox controls: drive the simulated world from outside (admins, tests, the README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from domain.adapters.simworld.world import Doc, World, load_document
from domain.errors import Invalid

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from domain.adapters.simworld.store import WorldStore
    from domain.ports import TelegramSandbox
    from domain.types import TelegramID

DEMO_WORLD = Path(__file__).with_name("demo_world.yaml")


def read_world_file(path: Path) -> Doc:
    """A world file, JSON or YAML (YAML is a superset, so one parser reads both)."""
    try:
        document = yaml.safe_load(path.read_text())  # type: ignore[no-untyped-call]
    except (OSError, yaml.YAMLError) as exc:
        raise Invalid.single("world", f"{path} cannot be read as a world file: {exc}") from exc
    if not isinstance(document, dict):
        raise Invalid.single("world", f"{path} does not hold a world document")
    return document


def _set_status(world: World, telegram_id: int, online: bool) -> None:
    user = world.user(telegram_id)
    if user.get("schedule") or bool(user.get("online")) != online:
        user["changed_at"] = world.now
    user["online"], user["schedule"] = online, None


def _set_bot_rights(world: World, bot_ref: str, channel_ref: str, post_messages: bool) -> None:
    bot, channel = world.bot_by_ref(bot_ref), world.channel(channel_ref)
    admins: list[Doc] = [a for a in channel.get("admins", []) if a.get("id") != bot["id"]]
    if post_messages:
        admins.append({"id": bot["id"], "post_messages": True})
    channel["admins"] = admins


def _flood(world: World, phone: str, seconds: int) -> None:
    if seconds < 0:
        raise Invalid.single("seconds", "Ensure this value is greater than or equal to 0.")
    world.account(phone)["flood_until"] = world.now + seconds


def _add_post(world: World, channel_ref: str, text: str, views: int) -> int:
    if views < 0:
        raise Invalid.single("views", "Ensure this value is greater than or equal to 0.")
    entry = world.add_post(world.channel(channel_ref), text, views, "sandbox")
    return int(entry["id"])


def _replace(world: World, document: Mapping[str, Any], merge: bool) -> None:
    loaded = load_document(world.state, dict(document), merge=merge, now=world.now)
    _resolve_bot_admins(loaded)
    world.state.clear()
    world.state.update(loaded)


def _resolve_bot_admins(state: Doc) -> None:
    """``{bot: demo_bot}`` in a channel's admins becomes the bot's id."""
    ids = {(b.get("username") or "").lower(): b["id"] for b in state["bots"]}
    for channel in state["channels"]:
        for admin in channel["admins"]:
            if "id" not in admin:
                name = str(admin.pop("bot")).removeprefix("@").lower()
                if name not in ids:
                    raise Invalid.single("world", f"channel admin names an unknown bot {name!r}")
                admin["id"] = ids[name]


class SimulatedSandbox:
    def __init__(self, store: WorldStore) -> None:
        self.store = store

    async def load_world(self, document: Mapping[str, Any], *, merge: bool) -> None:
        try:
            json.dumps(document)
        except (TypeError, ValueError):
            raise Invalid.single("world", "The world must be a JSON document.") from None
        await self.store.update(lambda w: _replace(w, document, merge))

    async def world(self) -> dict[str, Any]:
        def snapshot(world: World) -> Doc:
            return {**world.state, "now": world.now_dt.isoformat()}

        return await self.store.view(snapshot)

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
