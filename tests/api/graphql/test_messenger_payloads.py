"""The shape every messenger mutation keeps (docs/graphql.md): one ``<Mutation>Input``, a
``<Mutation>Payload`` union of ``<Mutation>Success`` and only the errors that mutation can
return, global IDs only in its id fields, and for an outsider the same answer as for an id
that names nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from graphql import GraphQLNamedType, GraphQLObjectType, GraphQLUnionType, get_named_type
from strawberry.relay import GlobalID
from strawberry.types.base import get_object_definition

from resolvers.messenger import MessengerMutation
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

VALIDATION, NOT_FOUND = "ValidationError", "NotFoundError"
DENIED, CONFLICT = "PermissionDeniedError", "ConflictError"

# Each mutation's error members, worked out from what its service can raise (NotAMember is
# told as NotFoundError; the Invalid kinds, an input id of the wrong form included, as
# ValidationError; NotTheCreator and NotTheSender as PermissionDeniedError;
# PrivateChatImmutable as ConflictError).
ERRORS = {
    "createChat": {VALIDATION},
    "updateChat": {VALIDATION, NOT_FOUND, DENIED, CONFLICT},
    "deleteChat": {VALIDATION, NOT_FOUND, DENIED},
    "leaveChat": {VALIDATION, NOT_FOUND},
    "sendMessage": {VALIDATION, NOT_FOUND},
    "editMessage": {VALIDATION, NOT_FOUND, DENIED},
    "deleteMessage": {VALIDATION, NOT_FOUND, DENIED},
    "readMessage": {VALIDATION, NOT_FOUND},
    "readAllMessages": {VALIDATION, NOT_FOUND},
}


def camel(name: str) -> str:
    parts = name.split("_")
    return parts[0] + "".join(part.title() for part in parts[1:])


def mutation_field(name: str) -> Any:
    mutation_type = schema._schema.mutation_type
    assert mutation_type is not None
    return mutation_type.fields[name]


def capitalised(name: str) -> str:
    return name[0].upper() + name[1:]


class TestShapes:
    def test_every_messenger_mutation_is_in_the_table(self) -> None:
        fields = get_object_definition(MessengerMutation, strict=True).fields
        declared = {camel(field.python_name) for field in fields}

        assert declared == set(ERRORS)

    @pytest.mark.parametrize("name", list(ERRORS))
    def test_the_payload_is_its_success_and_only_its_errors(self, name: str) -> None:
        payload = get_named_type(mutation_field(name).type)

        assert isinstance(payload, GraphQLUnionType)
        assert payload.name == f"{capitalised(name)}Payload"
        assert {member.name for member in payload.types} == (
            {f"{capitalised(name)}Success"} | ERRORS[name]
        )

    @pytest.mark.parametrize("name", list(ERRORS))
    def test_the_one_argument_is_its_own_required_input(self, name: str) -> None:
        arguments = mutation_field(name).args

        assert list(arguments) == ["input"]
        assert str(arguments["input"].type) == f"{capitalised(name)}Input!"

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

        assert as_outsider["__typename"] == NOT_FOUND
        assert as_outsider == as_nothing
        assert await unchanged(http, scene) == ("Alpha", ["hello"])
