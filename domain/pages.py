"""Keyset pages by id over the integer-keyed tables of the legacy aggregates (tracking,
bots, mailing): one reading of an id cursor and one page query, instead of a copy per
aggregate."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import func, select

from domain.errors import Invalid
from domain.types import BIGINT_MAX, INT_MAX, Page

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import InstrumentedAttribute

    from domain.types import PageRequest

Row = TypeVar("Row")


def bad_cursor(name: str = "after") -> Invalid:
    return Invalid({name: ["Invalid cursor."]}, message="Invalid cursor.")


def id_in(digits: str, *, big: bool = False) -> int | None:
    """The id ``digits`` spell, if it fits the column (integer, or bigint with ``big``); None
    otherwise. The digits are counted before they are read, so a huge text costs nothing."""
    limit = BIGINT_MAX if big else INT_MAX
    if not (digits.isascii() and digits.isdigit() and len(digits) <= len(str(limit))):
        return None
    value = int(digits)
    return value if value <= limit else None


def cursor_id(
    cursor: tuple[str, ...] | None, name: str = "after", *, big: bool = False
) -> int | None:
    """The id a cursor holds (``(str(id),)``), None for no cursor; ``Invalid`` on ``name``
    for anything else."""
    if cursor is None:
        return None
    found = id_in(cursor[0], big=big) if len(cursor) == 1 else None
    if found is None:
        raise bad_cursor(name)
    return found


async def id_page(
    session: AsyncSession,
    query: Select[Row],
    id_column: InstrumentedAttribute[int],
    page: PageRequest,
    *,
    big: bool = False,
) -> Page[Row]:
    """Up to ``page.first`` rows of ``query`` by id after the cursor (an id), with the count
    of all that match."""
    after = cursor_id(page.after, big=big)
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if after is not None:
        query = query.where(id_column > after)
    query = query.order_by(None).order_by(id_column).limit(page.first + 1)
    rows = list((await session.execute(query)).scalars())
    return Page(items=rows[: page.first], has_next=len(rows) > page.first, total=total or 0)
