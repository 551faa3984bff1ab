"""Events of the messenger: published on every member's ``user:<id>`` channel after commit.

A message event carries a snapshot of the message (sender, files, readers), so every
subscriber renders it without reading the database: what a client receives is the message as
it was committed, and a fan-out to thousands of sockets costs no query.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from domain.events import Event


class ToMembers:
    """Mixin of an event of one chat, published on each recipient's ``user:<id>`` channel."""

    chat_id: uuid.UUID
    recipients: list[str]

    @property
    def channel(self) -> str:
        return f"chat:{self.chat_id}"

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(f"user:{member}" for member in self.recipients)


@dataclasses.dataclass(frozen=True)
class MessageEvent(ToMembers, Event):
    """A message was created, edited, deleted or read (``kind``, seed 001's ``event``)."""

    name = "message_event"

    kind: str
    chat_id: uuid.UUID
    message: dict[str, Any]
    recipients: list[str]


@dataclasses.dataclass(frozen=True)
class MessagesReadAll(ToMembers, Event):
    """A member read every message of a chat (seed 001's ``read_all``)."""

    name = "messages_read_all"

    chat_id: uuid.UUID
    user_id: uuid.UUID
    message_ids: list[str]
    recipients: list[str]
