"""Validation results kept per parsed document, found by the document's identity.

Strawberry's ``ValidationCache`` keys its LRU on ``(schema, document, rules)``; hashing the
document hashes every node of its tree, field by field, on every request: about 1.5 % of a
chat page's CPU. ``ParserCache`` hands out the same document object for the same text, so the
document's identity finds the entry as well, in constant time.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

from strawberry.extensions import ValidationCache
from strawberry.schema.schema import validate_document
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema

    Rules = tuple[type[ASTValidationRule], ...]

KEPT = 128  # documents (an app sends a few dozen; anything past this is validated again)


class _Validated:
    __slots__ = ("document", "errors", "schema")

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, errors: list[GraphQLError]
    ) -> None:
        # Held, so that the identities in the key stay theirs while the entry lives.
        self.schema, self.document, self.errors = schema, document, errors


_kept: collections.OrderedDict[tuple[int, int, Rules], _Validated] = collections.OrderedDict()


def validated(schema: GraphQLSchema, document: DocumentNode, rules: Rules) -> list[GraphQLError]:
    """``validate_document``'s errors, remembered for the last ``KEPT`` documents."""
    key = (id(schema), id(document), rules)
    found = _kept.get(key)
    if found is not None and found.document is document and found.schema is schema:
        _kept.move_to_end(key)
        return found.errors
    errors = validate_document(schema, document, rules)
    _kept[key] = _Validated(schema, document, errors)
    if len(_kept) > KEPT:
        _kept.popitem(last=False)
    return errors


class DocumentValidationCache(ValidationCache):
    """Strawberry's validation cache, keyed by the parsed document's identity."""

    @override
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is None:  # Strawberry validates only what it parsed: never here
            yield from super().on_validate()
            return
        rules = tuple(context.validation_rules)
        context.pre_execution_errors = validated(context.schema._schema, document, rules)
        yield
