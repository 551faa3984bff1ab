"""The examples of the README, docs/world.md, docs/operations.md, docs/mailing.md and
docs/invites.md, as a newcomer uses them: each GraphQL block one operation to paste into
GraphiQL, valid against the schema, selecting ``__typename``, and every mutation the errors'
``message``, so a failure shows; each world file a valid world."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from graphql import (
    FieldNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    build_schema,
    parse,
    validate,
)

from domain.adapters.simulated.worldfile import read_world_file

if TYPE_CHECKING:
    from _pytest.mark import ParameterSet

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = (
    ROOT / "README.md",
    ROOT / "docs" / "world.md",
    ROOT / "docs" / "operations.md",
    ROOT / "docs" / "mailing.md",
    ROOT / "docs" / "invites.md",
)
BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)
WORLD_FILE = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


@functools.cache
def schema() -> GraphQLSchema:
    """The checked-in SDL, which `make schema-diff` keeps equal to the served schema."""
    return build_schema((ROOT / "schema" / "schema.graphql").read_text())


def examples() -> list[ParameterSet]:
    found: list[ParameterSet] = []
    for path in DOCUMENTS:
        for number, block in enumerate(BLOCK.findall(path.read_text()), start=1):
            found.append(pytest.param(block, id=f"{path.name}-{number}"))
    return found


def fields(selection_set: SelectionSetNode) -> set[str]:
    return {s.name.value for s in selection_set.selections if isinstance(s, FieldNode)}


def shows_the_error(selection_set: SelectionSetNode) -> bool:
    return any(
        isinstance(s, InlineFragmentNode)
        and s.type_condition is not None
        and s.type_condition.name.value == "Error"
        and "message" in fields(s.selection_set)
        for s in selection_set.selections
    )


def test_there_are_examples() -> None:
    assert len(examples()) >= 10


@pytest.mark.parametrize("document", examples())
def test_an_example_is_one_valid_operation_that_shows_a_failure(document: str) -> None:
    parsed = parse(document)
    assert len(parsed.definitions) == 1, "one operation per block: GraphiQL runs it whole"
    (operation,) = parsed.definitions
    assert isinstance(operation, OperationDefinitionNode)
    assert validate(schema(), parsed) == []
    for root in operation.selection_set.selections:
        assert isinstance(root, FieldNode)
        if root.selection_set is None:  # a scalar answer (sandboxWorld's JSON)
            continue
        assert "__typename" in fields(root.selection_set), root.name.value
        if operation.operation is OperationType.MUTATION:
            assert shows_the_error(root.selection_set), root.name.value


def test_the_world_file_example_is_a_valid_world(tmp_path: Path) -> None:
    [example] = WORLD_FILE.findall((ROOT / "docs" / "world.md").read_text())
    path = tmp_path / "world.yaml"
    path.write_text(example)

    world = read_world_file(path)  # raises WorldInvalid, naming the field and line

    assert [bot.username for bot in world.bots] == ["demo_bot"]
