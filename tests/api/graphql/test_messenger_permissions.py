"""Who may run which messenger operation: one table, every operation against every role.

Roles: ``anonymous`` (no token), ``outsider`` (a user outside the chat), ``member`` (in the
group, not its creator) and ``creator``; one test per role runs every operation of the table.
Each operation meets a fresh group (creator + member) with one message of the creator's, so
destructive operations never leave a trace for the next.
An outcome is the error's ``extensions.code``, the payload's ``__typename`` for an error
member, ``null`` for a null field, or ``ok``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.graphql.factories import error_codes
from tests.api.graphql.test_messenger_support import Person, create_group, person, send
from tests.conftest import graphql

if TYPE_CHECKING:
    import httpx

ROLES = ("anonymous", "outsider", "member", "creator")
# Outcomes: GraphQL error codes, payload error members, or what the data shows.
UNAUTH = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
GONE = "NotFoundError"
DENIED = "PermissionDeniedError"
INVALID = "ValidationError"
OK, NULL, LISTED, UNLISTED = "ok", "null", "listed", "unlisted"


@dataclass(frozen=True)
class Scene:
    """What one role meets: the people, a fresh group and the creator's message in it."""

    creator: Person
    member: Person
    outsider: Person
    chat_id: str
    message_id: str


Variables = Callable[[Scene], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    name: str
    operation: str
    field: str
    variables: Variables
    anonymous: str
    outsider: str
    member: str
    creator: str


def no_variables(scene: Scene) -> dict[str, Any]:
    return {}


def page(scene: Scene) -> dict[str, Any]:
    return {"first": 10}


def chat_id(scene: Scene) -> dict[str, Any]:
    return {"id": scene.chat_id}


def message_id(scene: Scene) -> dict[str, Any]:
    return {"id": scene.message_id}


def chat_page(scene: Scene) -> dict[str, Any]:
    return {"chatId": scene.chat_id, "first": 10}


def on_chat(scene: Scene, **fields: Any) -> dict[str, Any]:
    return {"input": {"chatId": scene.chat_id, **fields}}


def on_message(scene: Scene, **fields: Any) -> dict[str, Any]:
    return {"input": {"messageId": scene.message_id, **fields}}


def private_chat(scene: Scene) -> dict[str, Any]:
    return {"input": {"isPrivate": True, "memberIds": [scene.creator.id]}}


def group_chat(scene: Scene) -> dict[str, Any]:
    return {"input": {"isPrivate": False, "title": "T", "memberIds": [scene.member.id]}}


def rename(scene: Scene) -> dict[str, Any]:
    return on_chat(scene, title="New")


def say(scene: Scene) -> dict[str, Any]:
    return on_chat(scene, text="hi")


def reword(scene: Scene) -> dict[str, Any]:
    return on_message(scene, text="x")


def bio(scene: Scene) -> dict[str, Any]:
    return {"input": {"bio": "b"}}


CASES = [
    # name, operation, field, variables; then anonymous, outsider, member, creator
    Case("Chats", "Chats", "chats", page, UNAUTH, UNLISTED, LISTED, LISTED),
    Case("Chat", "Chat", "chat", chat_id, UNAUTH, NULL, OK, OK),
    Case("Messages", "Messages", "messages", chat_page, UNAUTH, NOT_FOUND, OK, OK),
    Case("Message", "Message", "message", message_id, UNAUTH, NULL, OK, OK),
    Case("node-Chat", "ChatNode", "node", chat_id, UNAUTH, NULL, OK, OK),
    Case("node-Message", "ChatNode", "node", message_id, UNAUTH, NULL, OK, OK),
    Case("users", "MessengerUsers", "users", page, UNAUTH, OK, OK, OK),
    Case("createChat-private", "CreateChat", "createChat", private_chat, UNAUTH, OK, OK, INVALID),
    Case("createChat-group", "CreateChat", "createChat", group_chat, UNAUTH, OK, OK, OK),
    Case("updateChat", "UpdateChat", "updateChat", rename, UNAUTH, GONE, DENIED, OK),
    Case("deleteChat", "DeleteChat", "deleteChat", on_chat, UNAUTH, GONE, DENIED, OK),
    Case("leaveChat", "LeaveChat", "leaveChat", on_chat, UNAUTH, GONE, OK, INVALID),
    Case("readAllMessages", "ReadAllMessages", "readAllMessages", on_chat, UNAUTH, GONE, OK, OK),
    Case("sendMessage", "SendMessage", "sendMessage", say, UNAUTH, GONE, OK, OK),
    Case("editMessage", "EditMessage", "editMessage", reword, UNAUTH, GONE, DENIED, OK),
    Case("deleteMessage", "DeleteMessage", "deleteMessage", on_message, UNAUTH, GONE, DENIED, OK),
    Case("readMessage", "ReadMessage", "readMessage", on_message, UNAUTH, GONE, OK, INVALID),
    Case("updateProfile", "UpdateProfile", "updateProfile", bio, UNAUTH, OK, OK, OK),
    Case("goOnline", "GoOnline", "goOnline", no_variables, UNAUTH, OK, OK, OK),
    Case("goOffline", "GoOffline", "goOffline", no_variables, UNAUTH, OK, OK, OK),
    Case("deleteAccount", "DeleteAccount", "deleteAccount", no_variables, UNAUTH, OK, OK, OK),
]  # fmt: skip


def outcome(case: Case, scene: Scene, body: dict[str, Any]) -> str:
    codes = error_codes(body)
    if codes:
        return "/".join(str(code) for code in codes)
    value = body["data"][case.field]
    if value is None:
        return NULL
    if case.field == "chats":
        listed = any(edge["node"]["id"] == scene.chat_id for edge in value["edges"])
        return LISTED if listed else UNLISTED
    typename = value.get("__typename", "")
    return typename if typename.endswith("Error") else OK


@pytest.fixture
async def people(http: httpx.AsyncClient) -> dict[str, Person]:
    return {name: await person(http, name) for name in ("ivan", "olga", "petr")}


async def scene(http: httpx.AsyncClient, people: dict[str, Person]) -> Scene:
    creator, member, outsider = people["ivan"], people["olga"], people["petr"]
    chat = await create_group(http, creator, "Scene", [member])
    message = await send(http, creator, chat["id"], "the creator's")
    return Scene(creator, member, outsider, chat["id"], message["id"])


@pytest.mark.parametrize("role", ROLES)
async def test_every_operation_gives_the_role_what_the_table_says(
    http: httpx.AsyncClient, people: dict[str, Person], role: str
) -> None:
    seen: dict[str, str] = {}
    for case in CASES:  # deleteAccount comes last: it deletes the role's own account
        current = await scene(http, people)
        viewer = {
            "outsider": current.outsider,
            "member": current.member,
            "creator": current.creator,
        }
        token = viewer[role].token if role in viewer else None
        body = await graphql(http, case.operation, case.variables(current), token=token)
        seen[case.name] = outcome(case, current, body)

    assert seen == {case.name: getattr(case, role) for case in CASES}
