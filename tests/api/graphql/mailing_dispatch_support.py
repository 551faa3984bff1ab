"""Helpers of the mailing dispatch GraphQL tests: recipients in the simulated Telegram, signed-in
sending accounts, a real Dispatcher on a clock the tests move (tests/integration/mailing/
dispatch_scene.py), and mailings made through the API for the dispatcher to send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.mailing import service as mailing
from tests.api.graphql.tracking_support import raw
from tests.dispatching import Dispatch
from tests.integration.mailing.dispatch_scene import (
    dispatch,
    later,
    load,
    phone,
    recipients_world,
    sending_accounts,
)
from tests.integration.mailing.scene import SYSTEM

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from tests.api.graphql.mailing_support import Owner

__all__ = ["Dispatch", "dispatch", "ended", "open_mailing", "phone", "senders"]


async def senders(runtime: Runtime, users: int, *, accounts: int = 1) -> None:
    """A world of ``users`` recipients (``phone(1)``…) and ``accounts`` signed-in senders."""
    await load(runtime, recipients_world(users))
    await sending_accounts(runtime, accounts)


async def open_mailing(
    owner: Owner, phones: list[str], *, text: str = "Sale!", **fields: Any
) -> dict[str, Any]:
    """Clients of ``owner`` with these phones, tagged vip, and a mailing to them whose window
    is open at the dispatcher's clock (made through the API)."""
    for number in phones:
        await owner.mailing_client(number, tag="vip")
    return await owner.mailing(start=later(-1), hours=2, text=text, **fields)


async def ended(runtime: Runtime, mailing_id: str) -> bool:
    """Whether the mailing (a global ID) has finished or been cancelled."""
    async with runtime.uow() as uow:
        found = await mailing.get_mailing(uow, actor=SYSTEM, mailing_id=raw(mailing_id))
    return found.finished_at is not None
