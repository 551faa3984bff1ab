"""Cards: snapshots of a message (with its sender, files and readers) and of a user.

The messenger's use cases return them and its events carry them, so every transport renders a
message without another query, and a fan-out to thousands of sockets reads nothing. They are
frozen and typed: a renamed field is a type error in every renderer at once. Timestamps stay
datetimes and storage keys stay keys; each transport formats them at its edge.
"""

from __future__ import annotations

import uuid  # noqa: TC003 - events decode cards from these annotations at run time
from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - as above
from typing import TYPE_CHECKING, Any, TypeVar

from domain.messenger import rules

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from domain.accounts.model import User
    from domain.messenger.model import ChatMember, Message

Frozen = TypeVar("Frozen")


def filled(cls: type[Frozen], /, **fields: Any) -> Frozen:
    """A frozen dataclass instance made as its ``__init__`` would leave it, every field given.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, a call
    per field: three times the cost of filling the instance's dict at once, on the hundreds
    of rows a chat list reads per request. Only for frozen dataclasses without slots,
    defaults left out or ``__post_init__`` (``tests/unit/messenger/test_filled.py`` checks
    the ones built so).
    """
    made: Frozen = object.__new__(cls)
    made.__dict__.update(fields)
    return made


@dataclass(frozen=True)
class UserCard:
    """A user as a message snapshot carries them."""

    id: uuid.UUID
    username: str
    first_name: str
    last_name: str
    bio: str | None
    avatar: str | None  # storage key
    role: str  # for admins' eyes; the legacy shapes never show it
    last_online_at: datetime | None
    online: bool  # an "online" announcement is out (and no "offline" since)
    deleted: bool  # the account was deleted: its row stays, anonymised


@dataclass(frozen=True)
class MessageCard:
    """A message as it was committed, with what renders it."""

    id: uuid.UUID
    chat_id: uuid.UUID
    text: str | None
    voice: str | None  # storage key of the recording
    files: tuple[str, ...]  # storage keys, in the order sent
    sender: UserCard | None  # None when the sender's row no longer exists
    was_read_by: tuple[UserCard, ...]  # members whose marker passed it, as they joined
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ChatRow:
    """A chat's own columns, as chat lists read them: a plain row, not an ORM entity."""

    id: uuid.UUID
    title: str | None
    is_private: bool
    avatar: str | None  # storage key of a group's picture
    creator_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


def user_card(user: User) -> UserCard:
    return UserCard(
        id=user.id,
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
        bio=user.bio,
        avatar=user.avatar,
        role=user.role.value,
        last_online_at=user.last_online_at,
        online=user.online_announced,
        deleted=user.deleted_at is not None,
    )


def message_card(
    message: Message, sender: User | None, files: Sequence[str], readers: Sequence[User]
) -> MessageCard:
    return MessageCard(
        id=message.id,
        chat_id=message.chat_id,
        text=message.text,
        voice=message.voice,
        files=tuple(files),
        sender=None if sender is None else user_card(sender),
        was_read_by=tuple(user_card(reader) for reader in readers),
        created_at=message.created_at,
        updated_at=message.updated_at,
    )


def readers_of(
    message: Message, members: Sequence[ChatMember], users: Mapping[uuid.UUID, User]
) -> list[User]:
    """Members whose read marker has passed the message, in the order they joined."""
    return [
        users[member.user_id]
        for member in members
        if member.user_id in users
        and rules.has_read(
            member.user_id,
            member.last_read_at,
            sender=message.sender_id,
            sent_at=message.created_at,
        )
    ]
