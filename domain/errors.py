"""The one DomainError hierarchy; transports map it to HTTP statuses and GraphQL types."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """An expected failure with a stable ``code`` and a human ``message``."""

    code = "error"
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    default_message = "Not found."

    def __init__(self, entity: str, key: object = None, message: str | None = None) -> None:
        self.entity = entity
        self.key = key
        super().__init__(message or f"No {entity} matches the given query.")


class Conflict(DomainError):
    code = "conflict"
    default_message = "The request conflicts with the current state."


class PermissionDenied(DomainError):
    code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class Unauthenticated(DomainError):
    code = "unauthenticated"
    default_message = "Authentication credentials were not provided."


class Invalid(DomainError):
    """Input failed validation; ``field_errors`` maps field names to messages."""

    code = "invalid"
    default_message = "Invalid input."

    def __init__(
        self, field_errors: Mapping[str, Sequence[str]], message: str | None = None
    ) -> None:
        self.field_errors = {name: list(msgs) for name, msgs in field_errors.items()}
        super().__init__(message)

    @classmethod
    def single(cls, field: str, message: str) -> Invalid:
        return cls({field: [message]})

    @classmethod
    def check(cls, field_errors: Mapping[str, Sequence[str]]) -> None:
        """Raises for the errors found, if any (a validation's result, often empty)."""
        if field_errors:
            raise cls(field_errors)


class RateLimited(DomainError):
    code = "rate_limited"
    default_message = "Too many requests."

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message or f"Too many requests; retry in {retry_after:.0f} s.")


class ExternalUnavailable(DomainError):
    code = "external_unavailable"
    default_message = "An external service is unavailable."


class SecretUnreadable(DomainError):
    """A stored secret no configured key opens (a key was dropped before rotation)."""

    code = "secret_unreadable"
    default_message = "A stored secret cannot be decrypted with the configured keys."
