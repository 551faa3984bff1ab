"""Actors and helpers of the mailing tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.access import Guest, System
from domain.accounts.service import Viewer
from domain.mailing import service as mailing
from tests.api.rest.factories import create_admin, create_user

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from domain.mailing.service import Client, Mailing

SYSTEM = System("tests")
GUEST = Guest("mailing")
START = datetime(2030, 1, 1, 9, tzinfo=UTC)
PHONE_MESSAGE = 'The phone number must be in the format: "7XXXXXXXXXX" '


async def user(runtime: Runtime) -> Viewer:
    return Viewer(user=await create_user(runtime), session_id=None)


async def admin(runtime: Runtime) -> Viewer:
    return Viewer(user=await create_admin(runtime), session_id=None)


async def client(runtime: Runtime, actor: Any, phone: str, **fields: Any) -> Client:
    async with runtime.uow() as uow:
        return await mailing.create_client(uow, actor=actor, phone_number=phone, **fields)


async def new_mailing(
    runtime: Runtime,
    actor: Any,
    *,
    start: datetime = START,
    hours: float = 1,
    text: str = "Hello",
    filters: dict[str, Any] | None = None,
) -> Mailing:
    async with runtime.uow() as uow:
        return await mailing.create_mailing(
            uow,
            actor=actor,
            start_time=start,
            end_time=start + timedelta(hours=hours),
            message_text=text,
            filter_params={"tag": "vip"} if filters is None else filters,
        )
