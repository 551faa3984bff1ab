"""What ``GET /api/chats/`` costs in SQL: the same few statements whatever the number of
chats (relations come through batched loaders), counted on the real server in this process."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.api.rest.messenger_factories import (
    Actor,
    actor,
    get_json,
    seed_chats,
)

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

URL = "/api/chats/?page_size=100"


async def counted(
    http: httpx.AsyncClient, who: Actor, url: str = URL
) -> tuple[list[str], dict[str, Any]]:
    """The SQL statements executed (by any engine of this process) while serving the list."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        body: dict[str, Any] = await get_json(http, who, url)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return statements, body


def expected_unread(index: int) -> int:
    """Unread messages of the owner in the ``index``-th chat of ``seed_chats``."""
    if index % 5 == 0:
        return 0
    return 1 if index % 2 else 2


async def test_chat_list_statement_count_does_not_grow_with_chats(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    few = await actor(http, runtime)
    many = await actor(http, runtime)
    few_chats = await seed_chats(runtime, few.id, 1)
    many_chats = await seed_chats(runtime, many.id, 100)
    # Warm up: the first request records presence, and the pool opens its connections.
    for who in (few, many, few, many):
        await get_json(http, who, URL)

    few_statements, few_body = await counted(http, few)
    many_statements, many_body = await counted(http, many)

    counts = f"1 chat -> {len(few_statements)}, 100 chats -> {len(many_statements)}"
    print(f"statements of GET {URL}: {counts}")  # noqa: T201 - reported on purpose (-s)
    assert [c["id"] for c in few_body["results"]] == [str(few_chats[0])]
    assert [c["id"] for c in many_body["results"]] == [str(c) for c in many_chats[::-1]]
    # Every chat came with its relations, and the unread counts are the owner's.
    by_id = {uuid.UUID(c["id"]): c for c in many_body["results"]}
    assert all(len(c["members"]) == (2 if c["is_private"] else 3) for c in by_id.values())
    assert all(c["last_message"] is not None for c in by_id.values())
    assert [by_id[chat_id]["unread_messages_count"] for chat_id in many_chats] == [
        expected_unread(i) for i in range(100)
    ]
    assert sum(bool(c["last_message"]["files"]) for c in by_id.values()) == 25
    assert len(few_statements) > 0
    assert len(few_statements) == len(many_statements), "\n".join(many_statements)


async def test_chat_list_statements_are_as_many_for_any_page_size(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The page with its count, the chats' extras, their members: three statements for a
    page of 1, 10 or 20 chats (ids go as one array parameter), four at most with
    authentication (which the session cache may answer without one)."""
    owner = await actor(http, runtime)
    await seed_chats(runtime, owner.id, 25)
    await get_json(http, owner, "/api/chats/")  # the first request records presence
    listing: dict[int, list[str]] = {}
    for size in (1, 10, 20):
        statements, body = await counted(http, owner, f"/api/chats/?page_size={size}")
        assert (body["count"], len(body["results"])) == (25, size)
        executed = [s for s in statements if s.split()[0] not in {"BEGIN", "COMMIT"}]
        assert len(executed) <= 4, "\n".join(executed)
        listing[size] = [s for s in executed if "auth_sessions" not in s]
    sizes = {size: len(statements) for size, statements in listing.items()}
    assert len(set(sizes.values())) == 1, sizes
    assert sizes[20] <= 3, "\n".join(listing[20])
