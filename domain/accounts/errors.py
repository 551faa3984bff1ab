"""Errors of the accounts aggregate."""

from __future__ import annotations

from domain.errors import Invalid, Unauthenticated


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    default_message = "No active account found with the given credentials"


class InvalidToken(Unauthenticated):
    code = "token_not_valid"
    default_message = "Token is invalid or expired"


class TokenExpired(InvalidToken):
    """A well-signed token past its ``exp`` (realtime clients fetch a new one on this).
    Its message stays simplejwt's, which legacy clients match on."""


class UsernameTaken(Invalid):
    def __init__(self) -> None:
        super().__init__({"username": ["A user with that username already exists."]})
