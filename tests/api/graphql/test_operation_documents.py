"""codegen/operations/ as graphql-codegen reads it: every file together, one set of
operations and fragments, valid against the schema the API serves (and exports to
schema/schema.graphql, which `make codegen` generates the TypeScript types from)."""

from __future__ import annotations

from graphql import DocumentNode, GraphQLError, Source, parse, validate

from resolvers.root import schema
from tests.conftest import OPERATIONS


def every_operation() -> DocumentNode:
    # Each file is its own Source, so an error says which file and line it is about.
    definitions = [
        definition
        for path in sorted(OPERATIONS.glob("*.graphql"))
        for definition in parse(Source(path.read_text(), path.name)).definitions
    ]
    return DocumentNode(definitions=tuple(definitions))


def described(error: GraphQLError) -> str:
    places = [
        f"{node.loc.source.name}:{node.loc.source.get_location(node.loc.start).line}"
        for node in error.nodes or ()
        if node.loc is not None
    ]
    return f"{error.message} ({', '.join(places)})"


def test_the_files_hold_operations() -> None:
    assert len(every_operation().definitions) >= 100


def test_every_operation_and_fragment_is_valid_against_the_schema() -> None:
    # All of graphql-core's rules over the files together: also one definition per name
    # (the TypeScript types and the tests' operation() look them up by name) and no fragment
    # left unused.
    errors = [described(error) for error in validate(schema._schema, every_operation())]

    assert errors == [], "\n".join(errors)
