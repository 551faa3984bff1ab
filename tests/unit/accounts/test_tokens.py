"""The JWT codec: a token's signature is checked once per process, its expiry on every use."""

from __future__ import annotations

import time

import jwt
import pytest

from domain.accounts.errors import InvalidToken, TokenExpired
from domain.adapters.tokens import ALGORITHM, JwtCodec

KEY = "k" * 32


def token(exp: float, key: str = KEY) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "u", "iat": now, "exp": int(exp)}, key, algorithm=ALGORITHM)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_still_expires() -> None:
    clock = Clock()
    codec = JwtCodec(KEY, clock=clock)
    good = token(clock.now + 60)
    assert codec.decode(good)["sub"] == "u"  # verified, and remembered

    clock.now += 61

    with pytest.raises(TokenExpired):
        codec.decode(good)


def test_each_use_gets_its_own_claims() -> None:
    codec = JwtCodec(KEY)
    good = token(time.time() + 60)
    codec.decode(good)["sub"] = "someone else"

    assert codec.decode(good)["sub"] == "u"


def test_a_token_signed_with_another_key_is_refused_every_time() -> None:
    codec = JwtCodec(KEY)
    forged = token(time.time() + 60, key="x" * 32)

    for _ in range(2):
        with pytest.raises(InvalidToken):
            codec.decode(forged)
