"""HS256 JWTs through PyJWT with an explicit algorithm list."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import jwt

from domain.accounts.errors import InvalidToken, TokenExpired

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

ALGORITHM = "HS256"


# Tokens whose signature this process has checked, with their claims. A token is checked
# once per process, not once per request (the signature and base64 work are most of what
# authenticating from the session cache costs): the same string always verifies the same
# way, and only its expiry moves, which is checked on every use.
VERIFIED_TOKENS = 10_000


class JwtCodec:
    def __init__(
        self, key: str, *, leeway: float = 0, clock: Callable[[], float] = time.time
    ) -> None:
        if len(key.encode()) < 32:
            raise ValueError("the token signing key must be at least 32 bytes")
        self._key = key
        self._leeway = leeway
        self._verified: dict[str, dict[str, Any]] = {}
        self.clock = clock  # the expiry of remembered tokens is checked against it

    def encode(self, claims: Mapping[str, Any]) -> str:
        return jwt.encode(dict(claims), self._key, algorithm=ALGORITHM)

    def decode(self, token: str) -> dict[str, Any]:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            if len(self._verified) >= VERIFIED_TOKENS:
                self._verified.clear()
            self._verified[token] = claims
        elif int(claims["exp"]) <= self.clock() - self._leeway:  # PyJWT's own test
            raise TokenExpired
        return dict(claims)

    def _verify(self, token: str) -> dict[str, Any]:
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
