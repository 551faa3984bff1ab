"""A simulated world for invites: people with every privacy setting, a channel whose admins
include the inviting accounts, signed-in accounts, and a dispatcher on a clock the tests
move."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from domain.access import System
from domain.invites import service as invites
from domain.invites.dispatch import Dispatcher, DispatchOptions
from domain.invites.model import InviteLog, InviteRequest
from domain.invites.rules import SettingsValues
from domain.telegram.model import TelegramAccount
from tests.dispatching import Dispatch
from tests.fakes import FrozenClock
from tests.world import signed_in_account

if TYPE_CHECKING:
    import uuid

    from domain.bootstrap import Runtime

ADMIN = System("invites test")
NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)
CHANNEL = "invite_channel"
CHANNEL_ID = -1001000000777
INVITE_HASH = "JoinHash777"
ACCOUNT_PHONES = ("+79990000100", "+79990000101", "+79990000102")
ACCOUNT_IDS = (9100, 9101, 9102)
# People by privacy for invites; NOBODY_ON_TELEGRAM has no Telegram account.
OPEN, CONTACTS_ONLY, CLOSED = "+79991110001", "+79991110002", "+79991110003"
MEMBER = "+79991110004"  # already in the channel
NOBODY_ON_TELEGRAM = "+79991119999"
USER_IDS = {OPEN: 3001, CONTACTS_ONLY: 3002, CLOSED: 3003, MEMBER: 3004}


def invite_world(
    *, accounts: int = 1, admins: int | None = None, **first_account: Any
) -> dict[str, Any]:
    """The people above, ``accounts`` accounts (``first_account`` fields go to the first),
    the first ``admins`` of them (all by default) admins of the channel who may invite."""
    privacy = {OPEN: "everybody", CONTACTS_ONLY: "contacts", CLOSED: "nobody", MEMBER: "everybody"}
    admitted = ACCOUNT_IDS[: accounts if admins is None else admins]
    return {
        "seed": 7,
        "users": [
            {
                "id": USER_IDS[phone],
                "phone": phone,
                "first_name": f"Person {USER_IDS[phone]}",
                "privacy": {"invites": rule, "status": "everybody"},
            }
            for phone, rule in privacy.items()
        ],
        "channels": [
            {
                "id": CHANNEL_ID,
                "username": CHANNEL,
                "title": "Invites",
                "invite_hash": INVITE_HASH,
                "admins": [{"id": account, "invite_users": True} for account in admitted],
                "members": [USER_IDS[MEMBER]],
            }
        ],
        "accounts": [
            {"id": ACCOUNT_IDS[i], "phone": ACCOUNT_PHONES[i], "code": "12345"}
            | (first_account if i == 0 else {})
            for i in range(accounts)
        ],
    }


async def load(runtime: Runtime, world: dict[str, Any]) -> None:
    assert runtime.sandbox is not None
    await runtime.sandbox.load_world(world, merge=False)


async def inviting_accounts(runtime: Runtime, count: int = 1) -> list[uuid.UUID]:
    return [await signed_in_account(runtime, phone) for phone in ACCOUNT_PHONES[:count]]


async def configure(runtime: Runtime, **changes: Any) -> None:
    values: dict[str, Any] = {
        "channel_username": CHANNEL,
        "failure_message": "Join us: {{channel}}",
        "queue_threshold": 50,
        "pause_min_seconds": 0.0,
        "pause_max_seconds": 0.0,
        "only_message_bot": False,
        "invite_and_message": False,
    } | changes
    async with runtime.uow() as uow:
        await invites.update_settings(uow, actor=ADMIN, values=SettingsValues(**values))


async def queue(runtime: Runtime, *phones: str) -> invites.Accepted:
    async with runtime.uow() as uow:
        return await invites.accept_phones(uow, actor=ADMIN, phones=list(phones), region="RU")


def dispatch(runtime: Runtime, **options: Any) -> Dispatch[Dispatcher]:
    fields = {"poll_interval": 0.02, "claim_seconds": 30.0} | options
    return Dispatch(runtime, FrozenClock(NOW), DispatchOptions(**fields), Dispatcher)


async def logs(runtime: Runtime) -> list[InviteLog]:
    async with runtime.uow() as uow:
        return list((await uow.session.scalars(select(InviteLog).order_by(InviteLog.id))).all())


async def outcomes(runtime: Runtime) -> dict[str, tuple[str, str | None]]:
    """Each logged phone's status and reason."""
    return {row.phone: (row.status.value, row.reason) for row in await logs(runtime)}


async def waiting(runtime: Runtime) -> list[InviteRequest]:
    async with runtime.uow() as uow:
        query = select(InviteRequest).where(InviteRequest.done_at.is_(None))
        return list((await uow.session.scalars(query.order_by(InviteRequest.id))).all())


async def account(runtime: Runtime, account_id: uuid.UUID) -> TelegramAccount:
    async with runtime.uow() as uow:
        found = await uow.session.get(TelegramAccount, account_id)
        assert found is not None
        return found


async def world(runtime: Runtime) -> dict[str, Any]:
    assert runtime.sandbox is not None
    return await runtime.sandbox.world()


def outbox(snapshot: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [entry for entry in snapshot["outbox"] if entry["type"] == kind]


def members(snapshot: dict[str, Any]) -> list[int]:
    channel = next(c for c in snapshot["channels"] if c["username"] == CHANNEL)
    return list(channel["members"])
