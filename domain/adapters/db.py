"""PostgreSQL through SQLAlchemy async + asyncpg."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def async_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs (as pgserver and most hosts print them)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """The process's engine. The pool keeps every connection it opens (no overflow to open
    and close under load) and checks none on checkout (no ping before every transaction): a
    connection that died fails its statement, the unit of work answers that as the database
    being unavailable, and SQLAlchemy then recycles every connection of the pool older than
    the failure, so one request per process fails after PostgreSQL restarts."""
    # hide_parameters: statement errors must not log bound values (password hashes, tokens).
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        hide_parameters=True,
    )


def create_ingest_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An engine for hot single-statement writes (the invite webhook's queue): each statement
    commits by itself (autocommit: one round trip, no BEGIN/COMMIT), the pool keeps every
    connection it opens (no overflow to open and close under load) and checks none on
    checkout (a dead connection fails its statement, which the unit of work answers as the
    database being unavailable, and the pool drops it). Only for work that is one statement:
    nothing else is atomic here."""
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
