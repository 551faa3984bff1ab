"""Which uses an account serves, and the pool of signed-in accounts a dispatcher draws on."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update

from domain.access import Guest, System
from domain.errors import Invalid, NotFound, PermissionDenied
from domain.telegram import service as telegram
from domain.telegram.model import AccountStatus, TelegramAccount
from domain.telegram.rules import AccountUse
from tests.world import API_HASH

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

SYSTEM = System("tests")
EVERY = set(AccountUse)


async def add(
    runtime: Runtime,
    phone: str,
    *,
    uses: list[str] | None = None,
    status: AccountStatus = AccountStatus.ACTIVE,
) -> TelegramAccount:
    async with runtime.uow() as uow:
        account = await telegram.add_account(
            uow, runtime.secrets, actor=SYSTEM, phone=phone, api_id=1, api_hash=API_HASH, uses=uses
        )
        # The status is arrangement: signing in is tested with the login jobs.
        stmt = update(TelegramAccount).where(TelegramAccount.id == account.id)
        await uow.session.execute(stmt.values(status=status))
        await uow.commit()
    return account


async def pool(runtime: Runtime, use: AccountUse) -> list[str]:
    async with runtime.uow() as uow:
        return [a.phone for a in await telegram.pool(uow, actor=SYSTEM, use=use)]


async def test_a_new_account_serves_every_use(runtime: Runtime) -> None:
    account = await add(runtime, "+79990001001")
    async with runtime.uow() as uow:
        stored = await uow.session.get(TelegramAccount, account.id)
    assert stored is not None
    assert stored.uses == EVERY


async def test_added_with_some_uses(runtime: Runtime) -> None:
    account = await add(runtime, "+79990001001", uses=["invites", "invites"])
    assert account.uses == {AccountUse.INVITES}


async def test_an_unknown_use_is_invalid_on_add(runtime: Runtime) -> None:
    with pytest.raises(Invalid):
        await add(runtime, "+79990001001", uses=["spam"])


async def test_set_uses_replaces_them(runtime: Runtime) -> None:
    account = await add(runtime, "+79990001001")
    async with runtime.uow() as uow:
        await telegram.set_account_uses(uow, actor=SYSTEM, account_id=account.id, uses=["mailings"])
    async with runtime.uow() as uow:
        stored = await uow.session.get(TelegramAccount, account.id)
    assert stored is not None
    assert stored.uses == {AccountUse.MAILINGS}
    async with runtime.uow() as uow:
        await telegram.set_account_uses(uow, actor=SYSTEM, account_id=account.id, uses=[])
    assert await pool(runtime, AccountUse.MAILINGS) == []


async def test_set_uses_refusals(runtime: Runtime) -> None:
    account = await add(runtime, "+79990001001")
    async with runtime.uow() as uow:
        with pytest.raises(NotFound):
            await telegram.set_account_uses(
                uow, actor=SYSTEM, account_id=uuid.uuid4(), uses=["mailings"]
            )
        with pytest.raises(Invalid):
            await telegram.set_account_uses(uow, actor=SYSTEM, account_id=account.id, uses=["nope"])
        with pytest.raises(PermissionDenied):
            await telegram.set_account_uses(
                uow, actor=Guest("g"), account_id=account.id, uses=["mailings"]
            )
        with pytest.raises(PermissionDenied):
            await telegram.pool(uow, actor=Guest("g"), use=AccountUse.MAILINGS)


async def test_the_pool_is_the_signed_in_accounts_serving_the_use_by_phone(
    runtime: Runtime,
) -> None:
    await add(runtime, "+79990001003", uses=["mailings", "invites"])
    await add(runtime, "+79990001001")
    await add(runtime, "+79990001002", uses=["tracking"])
    await add(runtime, "+79990001004", status=AccountStatus.NEW)
    await add(runtime, "+79990001005", status=AccountStatus.REVOKED)
    await add(runtime, "+79990001006", uses=[])

    assert await pool(runtime, AccountUse.MAILINGS) == ["+79990001001", "+79990001003"]
    assert await pool(runtime, AccountUse.INVITES) == ["+79990001001", "+79990001003"]
    assert await pool(runtime, AccountUse.TRACKING) == ["+79990001001", "+79990001002"]
