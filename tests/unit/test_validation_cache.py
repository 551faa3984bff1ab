"""The validation cache finds a parsed document by its identity (``resolvers.validation``)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, ValidationRule, parse, specified_rules

from resolvers import validation
from resolvers.root import GraphQLLimits, build_schema

SCHEMA = build_schema(GraphQLLimits())._schema
RULES = tuple(specified_rules)  # an execution's rules before the extensions add theirs
INVALID = "query Broken { nothingLikeThis }"
UNKNOWN_FIELD = "Cannot query field 'nothingLikeThis' on type 'Query'."


class Refuse(ValidationRule):
    def enter_document(self, *_: Any) -> None:
        self.report_error(GraphQLError("refused"))


def test_the_same_document_is_validated_once() -> None:
    document = parse(INVALID)

    first = validation.validated(SCHEMA, document, RULES)
    again = validation.validated(SCHEMA, document, RULES)

    assert [error.message for error in first] == [UNKNOWN_FIELD]
    assert again is first


def test_an_equal_document_of_its_own_is_validated_anew() -> None:
    first = validation.validated(SCHEMA, parse(INVALID), RULES)
    other = validation.validated(SCHEMA, parse(INVALID), RULES)

    assert other is not first
    assert [e.message for e in other] == [e.message for e in first]


def test_other_rules_are_another_entry() -> None:
    document = parse("{ __typename }")

    plain = validation.validated(SCHEMA, document, RULES)
    refused = validation.validated(SCHEMA, document, (*RULES, Refuse))

    assert plain == []
    assert [error.message for error in refused] == ["refused"]


def test_the_oldest_documents_make_room() -> None:
    oldest = parse(INVALID)
    first = validation.validated(SCHEMA, oldest, RULES)
    for _ in range(validation.KEPT):
        validation.validated(SCHEMA, parse("{ __typename }"), RULES)

    assert validation.validated(SCHEMA, oldest, RULES) is not first


def test_the_schema_still_answers_a_document_that_does_not_validate() -> None:
    schema = build_schema(GraphQLLimits())
    for _ in range(2):  # the second answer comes from the cache
        result = schema.execute_sync(INVALID)
        assert result.errors is not None
        assert [error.message for error in result.errors] == [UNKNOWN_FIELD]
