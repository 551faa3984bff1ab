"""Statements that asyncpg runs itself, for the hottest reads (see ``DriverStatement``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.sql.compiler import SQLCompiler

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.engine import Dialect
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
    from sqlalchemy.sql.expression import ClauseElement


class DriverStatement:
    """A read that asyncpg runs itself, on the session's connection: inside the transaction
    when one is open there, else as a statement of its own.

    SQLAlchemy's work around each execution (the statement's cache key, bind and result
    processing, a Row per row, greenlet switches) cost more CPU than the chat list's
    statements themselves: three times asyncpg's own, on the rows of a page of 20 chats.
    Only for statements whose values asyncpg's own types carry as SQLAlchemy would hand them
    (uuids, texts, numbers, timestamps, arrays of them as lists): the rows are asyncpg's
    records, read by position.

    SQLAlchemy's asyncpg adapter begins its transaction at its first statement; a unit of
    work that only reads through these never begins one, which saves a BEGIN and a ROLLBACK.
    At READ COMMITTED, the isolation tghub runs at, each statement reads its own snapshot
    either way. On any error the statement goes through SQLAlchemy, as every other one does,
    which reports the error and replaces a lost connection.
    """

    through_sqlalchemy = 0  # executions that took SQLAlchemy's way (for tests and curiosity)

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[Dialect, tuple[str, tuple[str, ...], dict[str, Any]]] = {}

    async def rows(self, session: AsyncSession, values: Mapping[str, Any]) -> Sequence[Any]:
        connection = await session.connection()
        sql, names, defaults = self._compile(connection.dialect)
        arguments = [values[name] if name in values else defaults[name] for name in names]
        pooled = await connection.get_raw_connection()
        driver = pooled.driver_connection
        # SQLAlchemy's asyncpg adapter (the one with ``_transaction``) leaves the asyncpg
        # connection free between statements; with any other, SQLAlchemy runs it.
        if driver is None or not hasattr(pooled.dbapi_connection, "_transaction"):
            return await self._through_sqlalchemy(connection, sql, arguments)
        _announce(connection, sql, arguments)
        try:
            return await driver.fetch(sql, *arguments)  # type: ignore[no-any-return]
        except Exception:
            # SQLAlchemy runs it again, and fails as it fails on any statement (this error
            # chained to its own): a lost connection is replaced, an outage is reported so.
            return await self._through_sqlalchemy(connection, sql, arguments)

    async def _through_sqlalchemy(
        self, connection: AsyncConnection, sql: str, arguments: list[Any]
    ) -> Sequence[Any]:
        DriverStatement.through_sqlalchemy += 1
        return (await connection.exec_driver_sql(sql, tuple(arguments))).all()

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        found = self._compiled.get(dialect)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
                raise TypeError(f"{dialect.name} does not take positional parameters")
            names = tuple(compiled.positiontup)
            found = self._compiled[dialect] = (compiled.string, names, compiled.params)
        return found


def _announce(connection: AsyncConnection, sql: str, arguments: list[Any]) -> None:
    """Tells SQLAlchemy's ``before_cursor_execute`` listeners, as its own execution would
    (with no cursor and no execution context), so what counts or traces statements sees
    these too. SQLAlchemy's ``echo`` does not show them."""
    sync = connection.sync_connection
    if sync is not None:
        for listener in sync.dispatch.before_cursor_execute:
            listener(sync, None, sql, tuple(arguments), None, False)
