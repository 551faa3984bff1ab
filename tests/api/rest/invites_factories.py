"""Builders of the invite routes' tests (legacy 004): log rows and queue rows written
directly (as the invite jobs write them), and what the queue holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from domain.invites.model import InviteLog, InviteRequest, InviteStatus
from tests.api.rest.factories import PASSWORD, basic_header, create_admin

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.bootstrap import Runtime

CHANNEL = "news"


@dataclass(frozen=True)
class Row:
    """A log row to write: what a job would have written at ``at``."""

    at: datetime
    status: InviteStatus = InviteStatus.INVITED
    phone: str = "+79991234567"
    account_name: str | None = "+79990000100"
    reason: str | None = None


async def add_logs(runtime: Runtime, rows: Sequence[Row]) -> list[int]:
    """Writes the rows in order (ids ascending), in one statement; their ids."""
    values = [
        {
            "task_id": uuid.uuid4(),
            "account_name": row.account_name,
            "channel_username": CHANNEL,
            "phone": row.phone,
            "status": row.status,
            "reason": row.reason,
            "created_at": row.at,
        }
        for row in rows
    ]
    async with runtime.uow() as uow:
        ids = await uow.session.scalars(insert(InviteLog).returning(InviteLog.id), values)
        found = list(ids)
        await uow.commit()
    return sorted(found)


async def finished_request(runtime: Runtime, phone: str) -> None:
    """A request of ``phone`` its job has finished (off the queue)."""
    async with runtime.uow() as uow:
        uow.session.add(InviteRequest(phone=phone, done_at=datetime.now(UTC)))
        await uow.commit()


async def waiting_phones(runtime: Runtime) -> list[str]:
    """The phones on the queue, in queue order (repeats would show)."""
    async with runtime.uow() as uow:
        query = (
            select(InviteRequest.phone)
            .where(InviteRequest.done_at.is_(None))
            .order_by(InviteRequest.id)
        )
        return list(await uow.session.scalars(query))


async def request_count(runtime: Runtime, phone: str) -> int:
    """Every request of ``phone``, waiting or finished."""
    async with runtime.uow() as uow:
        query = select(InviteRequest.id).where(InviteRequest.phone == phone)
        return len(list(await uow.session.scalars(query)))


async def admin_basic(runtime: Runtime) -> dict[str, str]:
    """The headers of a new admin signing in with HTTP Basic."""
    admin = await create_admin(runtime)
    return {"Authorization": basic_header(admin.username, PASSWORD)}
