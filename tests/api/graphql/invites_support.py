"""Helpers of the invite GraphQL tests: accounts added and log rows written as tghub does
(through the telegram service, and as the dispatcher stores an outcome), phones queued through
the invite service, and the event a log row announces."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from strawberry.relay import GlobalID

from domain.invites import service as invites
from domain.invites.events import InviteLogged
from domain.invites.model import InviteLog
from domain.telegram import service as telegram
from tests.api.graphql.tracking_support import gid
from tests.world import API_HASH, SYSTEM

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from domain.invites.rules import InviteStatus

CHANNEL = "test_channel"
# The settings as the seed's form sends them.
SETTINGS: dict[str, Any] = {
    "channelUsername": "@Test_Channel",
    "failureMessage": "Join us: {{channel}}",
    "queueThreshold": 10,
    "pauseMinSeconds": 0.5,
    "pauseMaxSeconds": 2.0,
    "onlyMessageBot": False,
    "inviteAndMessage": True,
}


def fresh_phone() -> str:
    """A valid Russian mobile number nobody has."""
    return f"+7999{secrets.randbelow(10**7):07d}"


async def add_account(
    runtime: Runtime, phone: str | None = None, uses: list[str] | None = None
) -> str:
    """An account (not signed in: the invite profile needs none), by global ID."""
    async with runtime.uow() as uow:
        account = await telegram.add_account(
            uow,
            runtime.secrets,
            actor=SYSTEM,
            phone=phone or fresh_phone(),
            api_id=12345,
            api_hash=API_HASH,
            uses=uses,
        )
    return gid("TelegramAccount", account.id)


def raw_account(global_id: str) -> uuid.UUID:
    return uuid.UUID(GlobalID.from_id(global_id).node_id)


async def write_log(
    runtime: Runtime,
    status: InviteStatus,
    *,
    phone: str | None = None,
    account: str | None = None,
    account_name: str | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> InviteLog:
    """A log row as the dispatcher writes one (``account`` a global ID)."""
    async with runtime.uow() as uow:
        row = InviteLog(
            task_id=uuid.uuid4(),
            account_id=None if account is None else raw_account(account),
            account_name=account_name,
            channel_username=CHANNEL,
            phone=phone or fresh_phone(),
            status=status,
            reason=reason,
            created_at=at or datetime.now(UTC),
        )
        uow.session.add(row)
        await uow.commit()
    return row


def logged(row: InviteLog) -> InviteLogged:
    """The event announcing ``row``, as the dispatcher emits it with the row's commit."""
    return InviteLogged(
        id=row.id,
        task_id=row.task_id,
        account_id=row.account_id,
        account_name=row.account_name,
        channel_username=row.channel_username,
        phone=row.phone,
        status=row.status.value,
        reason=row.reason,
        created_at=row.created_at,
    )


async def queue(runtime: Runtime, *phones: str) -> invites.Accepted:
    async with runtime.uow() as uow:
        return await invites.accept_phones(uow, actor=SYSTEM, phones=list(phones), region="RU")


def log_id(row: InviteLog) -> str:
    return gid("InviteLog", row.id)
