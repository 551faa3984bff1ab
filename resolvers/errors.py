"""What a GraphQL client sees of a failure, decided in one place.

Domain errors keep their message and get ``extensions.code``; GraphQL's own errors
(syntax, validation, limits, bad input) pass through; anything else is an unexpected error:
logged with the request id and masked, the response carrying only that id.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from typing_extensions import override

from domain.errors import DomainError
from schema.errors import code_for

if TYPE_CHECKING:
    from collections.abc import Iterator

log = logging.getLogger("tghub.graphql")

MASKED_MESSAGE = "Unexpected error."


class ErrorPolicy(SchemaExtension):
    @override
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [self._shape(error) for error in errors]

    def _shape(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error
        if isinstance(original, DomainError):
            return self._rebuild(error, original.message, {"code": code_for(original)})
        request_id = getattr(self.execution_context.context, "request_id", None)
        log.error(
            "unexpected error in %s (request %s)",
            ".".join(map(str, error.path or [])) or "operation",
            request_id,
            exc_info=original,
        )
        extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return self._rebuild(error, MASKED_MESSAGE, extensions)

    @staticmethod
    def _rebuild(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )
