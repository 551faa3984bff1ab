"""Events of the accounts aggregate."""

from __future__ import annotations

import dataclasses
import uuid

from typing_extensions import override

from domain.events import Event


@dataclasses.dataclass(frozen=True)
class SessionRevoked(Event):
    """A token family was revoked (logout, or reuse of a rotated refresh token)."""

    name = "session_revoked"

    user_id: uuid.UUID
    session_id: uuid.UUID
    reason: str

    @property
    @override
    def channel(self) -> str:
        return f"user:{self.user_id}"
