"""Events of the accounts aggregate."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

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


@dataclasses.dataclass(frozen=True)
class PresenceChanged(Event):
    """A messenger user came online or went offline."""

    name = "presence_changed"

    user_id: uuid.UUID
    online: bool
    last_online_at: datetime | None

    @property
    @override
    def channel(self) -> str:
        return f"presence:{self.user_id}"


ACCOUNTS_CHANNEL = "accounts"


@dataclasses.dataclass(frozen=True)
class AccountChanged(Event):
    """A user's row or one of their token families changed: processes that keep them
    (``domain.accounts.session_cache``) drop what they hold of that user."""

    name = "account_changed"

    user_id: uuid.UUID

    @property
    @override
    def channel(self) -> str:
        return ACCOUNTS_CHANNEL
