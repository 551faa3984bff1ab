"""Builders shared by the messenger GraphQL tests (test_messenger_*.py).

It holds no tests: it is named like them because the messenger tests may only add files
under that name. Everything here goes through the public API over real HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strawberry.relay import GlobalID

from tests.api.graphql.factories import Tokens, register_and_login
from tests.conftest import graphql, operation

if TYPE_CHECKING:
    import httpx

# username -> (first name, last name). The searches of the tests lean on these overlaps:
# "petr" is petr's username and part of ivan's last name, "ivan" part of olga's last name.
NAMES = {
    "ivan": ("Ivan", "Petrov"),
    "olga": ("Olga", "Ivanova"),
    "petr": ("Petr", "Sidorov"),
}


@dataclass(frozen=True)
class Person:
    """A registered, logged-in user."""

    username: str
    tokens: Tokens
    first_name: str
    last_name: str

    @property
    def token(self) -> str:
        return self.tokens.access

    @property
    def raw_id(self) -> str:
        """The user's UUID (what events and ``*Id`` fields carry)."""
        return self.tokens.user_id

    @property
    def id(self) -> str:
        """The user's global ID (``User.id``)."""
        return str(GlobalID("User", self.raw_id))


async def person(http: httpx.AsyncClient, username: str) -> Person:
    first_name, last_name = NAMES.get(username, ("", ""))
    tokens = await register_and_login(http, username, first_name=first_name, last_name=last_name)
    return Person(username, tokens, first_name, last_name)


def raw(global_id: str) -> str:
    """The UUID behind a global ID."""
    return GlobalID.from_id(global_id).node_id


def data(body: dict[str, Any], field: str) -> Any:
    """``data[field]`` of a response that must have no errors."""
    assert "errors" not in body, body
    return body["data"][field]


def member(body: dict[str, Any], field: str, typename: str) -> dict[str, Any]:
    """The payload union member ``typename`` of ``data[field]``."""
    return is_a(data(body, field), typename)


def is_a(payload: dict[str, Any], typename: str) -> dict[str, Any]:
    """The payload, which must be the union member ``typename``."""
    assert payload["__typename"] == typename, payload
    return payload


def field_errors(payload: dict[str, Any]) -> dict[str, list[str]]:
    assert payload["__typename"] == "ValidationError", payload
    return {error["field"]: error["messages"] for error in payload["fields"]}


async def create_group(
    http: httpx.AsyncClient, owner: Person, title: str, members: list[Person]
) -> dict[str, Any]:
    variables = {
        "input": {"isPrivate": False, "title": title, "memberIds": [m.id for m in members]}
    }
    body = await graphql(http, "CreateChat", variables, token=owner.token)
    chat: dict[str, Any] = member(body, "createChat", "CreateChatSuccess")["chat"]
    return chat


async def create_private(
    http: httpx.AsyncClient, owner: Person, companion: Person
) -> dict[str, Any]:
    variables = {"input": {"isPrivate": True, "memberIds": [companion.id]}}
    body = await graphql(http, "CreateChat", variables, token=owner.token)
    chat: dict[str, Any] = member(body, "createChat", "CreateChatSuccess")["chat"]
    return chat


async def send(http: httpx.AsyncClient, sender: Person, chat_id: str, text: str) -> dict[str, Any]:
    variables = {"input": {"chatId": chat_id, "text": text}}
    body = await graphql(http, "SendMessage", variables, token=sender.token)
    message: dict[str, Any] = member(body, "sendMessage", "SendMessageSuccess")["message"]
    return message


async def chat_of(http: httpx.AsyncClient, viewer: Person, chat_id: str) -> dict[str, Any]:
    chat: dict[str, Any] = data(
        await graphql(http, "Chat", {"id": chat_id}, token=viewer.token), "chat"
    )
    return chat


async def messages_of(
    http: httpx.AsyncClient,
    viewer: Person,
    chat_id: str,
    *,
    first: int = 100,
    after: str | None = None,
    search: str | None = None,
) -> dict[str, Any]:
    variables = {"chatId": chat_id, "first": first, "after": after, "filter": {"search": search}}
    page: dict[str, Any] = data(
        await graphql(http, "Messages", variables, token=viewer.token), "messages"
    )
    return page


async def chats_of(
    http: httpx.AsyncClient,
    viewer: Person,
    *,
    first: int = 100,
    after: str | None = None,
    search: str | None = None,
) -> dict[str, Any]:
    variables = {"first": first, "after": after, "filter": {"search": search}}
    page: dict[str, Any] = data(
        await graphql(http, "Chats", variables, token=viewer.token), "chats"
    )
    return page


def nodes(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in page["edges"]]


def texts(page: dict[str, Any]) -> list[str | None]:
    return [node["text"] for node in nodes(page)]


def titles(page: dict[str, Any]) -> list[str]:
    return [node["title"] for node in nodes(page)]


async def multipart(
    http: httpx.AsyncClient,
    name: str,
    variables: dict[str, Any],
    files: dict[str, tuple[str, bytes, str]],
    *,
    token: str | None = None,
) -> dict[str, Any]:
    """Posts operation ``name`` per the GraphQL multipart request spec.

    ``files`` maps an object path in the operation (``variables.input.files.0``) to the file
    sent for it; the path's value in ``variables`` must be null already. No header beyond the
    bearer token: the view asks for none (no CSRF preflight header).
    """
    operations = {"query": operation(name), "variables": variables, "operationName": name}
    paths = list(files)
    mapping = {str(i): [path] for i, path in enumerate(paths)}
    parts = [(str(i), files[path]) for i, path in enumerate(paths)]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files=parts,
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
