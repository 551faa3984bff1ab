"""A simulated world of mailing recipients, signed-in sending accounts, and a dispatcher on a
clock the tests move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from domain.mailing.dispatch import Dispatcher, DispatchOptions
from domain.mailing.model import Delivery
from tests.dispatching import Dispatch
from tests.fakes import FrozenClock
from tests.world import signed_in_account

if TYPE_CHECKING:
    import uuid

    from domain.bootstrap import Runtime

NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)
FIRST_USER = 2001
ACCOUNT_PHONES = ("+79990000100", "+79990000101", "+79990000102")


def phone(n: int) -> str:
    """The n-th recipient's phone, as a mailing client stores it."""
    return f"7999111{n:04d}"


def recipients_world(
    users: int, *, accounts: int = 1, population: bool = False, **account_fields: Any
) -> dict[str, Any]:
    """Users 1…``users`` with phones ``phone(n)`` (ids FIRST_USER + n - 1), and ``accounts``
    sending accounts (``account_fields`` go to the first). ``population``: the same users by
    one rule (docs/world.md), so a step costs no more for thousands of them."""
    if population:
        people: dict[str, Any] = {
            "populations": [{"first_id": FIRST_USER, "count": users, "phone_from": f"+{phone(1)}"}]
        }
    else:
        people = {
            "users": [
                {"id": FIRST_USER + n - 1, "phone": f"+{phone(n)}", "first_name": f"User {n}"}
                for n in range(1, users + 1)
            ]
        }
    return {
        "seed": 5,
        **people,
        "accounts": [
            {"id": 9100 + i, "phone": ACCOUNT_PHONES[i], "code": "12345", "password": None}
            | (account_fields if i == 0 else {})
            for i in range(accounts)
        ],
    }


async def load(runtime: Runtime, world: dict[str, Any]) -> None:
    assert runtime.sandbox is not None
    await runtime.sandbox.load_world(world, merge=False)


async def sending_accounts(runtime: Runtime, count: int = 1) -> list[uuid.UUID]:
    """``count`` accounts of the world, added and signed in through the real jobs."""
    return [await signed_in_account(runtime, phone) for phone in ACCOUNT_PHONES[:count]]


def dispatch(runtime: Runtime, **options: Any) -> Dispatch[Dispatcher]:
    fields = {"pacing": 0.0, "poll_interval": 0.02, "claim_seconds": 30.0} | options
    return Dispatch(runtime, FrozenClock(NOW), DispatchOptions(**fields), Dispatcher)


async def deliveries(runtime: Runtime, mailing_id: int) -> list[Delivery]:
    async with runtime.uow() as uow:
        query = select(Delivery).where(Delivery.mailing_id == mailing_id).order_by(Delivery.id)
        return list((await uow.session.execute(query)).scalars())


async def statuses(runtime: Runtime, mailing_id: int) -> dict[str, str]:
    """Each delivery's status, by the client's phone."""
    return {d.phone_number: d.status.value for d in await deliveries(runtime, mailing_id)}


async def messages(runtime: Runtime) -> list[dict[str, Any]]:
    """The messages the simulated Telegram delivered, oldest first."""
    assert runtime.sandbox is not None
    world = await runtime.sandbox.world()
    return [entry for entry in world["outbox"] if entry["type"] == "message"]


def later(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)
