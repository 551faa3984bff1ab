"""What every messenger mutation keeps (docs/graphql.md): global IDs only in its id fields,
and for an outsider the same answer as for an id that names nothing. (Inputs and payload
unions of every mutation: tests/unit/test_schema_style.py.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from graphql import GraphQLNamedType, GraphQLObjectType, get_named_type
from strawberry.relay import GlobalID

from resolvers.root import schema
from tests.api.graphql.test_messenger_support import (
    Person,
    chat_of,
    create_group,
    data,
    field_errors,
    messages_of,
    person,
    raw,
    send,
    texts,
)
from tests.conftest import graphql

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx


class TestShapes:
    @pytest.mark.parametrize(
        ("type_name", "id_fields"),
        [
            ("DeleteChatSuccess", {"chatId"}),
            ("LeaveChatSuccess", {"chatId"}),
            ("DeleteMessageSuccess", {"messageId"}),
            ("ReadAllMessagesSuccess", {"chatId", "messageIds"}),
            ("Message", {"id", "chatId"}),
            ("MessageEvent", {"chatId", "readerId", "messageIds"}),
            ("PresenceEvent", {"userId"}),
        ],
    )
    def test_id_fields_are_ids(self, type_name: str, id_fields: set[str]) -> None:
        found: GraphQLNamedType | None = schema._schema.get_type(type_name)
        assert isinstance(found, GraphQLObjectType)

        kinds = {name: get_named_type(found.fields[name].type).name for name in id_fields}

        assert kinds == dict.fromkeys(id_fields, "ID")


@dataclass(frozen=True)
class Scene:
    """A group of ivan's with olga in it, and a message of olga's."""

    ivan: Person
    olga: Person
    chat_id: str
    message_id: str


@pytest.fixture
async def scene(http: httpx.AsyncClient) -> Scene:
    ivan, olga = await person(http, "ivan"), await person(http, "olga")
    chat = await create_group(http, ivan, "Alpha", [olga])
    message = await send(http, olga, chat["id"], "hello")
    return Scene(ivan, olga, chat["id"], message["id"])


@dataclass(frozen=True)
class IdCase:
    """A mutation run by ``who`` with ``id_field`` set to ``value(scene)`` (and ``fields``)."""

    operation: str
    who: str
    id_field: str
    fields: dict[str, Any]


CHAT_CASES = [
    IdCase("UpdateChat", "ivan", "chatId", {"title": "Beta"}),
    IdCase("DeleteChat", "ivan", "chatId", {}),
    IdCase("LeaveChat", "olga", "chatId", {}),
    IdCase("SendMessage", "olga", "chatId", {"text": "hi"}),
    IdCase("ReadAllMessages", "ivan", "chatId", {}),
]
MESSAGE_CASES = [
    IdCase("EditMessage", "olga", "messageId", {"text": "changed"}),
    IdCase("DeleteMessage", "olga", "messageId", {}),
    IdCase("ReadMessage", "ivan", "messageId", {}),
]


async def run(
    http: httpx.AsyncClient, scene: Scene, case: IdCase, value: str, who: Person | None = None
) -> dict[str, Any]:
    actor = who or getattr(scene, case.who)
    variables = {"input": {case.id_field: value, **case.fields}}
    body = await graphql(http, case.operation, variables, token=actor.token)
    payload: dict[str, Any] = data(body, case.operation[0].lower() + case.operation[1:])
    return payload


async def unchanged(http: httpx.AsyncClient, scene: Scene) -> tuple[str, list[str | None]]:
    chat = await chat_of(http, scene.ivan, scene.chat_id)
    return chat["title"], texts(await messages_of(http, scene.ivan, scene.chat_id))


def own_id(scene: Scene, case: IdCase) -> str:
    return scene.chat_id if case.id_field == "chatId" else scene.message_id


class TestInputIds:
    @pytest.mark.parametrize("case", CHAT_CASES + MESSAGE_CASES, ids=lambda c: c.operation)
    async def test_a_raw_uuid_is_refused_on_its_field(
        self, http: httpx.AsyncClient, scene: Scene, case: IdCase
    ) -> None:
        type_name = "Chat" if case.id_field == "chatId" else "Message"

        payload = await run(http, scene, case, raw(own_id(scene, case)))

        assert field_errors(payload) == {case.id_field: [f"Not a {type_name} id."]}
        assert await unchanged(http, scene) == ("Alpha", ["hello"])

    @pytest.mark.parametrize("case", CHAT_CASES + MESSAGE_CASES, ids=lambda c: c.operation)
    async def test_a_global_id_of_another_type_is_refused(
        self, http: httpx.AsyncClient, scene: Scene, case: IdCase
    ) -> None:
        type_name = "Chat" if case.id_field == "chatId" else "Message"
        other = str(GlobalID("User", raw(own_id(scene, case))))

        payload = await run(http, scene, case, other)

        assert field_errors(payload) == {case.id_field: [f"Not a {type_name} id."]}

    @pytest.mark.parametrize(
        "members", [lambda s: [raw(s.olga.id)], lambda s: [s.chat_id]], ids=["raw", "chat-id"]
    )
    async def test_member_ids_are_user_global_ids_only(
        self, http: httpx.AsyncClient, scene: Scene, members: Callable[[Scene], list[str]]
    ) -> None:
        refusal = {"memberIds": ["Every id must be a User id."]}
        variables = {"input": {"isPrivate": False, "title": "New", "memberIds": members(scene)}}
        created = await graphql(http, "CreateChat", variables, token=scene.ivan.token)
        update = {"input": {"chatId": scene.chat_id, "memberIds": members(scene)}}
        updated = await graphql(http, "UpdateChat", update, token=scene.ivan.token)

        assert field_errors(data(created, "createChat")) == refusal
        assert field_errors(data(updated, "updateChat")) == refusal


class TestOutsiders:
    @pytest.mark.parametrize("case", CHAT_CASES + MESSAGE_CASES, ids=lambda c: c.operation)
    async def test_an_outsider_is_told_what_an_unknown_id_is_told(
        self, http: httpx.AsyncClient, scene: Scene, case: IdCase
    ) -> None:
        petr = await person(http, "petr")
        type_name = "Chat" if case.id_field == "chatId" else "Message"
        unknown = str(GlobalID(type_name, str(uuid.uuid4())))

        as_outsider = await run(http, scene, case, own_id(scene, case), petr)
        as_nothing = await run(http, scene, case, unknown, petr)

        assert as_outsider["__typename"] == "NotFoundError"
        assert as_outsider == as_nothing
        assert await unchanged(http, scene) == ("Alpha", ["hello"])
