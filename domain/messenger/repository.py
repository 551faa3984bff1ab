"""SQL of the messenger aggregate. Every batch read takes many ids and costs one statement."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    ColumnElement,
    Select,
    Uuid,
    and_,
    cast,
    delete,
    func,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

# Another aggregate's table, for searches by a member's or sender's names: one statement
# (and one keyset) over both (see the import contract in pyproject.toml).
from domain.accounts.model import User
from domain.errors import Invalid
from domain.messenger.errors import PrivateChatExists
from domain.messenger.model import Chat, ChatMember, Message, MessageFile
from domain.messenger.rules import search_words
from domain.text import contains_pattern

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from domain.types import PageRequest


def _names_match(pattern: str) -> ColumnElement[bool]:
    return or_(
        User.username.ilike(pattern, escape="\\"),
        User.first_name.ilike(pattern, escape="\\"),
        User.last_name.ilike(pattern, escape="\\"),
    )


# --- chats -----------------------------------------------------------------------------------


async def find_chat(session: AsyncSession, chat_id: uuid.UUID) -> Chat | None:
    return await session.get(Chat, chat_id)


async def lock_chat(session: AsyncSession, chat_id: uuid.UUID) -> Chat | None:
    """The chat, locked until commit: membership changes of one chat happen one at a time."""
    stmt = select(Chat).where(Chat.id == chat_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_private_chat(session: AsyncSession, key: str) -> Chat | None:
    return (await session.execute(select(Chat).where(Chat.private_key == key))).scalar_one_or_none()


async def add_chat(
    session: AsyncSession, chat: Chat, member_ids: Sequence[uuid.UUID], *, joined_at: datetime
) -> None:
    """Insert the chat with its members, who join a microsecond apart in the order given (the
    creator first: members are listed by joining); a concurrent twin of a private pair
    raises."""
    session.add(chat)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise PrivateChatExists from exc
    session.add_all(
        ChatMember(
            chat_id=chat.id, user_id=user_id, joined_at=joined_at + timedelta(microseconds=n)
        )
        for n, user_id in enumerate(member_ids)
    )
    await session.flush()


async def delete_chat(session: AsyncSession, chat: Chat) -> None:
    await session.delete(chat)
    await session.flush()


async def membership(
    session: AsyncSession, chat_id: uuid.UUID, user_id: uuid.UUID
) -> ChatMember | None:
    return await session.get(ChatMember, (chat_id, user_id))


async def members_of(session: AsyncSession, chat_ids: Sequence[uuid.UUID]) -> list[ChatMember]:
    """Members of these chats, in the order they joined."""
    stmt = (
        select(ChatMember)
        .where(ChatMember.chat_id.in_(chat_ids))
        .order_by(ChatMember.chat_id, ChatMember.joined_at, ChatMember.user_id)
    )
    return list((await session.execute(stmt)).scalars())


async def set_members(
    session: AsyncSession, chat_id: uuid.UUID, member_ids: Sequence[uuid.UUID]
) -> None:
    """Make exactly these users the members; those staying keep their read markers."""
    keep = list(member_ids)
    await session.execute(
        delete(ChatMember).where(ChatMember.chat_id == chat_id, ChatMember.user_id.not_in(keep))
    )
    current = set(
        (await session.execute(select(ChatMember.user_id).where(ChatMember.chat_id == chat_id)))
        .scalars()
        .all()
    )
    session.add_all(ChatMember(chat_id=chat_id, user_id=u) for u in keep if u not in current)
    await session.flush()


async def remove_member(session: AsyncSession, member: ChatMember) -> int:
    """Remove one member; the number of members left."""
    await session.delete(member)
    await session.flush()
    stmt = select(func.count()).where(ChatMember.chat_id == member.chat_id)
    return int(await session.scalar(stmt) or 0)


def _chats_of(viewer: uuid.UUID, search: str | None) -> Select[Chat]:
    """The viewer's chats whose title (group) or companion's names (private) match."""
    mine = select(ChatMember.chat_id).where(ChatMember.user_id == viewer)
    stmt = select(Chat).where(Chat.id.in_(mine))
    for word in search_words(search):
        pattern = contains_pattern(word)
        companion = (
            select(ChatMember.chat_id)
            .join(User, User.id == ChatMember.user_id)
            .where(ChatMember.user_id != viewer, _names_match(pattern))
        )
        stmt = stmt.where(
            or_(
                and_(~Chat.is_private, Chat.title.ilike(pattern, escape="\\")),
                and_(Chat.is_private, Chat.id.in_(companion)),
            )
        )
    return stmt


async def count_chats(session: AsyncSession, viewer: uuid.UUID, search: str | None) -> int:
    stmt = select(func.count()).select_from(_chats_of(viewer, search).subquery())
    return int(await session.scalar(stmt) or 0)


async def chats_page(
    session: AsyncSession, viewer: uuid.UUID, search: str | None, *, offset: int, limit: int
) -> list[Chat]:
    """One page of the viewer's chats, liveliest first (legacy page numbers)."""
    stmt = _chats_of(viewer, search).order_by(Chat.updated_at.desc(), Chat.id.desc())
    return list((await session.execute(stmt.offset(offset).limit(limit))).scalars())


async def chats_after(
    session: AsyncSession, viewer: uuid.UUID, search: str | None, page: PageRequest
) -> list[Chat]:
    """Up to ``page.first + 1`` chats after the cursor (GraphQL keyset pages)."""
    stmt = _chats_of(viewer, search).order_by(Chat.updated_at.desc(), Chat.id.desc())
    if page.after is not None:
        at, chat_id = _time_key(page.after)
        stmt = stmt.where(tuple_(Chat.updated_at, Chat.id) < tuple_(at, chat_id))
    return list((await session.execute(stmt.limit(page.first + 1))).scalars())


def _time_key(after: tuple[str, ...]) -> tuple[datetime, uuid.UUID]:
    try:
        at, item_id = after
        return datetime.fromisoformat(at), uuid.UUID(item_id)
    except ValueError as exc:
        raise Invalid({"after": ["Invalid cursor."]}, message="Invalid cursor.") from exc


def time_cursor(at: datetime, item_id: uuid.UUID) -> tuple[str, str]:
    return (at.isoformat(), str(item_id))


async def member_chats(
    session: AsyncSession, user_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Chat]:
    """The chats among ``ids`` that the user is a member of."""
    stmt = (
        select(Chat)
        .join(ChatMember, and_(ChatMember.chat_id == Chat.id, ChatMember.user_id == user_id))
        .where(Chat.id.in_(ids))
    )
    return {chat.id: chat for chat in (await session.execute(stmt)).scalars()}


async def touch_chat(session: AsyncSession, chat_id: uuid.UUID, at: datetime) -> None:
    await session.execute(update(Chat).where(Chat.id == chat_id).values(updated_at=at))


# --- messages --------------------------------------------------------------------------------


async def find_message(session: AsyncSession, message_id: uuid.UUID) -> Message | None:
    return await session.get(Message, message_id)


async def add_message(session: AsyncSession, message: Message, file_keys: Sequence[str]) -> None:
    session.add(message)
    await session.flush()
    session.add_all(
        MessageFile(message_id=message.id, key=key, position=i) for i, key in enumerate(file_keys)
    )
    await session.flush()


async def delete_message(session: AsyncSession, message: Message) -> None:
    await session.delete(message)
    await session.flush()


def _messages_of(chat_id: uuid.UUID, search: str | None) -> Select[Message]:
    """Messages of a chat whose text or sender's names match every word of ``search``."""
    stmt = select(Message).where(Message.chat_id == chat_id)
    for word in search_words(search):
        pattern = contains_pattern(word)
        senders = select(User.id).where(_names_match(pattern))
        stmt = stmt.where(
            or_(Message.text.ilike(pattern, escape="\\"), Message.sender_id.in_(senders))
        )
    return stmt


async def count_messages(session: AsyncSession, chat_id: uuid.UUID, search: str | None) -> int:
    stmt = select(func.count()).select_from(_messages_of(chat_id, search).subquery())
    return int(await session.scalar(stmt) or 0)


async def messages_page(
    session: AsyncSession, chat_id: uuid.UUID, search: str | None, *, offset: int, limit: int
) -> list[Message]:
    stmt = _messages_of(chat_id, search).order_by(Message.created_at.desc(), Message.id.desc())
    return list((await session.execute(stmt.offset(offset).limit(limit))).scalars())


async def messages_after(
    session: AsyncSession, chat_id: uuid.UUID, search: str | None, page: PageRequest
) -> list[Message]:
    stmt = _messages_of(chat_id, search).order_by(Message.created_at.desc(), Message.id.desc())
    if page.after is not None:
        at, message_id = _time_key(page.after)
        stmt = stmt.where(tuple_(Message.created_at, Message.id) < tuple_(at, message_id))
    return list((await session.execute(stmt.limit(page.first + 1))).scalars())


async def member_messages(
    session: AsyncSession, user_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Message]:
    """The messages among ``ids`` in chats the user is a member of."""
    member = and_(ChatMember.chat_id == Message.chat_id, ChatMember.user_id == user_id)
    stmt = select(Message).join(ChatMember, member).where(Message.id.in_(ids))
    return list((await session.execute(stmt)).scalars())


async def last_messages(
    session: AsyncSession, chat_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Message]:
    """The newest message of each chat that has one: per chat, one backward step along
    ``ix_messages_chat_created`` (a LATERAL ... LIMIT 1), however long the chats are."""
    chats = select(func.unnest(cast(list(chat_ids), ARRAY(Uuid))).label("chat_id")).subquery()
    step = aliased(Message)  # its own FROM: the outer query reads messages too
    newest = (
        select(step.id)
        .where(step.chat_id == chats.c.chat_id)
        .order_by(step.created_at.desc(), step.id.desc())
        .limit(1)
        .correlate(chats)
        .lateral()
    )
    stmt = (
        select(Message)
        .select_from(chats)
        .join(newest, true())
        .join(Message, Message.id == newest.c.id)
    )
    return {message.chat_id: message for message in (await session.execute(stmt)).scalars()}


async def unread_counts(
    session: AsyncSession, reader: uuid.UUID, chat_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Messages of others newer than the reader's marker, per chat."""
    marker = ChatMember.last_read_at
    stmt = (
        select(Message.chat_id, func.count())
        .join(
            ChatMember,
            and_(ChatMember.chat_id == Message.chat_id, ChatMember.user_id == reader),
        )
        .where(
            Message.chat_id.in_(chat_ids),
            or_(Message.sender_id.is_(None), Message.sender_id != reader),
            or_(marker.is_(None), Message.created_at > marker),
        )
        .group_by(Message.chat_id)
    )
    return {chat_id: int(count) for chat_id, count in (await session.execute(stmt)).all()}


async def unread_messages(
    session: AsyncSession, chat_id: uuid.UUID, reader: uuid.UUID, marker: datetime | None
) -> list[Message]:
    """The reader's unread messages of one chat, oldest first."""
    stmt = select(Message).where(
        Message.chat_id == chat_id,
        or_(Message.sender_id.is_(None), Message.sender_id != reader),
    )
    if marker is not None:
        stmt = stmt.where(Message.created_at > marker)
    stmt = stmt.order_by(Message.created_at, Message.id)
    return list((await session.execute(stmt)).scalars())


async def newest_message(session: AsyncSession, chat_id: uuid.UUID) -> Message | None:
    stmt = (
        select(Message)
        .where(Message.chat_id == chat_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def file_keys_of(
    session: AsyncSession, message_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    stmt = (
        select(MessageFile.message_id, MessageFile.key)
        .where(MessageFile.message_id.in_(message_ids))
        .order_by(MessageFile.message_id, MessageFile.position)
    )
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    for message_id, key in (await session.execute(stmt)).all():
        found[message_id].append(key)
    return found
