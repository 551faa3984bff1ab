"""codegen/operations/messenger.graphql holds every messenger operation (their validity:
test_operation_documents.py)."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse

from tests.conftest import OPERATIONS

DOCUMENT = OPERATIONS / "messenger.graphql"
NAMES = [
    node.name.value
    for node in parse(DOCUMENT.read_text()).definitions
    if isinstance(node, OperationDefinitionNode) and node.name is not None
]


def test_every_listed_operation_is_there() -> None:
    expected = {
        "Chats", "Chat", "Messages", "Message", "ChatNode", "CreateChat", "UpdateChat",
        "DeleteChat", "LeaveChat", "SendMessage", "EditMessage", "DeleteMessage", "ReadMessage",
        "ReadAllMessages", "MessageEvents", "Presence",
    }  # fmt: skip

    assert expected <= set(NAMES)
