"""GraphQL error shapes, and the one table that maps domain errors onto them.

Mutation payloads are unions of a success type and these error types; Strawberry's
``exception_handlers`` turn a raised ``DomainError`` into the union member when the field's
union contains it. Anywhere else a domain error becomes a GraphQL error whose
``extensions.code`` comes from ``ERROR_CODES``; anything else is masked (see
``resolvers.errors.ErrorPolicy``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError

from domain.accounts.errors import InvalidCredentials, InvalidToken
from domain.errors import (
    Conflict,
    DomainError,
    ExternalUnavailable,
    Invalid,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from domain.messenger.errors import NotAMember

if TYPE_CHECKING:
    from collections.abc import Callable


@strawberry.type
class FieldError:
    field: str
    messages: list[str]


@strawberry.interface
class Error:
    message: str
    code: str


@strawberry.type
class ValidationError(Error):
    fields: list[FieldError]


@strawberry.type
class NotFoundError(Error):
    pass


@strawberry.type
class PermissionDeniedError(Error):
    pass


@strawberry.type
class ConflictError(Error):
    pass


@strawberry.type
class AuthenticationError(Error):
    pass


@strawberry.type
class RateLimitedError(Error):
    retry_after: float


def camel_case(name: str) -> str:
    """A field name as GraphQL spells it (``first_name`` is ``firstName``)."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _validation(exc: Invalid) -> ValidationError:
    fields = [
        FieldError(field=camel_case(name), messages=msgs) for name, msgs in exc.field_errors.items()
    ]
    return ValidationError(message=exc.message, code=exc.code, fields=fields)


class DomainErrorHandler:
    """Turns a raised domain error into the error member of a mutation's payload union."""

    def __init__(
        self,
        exception_type: type[DomainError] | tuple[type[DomainError], ...],
        error_type: type[Error],
        convert: Callable[[Any], Error] | None = None,
    ) -> None:
        self.exception_type = exception_type
        self.error_type = error_type
        self._convert = convert or self._plain

    def _plain(self, exception: DomainError) -> Error:
        return self.error_type(message=exception.message, code=exception.code)

    def handle(self, exception: DomainError, *, field: object, info: object) -> Error:
        return self._convert(public_error(exception))


def public_error(exc: DomainError) -> DomainError:
    """The error a GraphQL client is told: an outsider of a chat hears that it does not
    exist, as lookups answer null for it, so no operation confirms that an id exists. (The
    legacy routes keep their original 403.)"""
    if isinstance(exc, NotAMember):
        return NotFound(exc.entity)
    return exc


def _rate_limited(exc: RateLimited) -> RateLimitedError:
    return RateLimitedError(message=exc.message, code=exc.code, retry_after=exc.retry_after)


EXCEPTION_HANDLERS = [
    DomainErrorHandler(NotAMember, NotFoundError),  # before PermissionDenied: see public_error
    DomainErrorHandler(Invalid, ValidationError, _validation),
    DomainErrorHandler(NotFound, NotFoundError),
    DomainErrorHandler(PermissionDenied, PermissionDeniedError),
    DomainErrorHandler(Conflict, ConflictError),
    DomainErrorHandler((InvalidCredentials, InvalidToken), AuthenticationError),
    DomainErrorHandler(RateLimited, RateLimitedError, _rate_limited),
]

# Codes for domain errors that surface as GraphQL errors (queries, subscriptions, and
# mutations whose union does not list the error).
ERROR_CODES: dict[type[DomainError], str] = {
    Unauthenticated: "UNAUTHENTICATED",
    PermissionDenied: "FORBIDDEN",
    NotFound: "NOT_FOUND",
    Invalid: "BAD_USER_INPUT",
    Conflict: "CONFLICT",
    RateLimited: "RATE_LIMITED",
    ExternalUnavailable: "UNAVAILABLE",
}


def code_for(exc: DomainError) -> str:
    for cls in type(public_error(exc)).__mro__:
        if cls in ERROR_CODES:
            return ERROR_CODES[cls]
    return "DOMAIN_ERROR"


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})
