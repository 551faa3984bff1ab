"""The process's connection pool: no ping before each use, so a connection PostgreSQL
dropped is found by the statement that uses it. That request fails as an outage (503 /
UNAVAILABLE), and the pool replaces every connection older than the failure, so the next
requests succeed."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from domain.errors import ExternalUnavailable
from tests.conftest import ADMIN_URL
from tests.pg import admin_execute

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

WARM = 3  # connections open in the pool before PostgreSQL drops them


async def backend_pid(runtime: Runtime, together: asyncio.Barrier | None = None) -> int:
    async with runtime.uow() as uow:
        pid = int(await uow.session.scalar(text("SELECT pg_backend_pid()")) or 0)
        if together is not None:
            await together.wait()  # keep this connection until the others have theirs
        return pid


async def warm_pool(runtime: Runtime) -> set[int]:
    """``WARM`` connections opened at once and returned to the pool."""
    together = asyncio.Barrier(WARM)
    return set(await asyncio.gather(*(backend_pid(runtime, together) for _ in range(WARM))))


async def test_a_dropped_connection_fails_one_request_and_the_pool_recovers(
    runtime: Runtime,
) -> None:
    pids = await warm_pool(runtime)
    assert len(pids) == WARM

    await admin_execute(ADMIN_URL, *(f"SELECT pg_terminate_backend({pid})" for pid in sorted(pids)))

    with pytest.raises(ExternalUnavailable):
        await backend_pid(runtime)
    after = [await backend_pid(runtime) for _ in range(WARM + 1)]
    assert not pids & set(after), "a dropped connection was used again"
