"""Jobs of Telegram user accounts."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from domain.access import System
from domain.telegram import service as telegram
from domain.tracking import service as tracking

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
    """Signs the account in; if it is a tracker, the tracker is authorised (``is_auth``) in a
    second commit, which a re-run of the job repeats (the sign-in itself is not repeated)."""
    actor = System(telegram.SIGN_IN)
    async with deps.uow() as uow:
        result = await telegram.complete_sign_in(
            uow,
            deps.gateway,
            deps.secrets,
            deps.clock,
            actor=actor,
            job_id=job_id,
            account_id=uuid.UUID(account_id),
        )
    async with deps.uow() as uow:
        await tracking.tracker_signed_in(
            uow, actor=actor, telegram_account_id=uuid.UUID(account_id)
        )
    return result


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
