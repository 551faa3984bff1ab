"""The baseline for ``chat_list.py``: the ``Chats`` query's answer without GraphQL or the ORM.

A plain Starlette app, served the same way as the real one
(``uvicorn --factory tests.bench.plain_chats:create_app``). Its ``POST /chats`` takes the same
JSON body as ``POST /graphql`` (only ``variables.first`` is read), authenticates the Bearer
token with the same domain service as the real app (one statement, through a runtime built by
``build_runtime``), then runs **one** SQL statement on a raw asyncpg pool. PostgreSQL builds
the whole answer - the same JSON as the GraphQL ``Chats`` operation of
``codegen/operations/messenger.graphql``: Relay global IDs, cursors, absolute media URLs,
``isOnline``, the companion's name as a private chat's title, the last message with its sender,
files and readers, the unread count - and the endpoint sends the text as it comes.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import asyncpg
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.accounts import rules
from domain.accounts import service as accounts
from domain.accounts.rules import TokenType
from domain.bootstrap import Runtime, build_runtime
from domain.errors import DomainError
from domain.settings import Settings
from resolvers.permissions import bearer_token

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

MAX_FIRST = 100


def iso(column: str) -> str:
    """``datetime.isoformat()`` of a timestamptz column, in UTC as asyncpg returns it (no
    fraction when the microseconds are zero, else six digits); NULL stays NULL."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_part('microseconds', "
        f"{utc})::int % 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END || '+00:00')"
    )


def global_id(type_name: str, column: str) -> str:
    """Strawberry's Relay ID: base64 of ``Type:id`` (short enough for one base64 line)."""
    return f"encode(convert_to('{type_name}:' || {column}, 'UTF8'), 'base64')"


def media(column: str) -> str:
    """``<base URL>/media/<key>``; NULL for no file. $3 is the request's base URL."""
    return f"($3 || '/media/' || {column})"


def user_fields(alias: str) -> str:
    """The ``MessengerUserFields`` fragment of user row ``alias``. $4 is the request's now."""
    window = int(rules.ONLINE_WINDOW.total_seconds())
    return f"""json_build_object(
        'id', {global_id("User", f"{alias}.id")},
        'username', {alias}.username,
        'firstName', {alias}.first_name,
        'lastName', {alias}.last_name,
        'bio', {alias}.bio,
        'avatar', {media(f"{alias}.avatar")},
        'isOnline', ({alias}.online_announced AND {alias}.last_online_at IS NOT NULL
                     AND $4 - {alias}.last_online_at < interval '{window} seconds'),
        'lastOnlineAt', {iso(f"{alias}.last_online_at")},
        'isDeleted', {alias}.deleted_at IS NOT NULL)"""


def cursor(updated_at: str, chat_id: str) -> str:
    """``schema.relay.encode_cursor((updated_at.isoformat(), str(id)))``: URL-safe base64 of
    the JSON list ``["<iso>", "<id>"]`` (base64 lines joined, ``+/`` as ``-_``)."""
    key = f"""'["' || {iso(updated_at)} || '", "' || {chat_id} || '"]'"""
    encoded = f"encode(convert_to({key}, 'UTF8'), 'base64')"
    return f"translate(replace({encoded}, E'\\n', ''), '+/', '-_')"


DELETED_NAME = "Удалённый Пользователь"

# $1 viewer, $2 first, $3 base URL, $4 now.
CHATS_SQL = f"""
WITH mine AS (
    SELECT chat_id, last_read_at FROM chat_members WHERE user_id = $1
),
page AS (
    SELECT c.*, mine.last_read_at AS marker
    FROM chats c JOIN mine ON mine.chat_id = c.id
    ORDER BY c.updated_at DESC, c.id DESC
    LIMIT $2 + 1
),
shown AS (
    SELECT * FROM page ORDER BY updated_at DESC, id DESC LIMIT $2
),
edges AS (
    SELECT s.updated_at, s.id, {cursor("s.updated_at", "s.id")} AS cursor,
    json_build_object(
        'id', {global_id("Chat", "s.id")},
        'title', CASE
            WHEN NOT s.is_private THEN coalesce(s.title, '')
            WHEN comp.id IS NULL OR comp.deleted_at IS NOT NULL THEN '{DELETED_NAME}'
            ELSE coalesce(nullif(trim(comp.first_name || ' ' || comp.last_name), ''),
                          comp.username)
        END,
        'isPrivate', s.is_private,
        'avatar', CASE WHEN s.is_private THEN {media("comp.avatar")} ELSE {media("s.avatar")} END,
        'createdAt', {iso("s.created_at")},
        'updatedAt', {iso("s.updated_at")},
        'creator', CASE WHEN cr.id IS NULL THEN NULL ELSE json_build_object(
            'id', {global_id("User", "cr.id")}, 'username', cr.username) END,
        'members', (
            SELECT coalesce(json_agg({user_fields("u")} ORDER BY m.joined_at, m.user_id), '[]')
            FROM chat_members m JOIN users u ON u.id = m.user_id
            WHERE m.chat_id = s.id
        ),
        'lastMessage', CASE WHEN lm.id IS NULL THEN NULL ELSE json_build_object(
            'id', {global_id("Message", "lm.id")},
            'chatId', {global_id("Chat", "lm.chat_id")},
            'text', lm.text,
            'voice', {media("lm.voice")},
            'files', (
                SELECT coalesce(json_agg(json_build_object('url', {media("f.key")})
                                         ORDER BY f.position), '[]')
                FROM message_files f WHERE f.message_id = lm.id
            ),
            'sender', CASE WHEN snd.id IS NULL THEN NULL ELSE {user_fields("snd")} END,
            'wasReadBy', (
                SELECT coalesce(json_agg(json_build_object(
                    'id', {global_id("User", "r.id")}, 'username', r.username)
                    ORDER BY rm.joined_at, rm.user_id), '[]')
                FROM chat_members rm JOIN users r ON r.id = rm.user_id
                WHERE rm.chat_id = s.id AND rm.user_id IS DISTINCT FROM lm.sender_id
                  AND rm.last_read_at >= lm.created_at
            ),
            'createdAt', {iso("lm.created_at")},
            'updatedAt', {iso("lm.updated_at")}
        ) END,
        'unreadMessagesCount', (
            SELECT count(*) FROM messages um
            WHERE um.chat_id = s.id AND um.sender_id IS DISTINCT FROM $1
              AND (s.marker IS NULL OR um.created_at > s.marker)
        )
    ) AS node
    FROM shown s
    LEFT JOIN users cr ON cr.id = s.creator_id
    LEFT JOIN LATERAL (
        SELECT u.* FROM chat_members m JOIN users u ON u.id = m.user_id
        WHERE m.chat_id = s.id AND m.user_id <> $1
        ORDER BY m.joined_at, m.user_id LIMIT 1
    ) comp ON s.is_private
    LEFT JOIN LATERAL (
        SELECT * FROM messages WHERE chat_id = s.id ORDER BY created_at DESC, id DESC LIMIT 1
    ) lm ON true
    LEFT JOIN users snd ON snd.id = lm.sender_id
)
SELECT json_build_object('data', json_build_object('chats', json_build_object(
    'totalCount', (SELECT count(*) FROM mine),
    'pageInfo', json_build_object(
        'hasNextPage', (SELECT count(*) FROM page) > $2,
        'endCursor', (SELECT cursor FROM edges ORDER BY updated_at, id LIMIT 1)
    ),
    'edges', (
        SELECT coalesce(json_agg(json_build_object('cursor', cursor, 'node', node)
                                 ORDER BY updated_at DESC, id DESC), '[]')
        FROM edges
    )
)))::text
"""  # noqa: S608 - only the SQL fragments built above are interpolated


def _first(body: object) -> int | None:
    variables = body.get("variables") if isinstance(body, dict) else None
    first = variables.get("first", 20) if isinstance(variables, dict) else 20
    return first if isinstance(first, int) and 0 <= first <= MAX_FIRST else None


async def chats(request: Request) -> Response:
    first = _first(await request.json())
    if first is None:
        return JSONResponse({"error": "first must be between 0 and 100"}, status_code=400)
    runtime: Runtime = request.state.runtime
    pool: asyncpg.Pool = request.state.pool
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return JSONResponse({"error": "authentication required"}, status_code=401)
    async with runtime.uow() as uow:
        try:
            viewer = await accounts.authenticate_token(
                uow, runtime.auth, token=token, expected=TokenType.ACCESS
            )
        except DomainError:
            return JSONResponse({"error": "invalid token"}, status_code=401)
    base = str(request.base_url).rstrip("/")
    now = runtime.auth.clock.now()
    async with pool.acquire() as connection:
        text = await connection.fetchval(CHATS_SQL, viewer.user.id, first, base, now)
    return Response(text, media_type="application/json")


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        runtime = build_runtime(settings)
        await runtime.start()
        pool = await asyncpg.create_pool(
            asyncpg_dsn(str(settings.database_url)), min_size=1, max_size=10
        )
        try:
            yield {"runtime": runtime, "pool": pool}
        finally:
            await pool.close()
            await runtime.stop()

    return Starlette(routes=[Route("/chats", chats, methods=["POST"])], lifespan=lifespan)
