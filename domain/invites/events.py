"""Events of the invite service, all on one channel: the dashboard follows them live."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from typing_extensions import override

from domain.events import Event

CHANNEL = "invites"


@dataclasses.dataclass(frozen=True)
class InviteLogged(Event):
    """A log row was written: one phone's outcome."""

    name = "invite_logged"

    id: int
    task_id: uuid.UUID
    account_id: uuid.UUID | None
    account_name: str | None
    channel_username: str
    phone: str
    status: str
    reason: str | None
    created_at: datetime

    @property
    @override
    def channel(self) -> str:
        return CHANNEL


@dataclasses.dataclass(frozen=True)
class QueueLengthChanged(Event):
    """The number of phones waiting changed (published at most about once a second)."""

    name = "invite_queue_length"

    queue_length: int
    threshold: int

    @property
    @override
    def channel(self) -> str:
        return CHANNEL

    @property
    def over_threshold(self) -> bool:
        return self.queue_length > self.threshold


@dataclasses.dataclass(frozen=True)
class QueueAlert(Event):
    """The queue went over the settings' ``queue_threshold`` (once per crossing)."""

    name = "invite_queue_alert"

    queue_length: int
    threshold: int
    at: datetime

    @property
    @override
    def channel(self) -> str:
        return CHANNEL
