"""``DriverStatement``: asyncpg runs the statement itself, in the unit of work's transaction,
and gives what SQLAlchemy's execution gives; failures are SQLAlchemy's as for any statement
(a lost connection is an outage, and the pool replaces it)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import ARRAY, Uuid, bindparam, event, func, literal, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from domain.driver import DriverStatement
from domain.errors import ExternalUnavailable
from tests.conftest import ADMIN_URL
from tests.pg import admin_execute

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

# A uuid array in, and out: nulls, texts, numbers, timestamps and arrays among the columns.
ECHO_SELECT = select(
    func.unnest(bindparam("ids", type_=ARRAY(Uuid))).label("id"),
    literal(None).label("nothing"),
    literal("text").label("text"),
    literal(7).label("number"),
    func.transaction_timestamp().label("began"),
    func.array_agg(literal("a")).over().label("texts"),
)
ECHO = DriverStatement(ECHO_SELECT)
BEGAN = select(func.transaction_timestamp())
BACKEND = DriverStatement(select(func.pg_backend_pid()))


async def test_gives_the_rows_sqlalchemy_gives(runtime: Runtime) -> None:
    values = {"ids": [uuid.uuid4(), uuid.uuid4()]}
    async with runtime.uow() as uow:
        await uow.session.execute(text("SELECT 1"))
        before = DriverStatement.through_sqlalchemy
        driven = await ECHO.rows(uow.session, values)
        assert DriverStatement.through_sqlalchemy == before, "asyncpg did not run it"
        executed = (await uow.session.execute(ECHO_SELECT, values)).all()

    assert [tuple(row) for row in driven] == [tuple(row) for row in executed]
    assert [row[0] for row in driven] == values["ids"]


async def test_it_joins_the_transaction_open_on_the_connection(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        began = await uow.session.scalar(BEGAN)
        (row,) = await ECHO.rows(uow.session, {"ids": [uuid.uuid4()]})
        assert row[4] == began


async def test_a_unit_of_work_that_only_reads_through_them_begins_no_transaction(
    runtime: Runtime,
) -> None:
    async with runtime.uow() as uow:
        before = DriverStatement.through_sqlalchemy
        (first,) = await ECHO.rows(uow.session, {"ids": [uuid.uuid4()]})
        (second,) = await ECHO.rows(uow.session, {"ids": [uuid.uuid4()]})
        assert DriverStatement.through_sqlalchemy == before, "asyncpg did not run them"
        # Each a transaction of its own; SQLAlchemy begins one at its first statement.
        assert first[4] < second[4]
        began = await uow.session.scalar(BEGAN)
        assert began is not None
        assert second[4] < began
        (joined,) = await ECHO.rows(uow.session, {"ids": [uuid.uuid4()]})
        assert joined[4] == began


async def test_a_bad_value_fails_as_sqlalchemy_fails(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        await uow.session.execute(text("SELECT 1"))
        with pytest.raises(DBAPIError):
            await ECHO.rows(uow.session, {"ids": ["not a uuid"]})


async def test_a_dropped_connection_is_an_outage_and_replaced(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        (row,) = await BACKEND.rows(uow.session, {})
    await admin_execute(ADMIN_URL, f"SELECT pg_terminate_backend({row[0]})")

    with pytest.raises(ExternalUnavailable):
        async with runtime.uow() as uow:
            await BACKEND.rows(uow.session, {})
    async with runtime.uow() as uow:
        (after,) = await BACKEND.rows(uow.session, {})
    assert after[0] != row[0]


async def test_a_connection_dropped_within_the_transaction_is_an_outage(
    runtime: Runtime,
) -> None:
    async def drop_it_midway() -> None:
        async with runtime.uow() as uow:
            (row,) = await BACKEND.rows(uow.session, {})
            await admin_execute(ADMIN_URL, f"SELECT pg_terminate_backend({row[0]})")
            await BACKEND.rows(uow.session, {})

    with pytest.raises(ExternalUnavailable):
        await drop_it_midway()


async def test_statement_listeners_see_it(runtime: Runtime) -> None:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    async with runtime.uow() as uow:
        await uow.session.execute(text("SELECT 1"))
        event.listen(Engine, "before_cursor_execute", record)
        try:
            await BACKEND.rows(uow.session, {})
        finally:
            event.remove(Engine, "before_cursor_execute", record)

    assert seen == [BACKEND.statement.compile(dialect=runtime.engine.dialect).string]
