"""Throwaway PostgreSQL databases for tests and benchmarks, through an admin connection."""

from __future__ import annotations

import asyncpg


async def admin_execute(admin_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def sibling_url(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on the server ``admin_url`` points at."""
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_statement(name: str) -> str:
    return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
