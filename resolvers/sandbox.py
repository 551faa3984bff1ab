"""The sandbox: admins drive the simulated Telegram (present only in simulated mode)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import strawberry
from strawberry.scalars import JSON

from domain.errors import Invalid
from domain.telegram import service
from domain.types import TelegramID
from resolvers.permissions import require_viewer
from schema.context import Info
from schema.permissions import admin_only
from schema.sandbox import (
    SandboxAddPostInput,
    SandboxAddPostPayload,
    SandboxAddPostSuccess,
    SandboxAdvanceClockInput,
    SandboxAdvanceClockPayload,
    SandboxAdvanceClockSuccess,
    SandboxLoadWorldInput,
    SandboxLoadWorldPayload,
    SandboxLoadWorldSuccess,
    SandboxSetAccountFloodInput,
    SandboxSetAccountFloodPayload,
    SandboxSetAccountFloodSuccess,
    SandboxSetBotRightsInput,
    SandboxSetBotRightsPayload,
    SandboxSetBotRightsSuccess,
    SandboxSetUserStatusInput,
    SandboxSetUserStatusPayload,
    SandboxSetUserStatusSuccess,
)

if TYPE_CHECKING:
    from domain.ports import TelegramSandbox


def controls(info: Info) -> TelegramSandbox:
    return service.sandbox_controls(require_viewer(info.context), info.context.sandbox)


@strawberry.type
class SandboxQuery:
    @strawberry.field(
        description="The whole simulated world, with the outbox of what tghub did.",
        extensions=admin_only(),
    )
    async def sandbox_world(self, info: Info) -> JSON:
        world: dict[str, Any] = await controls(info).world()
        return cast("JSON", world)


@strawberry.type
class SandboxMutation:
    @strawberry.mutation(
        description="Load a world document (merge upserts by id; else replace).",
        extensions=admin_only(),
    )
    async def sandbox_load_world(
        self, info: Info, input: SandboxLoadWorldInput
    ) -> SandboxLoadWorldPayload:
        box = controls(info)
        if not isinstance(input.world, dict):
            raise Invalid.single("world", "The world is a JSON object.")
        await box.load_world(input.world, merge=input.merge)
        return SandboxLoadWorldSuccess(now=await box.now())

    @strawberry.mutation(
        description="Make a Telegram user go online or offline now.", extensions=admin_only()
    )
    async def sandbox_set_user_status(
        self, info: Info, input: SandboxSetUserStatusInput
    ) -> SandboxSetUserStatusPayload:
        box = controls(info)
        await box.set_user_status(TelegramID(input.telegram_id), online=input.online)
        return SandboxSetUserStatusSuccess(now=await box.now())

    @strawberry.mutation(
        description="Grant or revoke a bot's right to post in a channel.", extensions=admin_only()
    )
    async def sandbox_set_bot_rights(
        self, info: Info, input: SandboxSetBotRightsInput
    ) -> SandboxSetBotRightsPayload:
        box = controls(info)
        await box.set_bot_rights(input.bot, input.channel, post_messages=input.post_messages)
        return SandboxSetBotRightsSuccess(now=await box.now())

    @strawberry.mutation(
        description="Publish a post in a channel, with initial views.", extensions=admin_only()
    )
    async def sandbox_add_post(
        self, info: Info, input: SandboxAddPostInput
    ) -> SandboxAddPostPayload:
        box = controls(info)
        message_id = await box.add_post(input.channel, input.text, input.views)
        return SandboxAddPostSuccess(now=await box.now(), message_id=message_id)

    @strawberry.mutation(
        description="Flood-limit an account for this many seconds.", extensions=admin_only()
    )
    async def sandbox_set_account_flood(
        self, info: Info, input: SandboxSetAccountFloodInput
    ) -> SandboxSetAccountFloodPayload:
        box = controls(info)
        await box.set_account_flood(input.phone, input.seconds)
        return SandboxSetAccountFloodSuccess(now=await box.now())

    @strawberry.mutation(description="Move the simulated clock forward.", extensions=admin_only())
    async def sandbox_advance_clock(
        self, info: Info, input: SandboxAdvanceClockInput
    ) -> SandboxAdvanceClockPayload:
        return SandboxAdvanceClockSuccess(now=await controls(info).advance_clock(input.seconds))
