"""Events of the messenger: published on every member's ``user:<id>`` channel after commit.

A message event carries a snapshot of the message (sender, files, readers), so every
subscriber renders it without reading the database: what a client receives is the message as
it was committed, and a fan-out to thousands of sockets costs no query.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from typing_extensions import override

from domain.events import Event


@dataclasses.dataclass(frozen=True)
class MessageEvent(Event):
    """A message was created, edited, deleted or read (``kind``, seed 001's ``event``)."""

    name = "message_event"

    kind: str
    chat_id: uuid.UUID
    message: dict[str, Any]
    recipients: list[str]

    @property
    @override
    def channel(self) -> str:
        return f"chat:{self.chat_id}"

    @property
    @override
    def channels(self) -> tuple[str, ...]:
        return tuple(f"user:{member}" for member in self.recipients)


@dataclasses.dataclass(frozen=True)
class MessagesReadAll(Event):
    """A member read every message of a chat (seed 001's ``read_all``)."""

    name = "messages_read_all"

    chat_id: uuid.UUID
    user_id: uuid.UUID
    message_ids: list[str]
    recipients: list[str]

    @property
    @override
    def channel(self) -> str:
        return f"chat:{self.chat_id}"

    @property
    @override
    def channels(self) -> tuple[str, ...]:
        return tuple(f"user:{member}" for member in self.recipients)
