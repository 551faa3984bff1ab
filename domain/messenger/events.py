"""Events of the messenger: published on every member's ``user:<id>`` channel after commit.

A message event carries a card of the message (sender, files, readers), so every subscriber
renders it without reading the database: what a client receives is the message as it was
committed, and a fan-out to thousands of sockets costs no query.
"""

from __future__ import annotations

import dataclasses
import uuid

from domain.events import Event, routing
from domain.messenger.cards import MessageCard


class ToMembers:
    """Mixin of an event of one chat, published on each recipient's ``user:<id>`` channel.

    The recipients only route the event: they are not encoded, or a group's message would
    carry every member's id to every member.
    """

    recipients: tuple[uuid.UUID, ...]

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(f"user:{member}" for member in self.recipients)


@dataclasses.dataclass(frozen=True)
class MessageEvent(ToMembers, Event):
    """A message was created, edited, deleted or read (``kind``, seed 001's ``event``)."""

    name = "message_event"
    version = 2  # 2: a typed card, no recipients on the wire

    kind: str
    chat_id: uuid.UUID
    message: MessageCard
    recipients: tuple[uuid.UUID, ...] = routing()


@dataclasses.dataclass(frozen=True)
class MessagesReadAll(ToMembers, Event):
    """A member read every message of a chat (seed 001's ``read_all``)."""

    name = "messages_read_all"
    version = 2  # 2: message ids as UUIDs, no recipients on the wire

    chat_id: uuid.UUID
    user_id: uuid.UUID
    message_ids: tuple[uuid.UUID, ...]
    recipients: tuple[uuid.UUID, ...] = routing()
