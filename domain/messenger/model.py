"""Entities of the messenger aggregate (its stored files are the files aggregate's)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from domain.orm import Base


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str | None] = mapped_column(String(255), default=None)
    is_private: Mapped[bool]
    # Storage key of the group's avatar; a private chat shows its companion's.
    avatar: Mapped[str | None] = mapped_column(String(255), default=None)
    creator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # "<smaller uuid>:<larger uuid>" for a private chat: one chat per pair, enforced by the index.
    private_key: Mapped[str | None] = mapped_column(String(80), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Bumped by every new message, so the chat list shows the liveliest chats first. Not
    # indexed: lists reach chats through chat_members, and an unindexed bump is a HOT update.
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ChatMember(Base):
    """Membership, with the member's read marker: everything up to it has been read."""

    __tablename__ = "chat_members"

    chat_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_read_at: Mapped[datetime | None] = mapped_column(default=None)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_chat_created", "chat_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    chat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    sender_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str | None] = mapped_column(Text, default=None)
    voice: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MessageFile(Base):
    __tablename__ = "message_files"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(default=0)
