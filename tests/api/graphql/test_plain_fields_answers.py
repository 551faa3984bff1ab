"""The messenger's answers are the same whether plain fields are read directly
(resolvers.plainfields) or each takes graphql-core's and Strawberry's own per-field path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resolvers.plainfields import PlainFieldExecutor
from tests.api.graphql.test_messenger_support import (
    Person,
    create_group,
    create_private,
    send,
)
from tests.conftest import graphql

if TYPE_CHECKING:
    import httpx
    import pytest


async def both_ways(
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    variables: dict[str, Any],
    viewer: Person | str,
) -> dict[str, Any]:
    """The answer to operation ``name`` for ``viewer`` (or a token), checked equal to the
    answer of graphql-core's own path."""
    token = viewer if isinstance(viewer, str) else viewer.token
    direct = await graphql(http, name, variables, token=token)
    with monkeypatch.context() as patched:
        patched.setattr(PlainFieldExecutor, "enabled", False)
        stock = await graphql(http, name, variables, token=token)
    assert direct == stock
    return direct


async def test_the_chat_list_messages_and_nodes_are_the_same(
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    ivan: Person,
    olga: Person,
    petr: Person,
) -> None:
    group = await create_group(http, ivan, "Alpha", [olga, petr])
    private = await create_private(http, olga, ivan)
    await create_group(http, petr, "Quiet", [ivan])  # no message yet: lastMessage is null
    first = await send(http, olga, group["id"], "hello")
    await send(http, ivan, group["id"], "привет")
    await send(http, ivan, private["id"], "psst")
    await graphql(http, "ReadMessage", {"input": {"messageId": first["id"]}}, token=petr.token)

    chats = await both_ways(http, monkeypatch, "Chats", {"first": 20}, ivan)
    listed = chats["data"]["chats"]
    assert listed["totalCount"] == 3
    assert {edge["node"]["title"] for edge in listed["edges"]} >= {"Alpha", "Quiet"}

    messages = await both_ways(
        http, monkeypatch, "Messages", {"chatId": group["id"], "first": 10}, olga
    )
    readers = [node["node"]["wasReadBy"] for node in messages["data"]["messages"]["edges"]]
    assert any(readers), messages
    await both_ways(http, monkeypatch, "Chat", {"id": private["id"]}, olga)
    await both_ways(http, monkeypatch, "ChatNode", {"id": group["id"]}, petr)


async def test_errors_and_nulls_are_the_same(
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    ivan: Person,
    olga: Person,
    petr: Person,
) -> None:
    group = await create_group(http, olga, "Closed", [petr])  # ivan is no member
    hidden = await both_ways(http, monkeypatch, "Chat", {"id": group["id"]}, ivan)
    assert hidden == {"data": {"chat": None}}
    # An id of another type: an error with a path, the same both ways.
    wrong = await both_ways(http, monkeypatch, "Chat", {"id": ivan.id}, ivan)
    assert wrong.get("errors") or wrong == {"data": {"chat": None}}, wrong
    refused = await both_ways(http, monkeypatch, "Chats", {"first": 5}, "not-a-token")
    assert refused.get("errors"), refused
