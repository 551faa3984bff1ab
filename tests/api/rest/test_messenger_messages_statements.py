"""What ``GET /api/messages/?chat=`` costs in SQL: the same few statements for a page of one
message or of a hundred (senders, files and readers come with the page), counted on the real
server in this process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from domain.messenger.model import ChatMember, MessageFile
from tests.api.rest.messenger_factories import (
    Actor,
    actor,
    get_json,
    group_chat,
    seed_messages,
    seed_users,
)

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime


async def counted(http: httpx.AsyncClient, who: Actor, url: str) -> tuple[list[str], Any]:
    """The SQL statements executed (by any engine of this process) while serving ``url``."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        body = await get_json(http, who, url)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return statements, body


async def seed_busy_group(
    http: httpx.AsyncClient, runtime: Runtime, owner: Actor, other: Actor
) -> str:
    """A group of the owner and two others with 60 messages from three senders (one of whom
    is no member), every fourth with two files, and ``other``'s marker about halfway."""
    [stays, left] = await seed_users(runtime, 2, prefix=f"stmt{uuid.uuid4().hex[:6]}")
    chat_id: str = (await group_chat(http, owner, [other]))["id"]
    message_ids: list[uuid.UUID] = []
    for sender in (owner.id, str(stays), str(left)):
        message_ids += await seed_messages(runtime, chat_id, sender, 20)
    async with runtime.uow() as uow:
        uow.session.add(ChatMember(chat_id=uuid.UUID(chat_id), user_id=stays))
        uow.session.add_all(
            MessageFile(message_id=message_id, key=f"seed/{n}-{position}.bin", position=position)
            for n, message_id in enumerate(message_ids[::4])
            for position in range(2)
        )
        member = await uow.session.get(ChatMember, (uuid.UUID(chat_id), uuid.UUID(other.id)))
        assert member is not None
        # seed_messages spreads each sender's 20 messages over 20 s two hours ago: about half
        # of them are read.
        member.last_read_at = datetime.now(UTC) - timedelta(hours=2, seconds=-10)
        await uow.commit()
    return chat_id


async def test_message_page_statement_count_does_not_grow_with_the_page(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, other = await actor(http, runtime), await actor(http, runtime)
    chat_id = await seed_busy_group(http, runtime, owner, other)
    one, hundred = f"/api/messages/?chat={chat_id}&page_size=1", f"/api/messages/?chat={chat_id}"
    hundred += "&page_size=100"
    # Warm up: the first request records presence, and the pool opens its connections.
    for url in (one, hundred, one):
        await get_json(http, owner, url)

    one_statements, one_body = await counted(http, owner, one)
    hundred_statements, hundred_body = await counted(http, owner, hundred)

    counts = f"1 message -> {len(one_statements)}, 60 messages -> {len(hundred_statements)}"
    print(f"statements of GET /api/messages/?chat=: {counts}")  # noqa: T201 - reported (-s)
    assert one_body["count"] == hundred_body["count"] == 60
    assert len(one_body["results"]) == 1
    assert len(hundred_body["results"]) == 60
    assert hundred_body["results"][0] == one_body["results"][0]
    # Every message came with its sender (or the placeholder of none) and its files.
    assert sum(len(m["files"]) == 2 for m in hundred_body["results"]) == 15
    assert all(m["sender"]["id"] != "deleted" for m in hundred_body["results"])
    readers = [[r["id"] for r in m["was_read_by"]] for m in hundred_body["results"]]
    assert [other.id] in readers
    assert [] in readers
    assert len(one_statements) > 0
    assert len(one_statements) == len(hundred_statements), "\n".join(hundred_statements)
