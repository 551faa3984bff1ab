"""Every operation of codegen/operations/messenger.graphql is valid against the schema."""

from __future__ import annotations

import pytest
from graphql import OperationDefinitionNode, parse, validate

from resolvers.root import schema
from tests.conftest import OPERATIONS, operation

DOCUMENT = OPERATIONS / "messenger.graphql"
NAMES = [
    node.name.value
    for node in parse(DOCUMENT.read_text()).definitions
    if isinstance(node, OperationDefinitionNode) and node.name is not None
]


@pytest.mark.parametrize("name", NAMES)
def test_operation_is_valid_against_the_schema(name: str) -> None:
    errors = validate(schema._schema, parse(operation(name)))

    assert [error.message for error in errors] == []


def test_every_listed_operation_is_there() -> None:
    expected = {
        "Chats", "Chat", "Messages", "Message", "ChatNode", "CreateChat", "UpdateChat",
        "DeleteChat", "LeaveChat", "SendMessage", "EditMessage", "DeleteMessage", "ReadMessage",
        "ReadAllMessages", "MessageEvents", "Presence",
    }  # fmt: skip

    assert expected <= set(NAMES)
