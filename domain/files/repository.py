"""SQL of the files aggregate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.files.model import StoredFile

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def add_stored_file(session: AsyncSession, stored: StoredFile) -> None:
    session.add(stored)


async def find_stored_file(session: AsyncSession, key: str) -> StoredFile | None:
    return await session.get(StoredFile, key)
