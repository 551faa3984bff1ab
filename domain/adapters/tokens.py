"""HS256 JWTs through PyJWT with an explicit algorithm list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jwt

from domain.accounts.errors import InvalidToken, TokenExpired

if TYPE_CHECKING:
    from collections.abc import Mapping

ALGORITHM = "HS256"


class JwtCodec:
    def __init__(self, key: str, *, leeway: float = 0) -> None:
        if len(key.encode()) < 32:
            raise ValueError("the token signing key must be at least 32 bytes")
        self._key = key
        self._leeway = leeway

    def encode(self, claims: Mapping[str, Any]) -> str:
        return jwt.encode(dict(claims), self._key, algorithm=ALGORITHM)

    def decode(self, token: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "iat", "sub"]},
                leeway=self._leeway,
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired from exc
        except (jwt.PyJWTError, UnicodeError, ValueError) as exc:
            raise InvalidToken from exc
