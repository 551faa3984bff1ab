"""Telegram accounts (admins): add, sign in, send messages; each Telegram step is a task."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from domain.telegram import service
from resolvers.permissions import require_viewer
from schema.context import Info
from schema.jobs import Task
from schema.permissions import admin_only
from schema.relay import Connection, connection, id_of, page_request
from schema.telegram import (
    AddTelegramAccountInput,
    AddTelegramAccountPayload,
    AddTelegramAccountSuccess,
    RequestTelegramLoginCodeInput,
    RequestTelegramLoginCodePayload,
    RequestTelegramLoginCodeSuccess,
    SendTelegramMessageInput,
    SendTelegramMessagePayload,
    SendTelegramMessageSuccess,
    SetTelegramAccountUsesInput,
    SetTelegramAccountUsesPayload,
    SetTelegramAccountUsesSuccess,
    SignInTelegramAccountInput,
    SignInTelegramAccountPayload,
    SignInTelegramAccountSuccess,
    TelegramAccount,
)

if TYPE_CHECKING:
    import uuid


def account_id_of(value: str) -> uuid.UUID:
    return id_of(value, "TelegramAccount", "accountId")


@strawberry.type
class TelegramQuery:
    @strawberry.field(
        description="Telegram user accounts, ordered by phone.", extensions=admin_only()
    )
    async def telegram_accounts(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[TelegramAccount]:
        viewer = require_viewer(info.context)
        page = page_request(first, after, max_size=info.context.max_page_size)
        async with info.context.uow() as uow:
            found = await service.list_accounts(uow, page, actor=viewer)
        return connection(
            found, TelegramAccount.from_model, service.account_cursor, has_previous=bool(after)
        )


@strawberry.type
class TelegramMutation:
    @strawberry.mutation(
        description="Store an account to sign in (its api_hash encrypted).",
        extensions=admin_only(),
    )
    async def add_telegram_account(
        self, info: Info, input: AddTelegramAccountInput
    ) -> AddTelegramAccountPayload:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            account = await service.add_account(
                uow,
                info.context.secrets,
                actor=viewer,
                phone=input.phone,
                api_id=input.api_id,
                api_hash=input.api_hash,
                uses=None if input.uses is None else list(input.uses),
            )
        return AddTelegramAccountSuccess(account=TelegramAccount.from_model(account))

    @strawberry.mutation(
        description="Set what the account serves (tracking, mailings, invites), replacing its "
        "uses; an empty list keeps the account but takes it out of every pool.",
        extensions=admin_only(),
    )
    async def set_telegram_account_uses(
        self, info: Info, input: SetTelegramAccountUsesInput
    ) -> SetTelegramAccountUsesPayload:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            account = await service.set_account_uses(
                uow,
                actor=viewer,
                account_id=account_id_of(input.account_id),
                uses=list(input.uses),
            )
        return SetTelegramAccountUsesSuccess(account=TelegramAccount.from_model(account))

    @strawberry.mutation(
        description="Ask Telegram to send the account a login code (a task).",
        extensions=admin_only(),
    )
    async def request_telegram_login_code(
        self, info: Info, input: RequestTelegramLoginCodeInput
    ) -> RequestTelegramLoginCodePayload:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            job = await service.request_login_code(
                uow, actor=viewer, account_id=account_id_of(input.account_id)
            )
        return RequestTelegramLoginCodeSuccess(task=Task.from_model(job))

    @strawberry.mutation(
        description="Sign the account in with the code it received (a task).",
        extensions=admin_only(),
    )
    async def sign_in_telegram_account(
        self, info: Info, input: SignInTelegramAccountInput
    ) -> SignInTelegramAccountPayload:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            job = await service.submit_login(
                uow,
                info.context.secrets,
                actor=viewer,
                account_id=account_id_of(input.account_id),
                code=input.code,
                password=input.password,
            )
        return SignInTelegramAccountSuccess(task=Task.from_model(job))

    @strawberry.mutation(
        description="Send a text to each recipient from the account (a task).",
        extensions=admin_only(),
    )
    async def send_telegram_message(
        self, info: Info, input: SendTelegramMessageInput
    ) -> SendTelegramMessagePayload:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            job = await service.queue_messages(
                uow,
                actor=viewer,
                account_id=account_id_of(input.account_id),
                recipients=input.recipients,
                text=input.text,
            )
        return SendTelegramMessageSuccess(task=Task.from_model(job))
