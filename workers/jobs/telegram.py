"""Jobs of Telegram user accounts."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from domain.access import System
from domain.telegram import service as telegram

if TYPE_CHECKING:
    from workers.deps import WorkerDeps


async def send_login_code(deps: WorkerDeps, job_id: str, *, account_id: str) -> dict[str, Any]:
    async with deps.uow() as uow:
        return await telegram.deliver_login_code(
            uow,
            deps.gateway,
            deps.secrets,
            actor=System(telegram.SEND_LOGIN_CODE),
            job_id=job_id,
            account_id=uuid.UUID(account_id),
        )


async def sign_in(deps: WorkerDeps, job_id: str, *, account_id: str) -> dict[str, Any]:
    async with deps.uow() as uow:
        return await telegram.complete_sign_in(
            uow,
            deps.gateway,
            deps.secrets,
            deps.clock,
            actor=System(telegram.SIGN_IN),
            job_id=job_id,
            account_id=uuid.UUID(account_id),
        )


async def send_messages(
    deps: WorkerDeps, job_id: str, *, account_id: str, recipients: list[str], text: str
) -> dict[str, Any]:
    async with deps.uow() as uow:
        return await telegram.deliver_messages(
            uow,
            deps.gateway,
            deps.secrets,
            actor=System(telegram.SEND_MESSAGES),
            job_id=job_id,
            account_id=uuid.UUID(account_id),
            recipients=recipients,
            text=text,
        )
