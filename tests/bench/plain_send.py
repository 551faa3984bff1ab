"""The baseline for ``send_receive.py``: send → receive on the same physical path, without
tghub.

Two plain Starlette apps, each served the same way as the real one (``uvicorn --factory``,
uvloop, httptools, no access log), on the same database and Redis (``TGHUB_DATABASE_URL``,
``TGHUB_REDIS_URL``):

- ``create_app``: ``POST /send`` with ``{"chat", "sender", "text", "channel"}`` runs one
  ``INSERT INTO messages … RETURNING`` in a transaction on an asyncpg pool, commits, then
  ``PUBLISH``es the new row as JSON on ``channel`` (redis-py asyncio), and answers that JSON;
- ``create_relay``: ``/relay/{channel}`` is a websocket that subscribes to ``channel`` on
  Redis, sends ``{"ready": true}`` once Redis has confirmed the SUBSCRIBE, then forwards every
  message's text as it comes.

No authentication, no validation, no ORM, no GraphQL: the floor under ``sendMessage`` →
``messageEvents`` (a committed row, one publish, one relay process, one socket).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from domain.settings import Settings
from tests.bench.plain_insert import asyncpg_url

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request
    from starlette.websockets import WebSocket

INSERT = """
INSERT INTO messages (id, chat_id, sender_id, text, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $5)
RETURNING id, chat_id, sender_id, text, created_at
"""


def _row_json(row: asyncpg.Record) -> str:
    return json.dumps(
        {
            "id": str(row["id"]),
            "chat": str(row["chat_id"]),
            "sender": str(row["sender_id"]),
            "text": row["text"],
            "created_at": row["created_at"].isoformat(),
        }
    )


async def send(request: Request) -> Response:
    body = await request.json()
    pool: asyncpg.Pool = request.state.pool
    redis: Redis = request.state.redis
    now = datetime.now(UTC)
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            INSERT,
            uuid.uuid4(),
            uuid.UUID(body["chat"]),
            uuid.UUID(body["sender"]),
            body["text"],
            now,
        )
    text = _row_json(row)
    await redis.publish(body["channel"], text)
    return Response(text, status_code=201, media_type="application/json")


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        size = settings.database_pool_size
        pool = await asyncpg.create_pool(
            asyncpg_url(str(settings.database_url)), min_size=size, max_size=size
        )
        redis = Redis.from_url(str(settings.redis_url))
        try:
            yield {"pool": pool, "redis": redis}
        finally:
            await redis.aclose()
            await pool.close()

    return Starlette(routes=[Route("/send", send, methods=["POST"])], lifespan=lifespan)


async def relay(websocket: WebSocket) -> None:
    redis: Redis = websocket.state.redis
    await websocket.accept()
    pubsub = redis.pubsub()
    try:
        await pubsub.subscribe(websocket.path_params["channel"])
        # subscribe() only writes the command: its confirmation is the first message read.
        while await pubsub.get_message(timeout=5.0) is None:
            pass
        await websocket.send_text(json.dumps({"ready": True}))
        async for message in pubsub.listen():
            if message.get("type") == "message":
                await websocket.send_text(message["data"].decode())
    except WebSocketDisconnect:
        pass
    finally:
        with contextlib.suppress(Exception):
            await pubsub.aclose()


def create_relay(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        redis = Redis.from_url(str(settings.redis_url))
        try:
            yield {"redis": redis}
        finally:
            await redis.aclose()

    return Starlette(routes=[WebSocketRoute("/relay/{channel}", relay)], lifespan=lifespan)
