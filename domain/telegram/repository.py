"""SQL of the Telegram accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from domain.telegram.errors import TelegramNotFound
from domain.telegram.model import AccountStatus, TelegramAccount
from domain.telegram.rules import AccountUse
from domain.types import Page, PageRequest

if TYPE_CHECKING:
    import uuid
    from datetime import date, datetime

    from sqlalchemy.ext.asyncio import AsyncSession


class PhoneTaken(Exception):
    pass


async def add_account(session: AsyncSession, account: TelegramAccount) -> None:
    """Raises PhoneTaken when another account has the phone (also under a race)."""
    try:
        async with session.begin_nested():
            session.add(account)
            await session.flush()
    except IntegrityError as exc:
        raise PhoneTaken from exc


async def get_account(
    session: AsyncSession, account_id: uuid.UUID, *, for_update: bool = False
) -> TelegramAccount:
    query = select(TelegramAccount).where(TelegramAccount.id == account_id)
    if for_update:
        query = query.with_for_update()
    found: TelegramAccount | None = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise TelegramNotFound("account", account_id)
    return found


async def find_by_phone(session: AsyncSession, phone: str) -> TelegramAccount | None:
    query = select(TelegramAccount).where(TelegramAccount.phone == phone)
    found: TelegramAccount | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def list_accounts(session: AsyncSession, page: PageRequest) -> Page[TelegramAccount]:
    query = select(TelegramAccount).order_by(TelegramAccount.phone)
    if page.after:
        query = query.where(TelegramAccount.phone > page.after[0])
    rows = list((await session.execute(query.limit(page.first + 1))).scalars())
    total = await session.scalar(select(func.count()).select_from(TelegramAccount))
    return Page(items=rows[: page.first], has_next=len(rows) > page.first, total=total or 0)


async def get_accounts(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, TelegramAccount]:
    query = select(TelegramAccount).where(TelegramAccount.id.in_(ids))
    return {account.id: account for account in (await session.execute(query)).scalars()}


async def all_accounts(session: AsyncSession, *, for_update: bool = False) -> list[TelegramAccount]:
    query = select(TelegramAccount).order_by(TelegramAccount.phone)
    if for_update:
        query = query.with_for_update()
    return list((await session.execute(query)).scalars())


async def accounts_serving(session: AsyncSession, use: AccountUse) -> list[TelegramAccount]:
    query = (
        select(TelegramAccount)
        .where(TelegramAccount.uses_values.contains([use.value]))
        .order_by(TelegramAccount.phone)
    )
    return list((await session.execute(query)).scalars())


async def pool(session: AsyncSession, use: AccountUse) -> list[TelegramAccount]:
    """The signed-in accounts serving ``use``, by phone (unique: a stable order)."""
    query = (
        select(TelegramAccount)
        .where(
            TelegramAccount.status == AccountStatus.ACTIVE,
            TelegramAccount.uses_values.contains([use.value]),
        )
        .order_by(TelegramAccount.phone)
    )
    return list((await session.execute(query)).scalars())


# -- the invite profile (legacy 004) ------------------------------------------------------------


async def invite_pool(session: AsyncSession, now: datetime) -> list[TelegramAccount]:
    """The signed-in accounts serving invites with quota left today and no pause, the least
    recently used first (never used before all)."""
    query = (
        select(TelegramAccount)
        .where(
            TelegramAccount.status == AccountStatus.ACTIVE,
            TelegramAccount.uses_values.contains([AccountUse.INVITES.value]),
            TelegramAccount.invites_left > 0,
            or_(TelegramAccount.paused_until.is_(None), TelegramAccount.paused_until <= now),
        )
        .order_by(TelegramAccount.invite_last_used_at.asc().nulls_first(), TelegramAccount.phone)
    )
    return list((await session.execute(query)).scalars())


async def reset_invite_quotas(session: AsyncSession, today: date) -> int:
    """Every account not reset yet on UTC day ``today`` gets its whole quota back."""
    result = await session.execute(
        update(TelegramAccount)
        .where(
            or_(
                TelegramAccount.invites_reset_on.is_(None),
                TelegramAccount.invites_reset_on < today,
            )
        )
        .values(invites_left=TelegramAccount.invite_quota, invites_reset_on=today)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def mark_invite_use(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(TelegramAccount)
        .where(TelegramAccount.id == account_id)
        .values(invite_last_used_at=now)
        .execution_options(synchronize_session=False)
    )


async def count_invite(session: AsyncSession, account_id: uuid.UUID) -> int:
    """One invite less today; the invites left (never below 0)."""
    left = await session.scalar(
        update(TelegramAccount)
        .where(TelegramAccount.id == account_id)
        .values(invites_left=func.greatest(TelegramAccount.invites_left - 1, 0))
        .returning(TelegramAccount.invites_left)
        .execution_options(synchronize_session=False)
    )
    return int(left or 0)
