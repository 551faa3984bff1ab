"""Telegram accounts (admins): add, sign in, send messages; each Telegram step is a task."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from domain.errors import NotFound
from domain.telegram import service
from resolvers.permissions import require_admin
from schema.context import Info
from schema.jobs import Task, TaskQueued
from schema.relay import Connection, connection, page_request, uuid_or_none
from schema.telegram import (
    AddTelegramAccountInput,
    AddTelegramAccountPayload,
    RequestTelegramLoginCodeInput,
    SendTelegramMessageInput,
    SignInTelegramAccountInput,
    TelegramAccount,
    TelegramAccountSuccess,
    TelegramTaskPayload,
)

if TYPE_CHECKING:
    import uuid

    from strawberry.relay import GlobalID


def account_id(global_id: GlobalID) -> uuid.UUID:
    found = uuid_or_none(global_id.node_id) if global_id.type_name == "TelegramAccount" else None
    if found is None:
        raise NotFound("Telegram account", global_id.node_id)
    return found


@strawberry.type
class TelegramQuery:
    @strawberry.field(description="Telegram user accounts, ordered by phone (admins).")
    async def telegram_accounts(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[TelegramAccount]:
        require_admin(info.context)
        page = page_request(first, after, max_size=info.context.max_page_size)
        async with info.context.uow() as uow:
            found = await service.list_accounts(uow, page)
        return connection(
            found, TelegramAccount.from_model, service.account_cursor, has_previous=bool(after)
        )


@strawberry.type
class TelegramMutation:
    @strawberry.mutation(description="Store an account to sign in (its api_hash encrypted).")
    async def add_telegram_account(
        self, info: Info, input: AddTelegramAccountInput
    ) -> AddTelegramAccountPayload:
        require_admin(info.context)
        async with info.context.uow() as uow:
            account = await service.add_account(
                uow,
                info.context.secrets,
                phone=input.phone,
                api_id=input.api_id,
                api_hash=input.api_hash,
            )
        return TelegramAccountSuccess(account=TelegramAccount.from_model(account))

    @strawberry.mutation(description="Ask Telegram to send the account a login code (a task).")
    async def request_telegram_login_code(
        self, info: Info, input: RequestTelegramLoginCodeInput
    ) -> TelegramTaskPayload:
        viewer = require_admin(info.context)
        async with info.context.uow() as uow:
            job = await service.request_login_code(
                uow, account_id=account_id(input.account_id), requested_by=viewer.user.id
            )
        return TaskQueued(task=Task.from_model(job))

    @strawberry.mutation(description="Sign the account in with the code it received (a task).")
    async def sign_in_telegram_account(
        self, info: Info, input: SignInTelegramAccountInput
    ) -> TelegramTaskPayload:
        viewer = require_admin(info.context)
        async with info.context.uow() as uow:
            job = await service.submit_login(
                uow,
                info.context.secrets,
                account_id=account_id(input.account_id),
                code=input.code,
                password=input.password,
                requested_by=viewer.user.id,
            )
        return TaskQueued(task=Task.from_model(job))

    @strawberry.mutation(description="Send a text to each recipient from the account (a task).")
    async def send_telegram_message(
        self, info: Info, input: SendTelegramMessageInput
    ) -> TelegramTaskPayload:
        viewer = require_admin(info.context)
        async with info.context.uow() as uow:
            job = await service.queue_messages(
                uow,
                account_id=account_id(input.account_id),
                recipients=input.recipients,
                text=input.text,
                requested_by=viewer.user.id,
            )
        return TaskQueued(task=Task.from_model(job))
