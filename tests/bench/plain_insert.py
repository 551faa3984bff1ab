"""The baseline for ``invite_webhook.py``: what the bare machine does with a phone, without
tghub.

A plain Starlette app, served the same way as the real one
(``uvicorn --factory tests.bench.plain_insert:create_app``), with an asyncpg pool as large
as tghub's (``TGHUB_DATABASE_POOL_SIZE`` connections, up to twice that under load), on the
same database (``TGHUB_DATABASE_URL``). It writes into ``TABLE``, a copy of
``invite_requests`` with its columns, defaults and indexes (the bench makes it), so a row
costs PostgreSQL what a queued phone costs it:

- ``POST /single`` with ``{"phone": "..."}``: one ``INSERT`` of one row;
- ``POST /batch`` with ``{"phones": [...]}``: one ``INSERT … SELECT unnest(…)`` of them all.

Each answers ``{"status": "queued", "count": n}`` once the statement is done (autocommit:
durable then). No checks, no authentication, no rate limit: the floor under the webhook.
"""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import asyncpg
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from domain.settings import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

TABLE = "bench_plain_requests"
INSERT_ONE = f"INSERT INTO {TABLE} (phone, task_id) VALUES ($1, $2)"  # noqa: S608 - a constant
INSERT_MANY = (
    f"INSERT INTO {TABLE} (phone, task_id) SELECT unnest($1::varchar[]), unnest($2::uuid[])"
)


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.state.pool
    return pool


async def single(request: Request) -> JSONResponse:
    body = await request.json()
    await _pool(request).execute(INSERT_ONE, body["phone"], uuid.uuid4())
    return JSONResponse({"status": "queued", "count": 1})


async def batch(request: Request) -> JSONResponse:
    phones = (await request.json())["phones"]
    await _pool(request).execute(INSERT_MANY, phones, [uuid.uuid4() for _ in phones])
    return JSONResponse({"status": "queued", "count": len(phones)})


def asyncpg_url(url: str) -> str:
    """asyncpg takes ``postgresql://``; SQLAlchemy's ``+asyncpg`` is dropped."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, asyncpg.Pool]]:
        size = settings.database_pool_size
        pool = await asyncpg.create_pool(
            asyncpg_url(str(settings.database_url)), min_size=size, max_size=2 * size
        )
        try:
            yield {"pool": pool}
        finally:
            await pool.close()

    routes = [
        Route("/single", single, methods=["POST"]),
        Route("/batch", batch, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
