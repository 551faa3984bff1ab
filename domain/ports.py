"""Protocols through which aggregates reach the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping
    from contextlib import AbstractAsyncContextManager
    from datetime import datetime


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class EventPublisher(Protocol):
    async def publish(self, channel: str, message: str) -> None:
        """Publish JSON text on a ``scope:id`` channel; delivery is at-most-once."""
        ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str:
        """A salted, slow hash (argon2); runs off the event loop."""
        ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when the password matches; costs the same time for a missing hash."""
        ...


class TokenCodec(Protocol):
    def encode(self, claims: Mapping[str, Any]) -> str:
        """Sign claims into a compact token."""
        ...

    def decode(self, token: str) -> dict[str, Any]:
        """Verify signature and expiry; raise ``InvalidToken`` on any failure."""
        ...


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> float | None:
        """Count one attempt; the seconds to wait when ``key`` is over ``limit`` per window."""
        ...


@dataclass(frozen=True)
class AuthPorts:
    """What the accounts services need from outside, bundled to keep signatures short."""

    hasher: PasswordHasher
    tokens: TokenCodec
    clock: Clock
    limiter: RateLimiter
    access_ttl: int
    refresh_ttl: int
    login_attempts_per_minute: int


class EventSource(Protocol):
    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[str]]:
        """Messages published on ``channel`` from now on, as JSON text."""
        ...
