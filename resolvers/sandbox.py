"""The sandbox: admins drive the simulated Telegram (present only in simulated mode)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import strawberry
from strawberry.scalars import JSON

from domain.errors import ExternalUnavailable, Invalid
from domain.types import TelegramID
from resolvers.permissions import require_admin
from schema.context import Info
from schema.scalars import BigInt
from schema.telegram import SandboxPayload, SandboxResult

if TYPE_CHECKING:
    from domain.ports import TelegramSandbox
    from schema.context import Context


def sandbox(context: Context) -> TelegramSandbox:
    require_admin(context)
    if context.sandbox is None:  # the schema has no sandbox fields then; kept for safety
        raise ExternalUnavailable("The sandbox exists only with the simulated Telegram.")
    return context.sandbox


async def _result(box: TelegramSandbox, message_id: int | None = None) -> SandboxResult:
    return SandboxResult(now=await box.now(), message_id=message_id)


@strawberry.type
class SandboxQuery:
    @strawberry.field(description="The whole simulated world, with the outbox of what tghub did.")
    async def sandbox_world(self, info: Info) -> JSON:
        world: dict[str, Any] = await sandbox(info.context).world()
        return cast("JSON", world)


@strawberry.type
class SandboxMutation:
    @strawberry.mutation(description="Load a world document (merge upserts by id; else replace).")
    async def sandbox_load_world(
        self, info: Info, world: JSON, merge: bool = True
    ) -> SandboxPayload:
        box = sandbox(info.context)
        if not isinstance(world, dict):
            raise Invalid.single("world", "The world is a JSON object.")
        await box.load_world(world, merge=merge)
        return await _result(box)

    @strawberry.mutation(description="Make a Telegram user go online or offline now.")
    async def sandbox_set_user_status(
        self, info: Info, telegram_id: BigInt, online: bool
    ) -> SandboxPayload:
        box = sandbox(info.context)
        await box.set_user_status(TelegramID(telegram_id), online=online)
        return await _result(box)

    @strawberry.mutation(description="Grant or revoke a bot's right to post in a channel.")
    async def sandbox_set_bot_rights(
        self, info: Info, bot: str, channel: str, post_messages: bool
    ) -> SandboxPayload:
        box = sandbox(info.context)
        await box.set_bot_rights(bot, channel, post_messages=post_messages)
        return await _result(box)

    @strawberry.mutation(description="Publish a post in a channel, with initial views.")
    async def sandbox_add_post(
        self, info: Info, channel: str, text: str, views: int = 0
    ) -> SandboxPayload:
        box = sandbox(info.context)
        return await _result(box, await box.add_post(channel, text, views))

    @strawberry.mutation(description="Flood-limit an account for this many seconds.")
    async def sandbox_set_account_flood(
        self, info: Info, phone: str, seconds: int
    ) -> SandboxPayload:
        box = sandbox(info.context)
        await box.set_account_flood(phone, seconds)
        return await _result(box)

    @strawberry.mutation(description="Move the simulated clock forward.")
    async def sandbox_advance_clock(self, info: Info, seconds: float) -> SandboxPayload:
        box = sandbox(info.context)
        return SandboxResult(now=await box.advance_clock(seconds))
