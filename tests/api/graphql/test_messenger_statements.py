"""The chat list costs the same number of SQL statements for 1 chat as for 100 (no N+1).

Chats are built through the domain services (fast, no HTTP); the ``Chats`` query then runs over
real HTTP against the live server, which runs in the test's process, so a listener on the
``Engine`` class sees every statement it executes.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from domain.accounts import repository as accounts_repository
from domain.accounts.model import User
from domain.messenger import service as messenger
from domain.messenger.service import NewChat, NewMessage
from tests.api.graphql.factories import register_and_login
from tests.conftest import graphql
from tests.integration.messenger.factories import as_actor

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

MANY = 100


async def users(runtime: Runtime, count: int) -> list[User]:
    """Plain accounts, inserted at once (nobody logs in as them)."""
    async with runtime.uow() as uow:
        found = [
            User(username=f"other{i}", password_hash="!", first_name=f"Other{chr(97 + i % 26)}")
            for i in range(count)
        ]
        uow.session.add_all(found)
        await uow.commit()
    return found


async def find_user(runtime: Runtime, user_id: str) -> User:
    async with runtime.uow() as uow:
        user = await accounts_repository.find_user(uow.session, uuid.UUID(user_id))
    assert user is not None
    return user


async def build_chats(runtime: Runtime, viewer: User, others: list[User], kinds: list[str]) -> None:
    """A chat of the viewer per kind (``group``/``private``), each with members, messages from
    both sides, and every other one read (the rest unread)."""
    ports = runtime.messenger
    async with runtime.uow() as uow:  # each use case commits; one session serves them all
        for i, kind in enumerate(kinds):
            other, third = others[i], others[i + 1]
            new = (
                NewChat(is_private=True, member_ids=[viewer.id])
                if kind == "private"
                else NewChat(is_private=False, member_ids=[viewer.id, third.id], title=f"G{i}")
            )
            chat, _ = await messenger.create_chat(uow, ports, actor=as_actor(other), new=new)
            for sender, text in ((other, f"hello {i}"), (viewer, f"hi {i}"), (other, f"news {i}")):
                message = NewMessage(chat_id=chat.id, text=text)
                await messenger.send_message(uow, ports, actor=as_actor(sender), new=message)
            if i % 2:
                await messenger.read_all_messages(uow, actor=as_actor(viewer), chat_id=chat.id)


async def chats_statements(http: httpx.AsyncClient, token: str) -> tuple[int, dict[str, Any]]:
    """The statements one ``Chats(first: 100)`` request executes, and its result."""
    variables = {"first": MANY}
    # Warm up first: the first request of a login records presence, pools open connections.
    await graphql(http, "Chats", variables, token=token)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        body = await graphql(http, "Chats", variables, token=token)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert "errors" not in body, body
    chats: dict[str, Any] = body["data"]["chats"]
    return len(statements), chats


async def test_chats_costs_the_same_for_1_and_100_chats(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    others = await users(runtime, MANY + 1)
    viewers = {}
    for name, kinds in {
        "group": ["group"],
        "private": ["private"],
        "many": ["group", "private"] * (MANY // 2),
    }.items():
        tokens = await register_and_login(http, f"viewer{name}")
        await build_chats(runtime, await find_user(runtime, tokens.user_id), others, kinds)
        viewers[name] = tokens.access

    counts, found = {}, {}
    for name, token in viewers.items():
        counts[name], found[name] = await chats_statements(http, token)

    print(f"Chats(first: {MANY}) statements: {counts}")  # noqa: T201
    assert [found[name]["totalCount"] for name in viewers] == [1, 1, MANY]
    listed = [edge["node"] for edge in found["many"]["edges"]]
    assert len(listed) == MANY
    assert all(chat["lastMessage"]["text"].startswith("news") for chat in listed)
    assert sorted({chat["unreadMessagesCount"] for chat in listed}) == [0, 2]
    assert sorted({len(chat["members"]) for chat in listed}) == [2, 3]
    assert sorted({chat["isPrivate"] for chat in listed}) == [False, True]
    assert counts["group"] > 0
    assert counts["many"] == counts["group"] == counts["private"], counts
