"""What a GraphQL client sees of a failure, decided in one place.

Domain errors keep their message and get ``extensions.code``; GraphQL's own errors
(syntax, validation, limits, bad input) pass through; anything else is an unexpected error:
logged with the request id and masked, the response carrying only that id. The same holds
for every result a subscription streams, each shaped before it is sent.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from typing_extensions import override

from domain.errors import DomainError, Invalid, NotFound
from schema.errors import code_for, public_error

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from strawberry.types import StreamExecutionResult

log = logging.getLogger("tghub.graphql")

MASKED_MESSAGE = "Unexpected error."


class ErrorPolicy(SchemaExtension):
    """Shapes the errors of every result: returned ones and each one a stream yields."""

    _streamed = False  # set per instance; Strawberry builds one per operation

    @override
    def on_operation(self) -> Iterator[None]:
        yield
        # A stream's results were shaped as each was yielded (its last is also this one).
        if not self._streamed:
            self._shape_result(self.execution_context.result)

    # A plain function, not a generator: it has nothing to do after the result is sent, and
    # it runs for every result of every subscribed socket (resolvers.extension_runner).
    @override
    def on_stream_result(self, result: StreamExecutionResult) -> None:  # type: ignore[override]
        self._streamed = True
        self._shape_result(result)

    def _shape_result(self, result: object) -> None:
        # getattr, not a runtime-checkable Protocol: isinstance against one walks the
        # protocol's attributes on every call (a tenth of a fan-out's time).
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if errors:
            request_id = getattr(self.execution_context.context, "request_id", None)
            result.errors = shape_errors(errors, request_id)  # type: ignore[attr-defined]


def shape_errors(errors: Iterable[GraphQLError], request_id: str | None) -> list[GraphQLError]:
    """What the client may see of ``errors``; unexpected ones are logged under ``request_id``."""
    return [_shape(error, request_id) for error in errors]


def _shape(error: GraphQLError, request_id: str | None) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError) or _is_invalid_literal(error):
        return error
    if isinstance(original, DomainError):
        public = public_error(original)
        return _rebuild(error, public.message, {"code": code_for(public)})
    log.error(
        "unexpected error in %s (request %s)",
        ".".join(map(str, error.path or [])) or "operation",
        request_id,
        exc_info=original,
    )
    extensions: dict[str, object] = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    return _rebuild(error, MASKED_MESSAGE, extensions)


def _is_invalid_literal(error: GraphQLError) -> bool:
    """graphql-core's report of an input literal a scalar refused (``BigInt: "abc"``): the
    client's mistake, carrying the scalar's ValueError, never raised by a resolver (no path).
    As a variable the same value is reported without the exception attached."""
    return (
        error.path is None
        and isinstance(error.original_error, ValueError | TypeError)
        and error.message.startswith("Expected value of type ")
    )


def _rebuild(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


@contextlib.contextmanager
def told_in_names(
    type_names: Mapping[str, str],
    rename: Callable[[str, list[str]], tuple[str, list[str]]],
    *,
    query: bool = False,
) -> Iterator[None]:
    """Domain errors in an API's names: NotFound names the API's type, Invalid its input
    fields (``rename``: a service field and its messages as the API tells them). In a query
    (no field list to show) Invalid is told by its first message."""
    try:
        yield
    except NotFound as exc:
        raise NotFound(type_names.get(exc.entity, exc.entity), exc.key) from None
    except Invalid as exc:
        renamed: dict[str, list[str]] = {}
        for field, messages in exc.field_errors.items():
            name, told = rename(field, messages)
            renamed.setdefault(name, []).extend(told)
        message = exc.message
        if query and message == Invalid.default_message and renamed:
            message = next(iter(renamed.values()))[0]
        raise Invalid(renamed, message=message) from None
