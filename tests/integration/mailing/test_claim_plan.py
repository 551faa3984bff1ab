"""How PostgreSQL runs the dispatcher's claim: it walks the pending deliveries in id order and
stops at its limit, instead of reading and sorting every ready delivery on each claim (what
the planner chose when it underestimated how many are ready, as it does right after a
mailing's deliveries are made; docs/perf.md, "P5")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from domain.mailing import repository
from domain.mailing import service as mailing
from domain.telegram import service as telegram
from tests.integration.mailing.dispatch_scene import dispatch, later
from tests.integration.mailing.scene import SYSTEM, user
from tests.world import API_HASH

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from domain.bootstrap import Runtime

CLIENTS = 3_000


async def test_a_claim_walks_the_pending_deliveries_in_order_and_sorts_none(
    runtime: Runtime,
) -> None:
    me = await user(runtime)
    async with runtime.uow() as uow:
        await uow.session.execute(
            text(
                "INSERT INTO mailing_clients (owner_id, phone_number, operator_code, tag)"
                " SELECT :owner, '7999' || lpad(n::text, 7, '0'), '999', 'vip'"
                " FROM generate_series(1, :count) AS n"
            ),
            {"owner": me.user.id, "count": CLIENTS},
        )
        await uow.commit()
    async with runtime.uow() as uow:
        await mailing.create_mailing(
            uow,
            actor=me,
            start_time=later(-1),
            end_time=later(60),
            message_text="Sale!",
            filter_params={"tag": "vip"},
        )
    run = dispatch(runtime)
    await run.dispatcher().housekeep()  # the deliveries are made; no statistics yet
    async with runtime.uow() as uow:
        account = await telegram.add_account(
            uow, runtime.secrets, actor=SYSTEM, phone="+79990000100", api_id=1, api_hash=API_HASH
        )
    now, until, pool = run.clock.now(), later(5), [account.id]

    async with runtime.uow() as uow:
        claimed = await repository.claim(
            uow.session, account_id=account.id, pool=pool, now=now, until=until, limit=1
        )
        # What the planner makes of the claim's statement in the claim's transaction.
        values = {
            "now": now,
            "until": until,
            "claimer": account.id,
            "pool": pool,
            "limit": 100,
            "after": 0,
        }
        plan = await _explain(uow.session, values)

    assert len(claimed) == 1
    assert "ix_mailing_deliveries_pending" in plan
    assert "Sort" not in plan


async def _explain(session: AsyncSession, values: dict[str, Any]) -> str:
    """The plan of the claim statement with these values, in this transaction."""
    compiled = repository._CLAIM.compile(dialect=asyncpg_dialect.dialect())
    params = compiled.construct_params(values)
    assert compiled.positiontup is not None
    args = [params[name] for name in compiled.positiontup]
    connection = await (await session.connection()).get_raw_connection()
    driver = connection.driver_connection
    assert driver is not None
    rows = await driver.fetch(f"EXPLAIN {compiled}", *args)
    return "\n".join(row[0] for row in rows)
