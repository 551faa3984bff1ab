"""SQL of the messenger aggregate. Every batch read takes many ids and costs one statement."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Uuid,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

# Another aggregate's table, for searches by a member's or sender's names: one statement
# (and one keyset) over both (see the import contract in pyproject.toml).
from domain.accounts.model import User
from domain.errors import Invalid
from domain.messenger.cards import UserCard
from domain.messenger.errors import PrivateChatExists
from domain.messenger.model import Chat, ChatMember, Message, MessageFile
from domain.messenger.rules import search_words
from domain.text import contains_pattern

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.sql.dml import Update

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


# --- messages --------------------------------------------------------------------------------


async def find_message(session: AsyncSession, message_id: uuid.UUID) -> Message | None:
    return await session.get(Message, message_id)


def _param(name: str, column: Any) -> BindParameter[Any]:
    """A named parameter typed as ``column``: statements built once take their values at
    execution (building a statement costs more CPU than running a cached one)."""
    return bindparam(name, type_=column.type)


@functools.cache
def _member_ids() -> Select[uuid.UUID]:
    return (
        select(ChatMember.user_id)
        .where(ChatMember.chat_id == _param("chat", ChatMember.chat_id))
        .order_by(ChatMember.joined_at, ChatMember.user_id)
    )


async def member_ids(session: AsyncSession, chat_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of the chat's members, in the order they joined (a send's recipients)."""
    return list((await session.scalars(_member_ids(), {"chat": chat_id})).all())


_NEW_MESSAGE = ("id", "chat_id", "sender_id", "text", "voice", "created_at", "updated_at")


@functools.cache
def _add_message() -> Update:
    # Parameters named apart from the columns: SQLAlchemy keeps those names for itself.
    sent = insert(Message).values(
        {name: _param(f"new_{name}", getattr(Message, name)) for name in _NEW_MESSAGE}
    )
    return (
        update(Chat)
        .where(Chat.id == _param("new_chat_id", Chat.id))
        .values(updated_at=_param("bump", Chat.updated_at))
        .execution_options(synchronize_session=False)
        .add_cte(sent.cte("sent"))
    )


async def add_message(
    session: AsyncSession, message: Message, file_keys: Sequence[str], *, bump: datetime
) -> None:
    """Insert ``message`` (an entity with its id set, left out of the session) with its
    files, and move its chat's ``updated_at`` to ``bump``: one statement, so the chat row's
    lock is taken by the last statement before the commit and the send is one round trip."""
    values: dict[str, Any] = {f"new_{name}": getattr(message, name) for name in _NEW_MESSAGE}
    values["bump"] = bump
    stmt = _add_message()
    if file_keys:
        rows = [
            {"id": uuid.uuid4(), "message_id": message.id, "key": key, "position": position}
            for position, key in enumerate(file_keys)
        ]
        # The foreign key to the message is checked at the end of the statement, when the
        # message's row (from a sibling CTE) is there.
        stmt = stmt.add_cte(insert(MessageFile).values(rows).cte("files"))
    await session.execute(stmt, values)


async def delete_message(session: AsyncSession, message: Message) -> None:
    await session.delete(message)
    await session.flush()


def _message_filters(
    message: type[Message], chat_id: uuid.UUID | BindParameter[Any], search: str | None
) -> list[ColumnElement[bool]]:
    """Messages of a chat whose text or sender's names match every word of ``search``."""
    filters = [message.chat_id == chat_id]
    for word in search_words(search):
        pattern = contains_pattern(word)
        senders = select(User.id).where(_names_match(pattern))
        filters.append(
            or_(message.text.ilike(pattern, escape="\\"), message.sender_id.in_(senders))
        )
    return filters


async def count_messages(session: AsyncSession, chat_id: uuid.UUID, search: str | None) -> int:
    stmt = select(func.count()).where(*_message_filters(Message, chat_id, search))
    return int(await session.scalar(stmt) or 0)


# --- message pages, as rows --------------------------------------------------------------------
# A page of messages is read as plain rows (no ORM entities, no identity map) in one statement
# with its total, senders and files, and the chat's members in one more: the legacy page and
# GraphQL's cost the same two statements for 1 message or 100.

# What a UserCard is drawn from (never the password hash).
_CARD_COLUMNS = (
    "id",
    "username",
    "first_name",
    "last_name",
    "bio",
    "avatar",
    "role",
    "last_online_at",
    "online_announced",
    "deleted_at",
)


def _card_columns(user: type[User]) -> list[ColumnElement[Any]]:
    return [getattr(user, name) for name in _CARD_COLUMNS]


def _user_card(values: Sequence[Any]) -> UserCard:
    row = dict(zip(_CARD_COLUMNS, values, strict=True))
    return UserCard(
        id=row["id"],
        username=row["username"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        bio=row["bio"],
        avatar=row["avatar"],
        role=row["role"].value,
        last_online_at=row["last_online_at"],
        online=row["online_announced"],
        deleted=row["deleted_at"] is not None,
    )


@dataclass(frozen=True)
class MemberRow:
    """A member of a chat as a page of its messages needs them: to tell who has read what."""

    user: UserCard
    last_read_at: datetime | None


@functools.cache
def _member_rows() -> Select[Any]:
    return (
        select(ChatMember.last_read_at, *_card_columns(User))
        .join(User, User.id == ChatMember.user_id)
        .where(ChatMember.chat_id == _param("chat", ChatMember.chat_id))
        .order_by(ChatMember.joined_at, ChatMember.user_id)
    )


async def member_rows(session: AsyncSession, chat_id: uuid.UUID) -> list[MemberRow]:
    """The chat's members with their users, in the order they joined."""
    rows = (await session.execute(_member_rows(), {"chat": chat_id})).all()
    return [MemberRow(user=_user_card(row[1:]), last_read_at=row[0]) for row in rows]


@dataclass(frozen=True)
class MessageRow:
    """A stored message with its sender's card and its files' keys."""

    id: uuid.UUID
    chat_id: uuid.UUID
    sender_id: uuid.UUID | None
    text: str | None
    voice: str | None
    created_at: datetime
    updated_at: datetime
    sender: UserCard | None
    files: tuple[str, ...]


_MESSAGE_COLUMNS = ("id", "chat_id", "sender_id", "text", "voice", "created_at", "updated_at")


def _message_row(values: Sequence[Any]) -> MessageRow:
    """From ``total, *_MESSAGE_COLUMNS, files, *sender's _CARD_COLUMNS``."""
    columns = len(_MESSAGE_COLUMNS)
    message = dict(zip(_MESSAGE_COLUMNS, values[1 : 1 + columns], strict=True))
    files, sender = values[1 + columns], values[2 + columns :]
    return MessageRow(
        **message,
        sender=None if sender[0] is None else _user_card(sender),
        files=tuple(files or ()),
    )


# Made once: a page's statement takes its chat, bounds and cursor as parameters.
_COUNTED = aliased(Message, name="counted")  # its own FROM: the page reads messages too
_SENDER = aliased(User, name="sender")


def _page(search: str | None, *, keyset: bool) -> Select[Any]:
    """``total, *_MESSAGE_COLUMNS, files, *sender's _CARD_COLUMNS`` of the chat's messages
    that match ``search``, newest first, from ``:offset`` (or after ``:at, :after_id``) up to
    ``:limit``."""
    chat = _param("chat", Message.chat_id)
    total = select(func.count()).where(*_message_filters(_COUNTED, chat, search))
    files = (
        select(func.array_agg(aggregate_order_by(MessageFile.key, MessageFile.position)))
        .where(MessageFile.message_id == Message.id)
        .scalar_subquery()
    )
    stmt = (
        select(
            total.correlate(None).scalar_subquery(),
            *[getattr(Message, name) for name in _MESSAGE_COLUMNS],
            files,
            *_card_columns(_SENDER),
        )
        .outerjoin(_SENDER, _SENDER.id == Message.sender_id)
        .where(*_message_filters(Message, chat, search))
        .order_by(Message.created_at.desc(), Message.id.desc())
    )
    if keyset:
        cursor = tuple_(_param("at", Message.created_at), _param("after_id", Message.id))
        stmt = stmt.where(tuple_(Message.created_at, Message.id) < cursor)
    return stmt.offset(bindparam("offset", type_=Integer)).limit(bindparam("limit", type_=Integer))


@functools.cache
def _unsearched_page(*, keyset: bool) -> Select[Any]:
    return _page(None, keyset=keyset)


async def message_rows(
    session: AsyncSession,
    chat_id: uuid.UUID,
    search: str | None,
    *,
    limit: int,
    offset: int = 0,
    after: tuple[str, ...] | None = None,
) -> tuple[int, list[MessageRow]]:
    """How many messages match, and up to ``limit`` of them, newest first, from ``offset`` or
    after the keyset cursor ``after``: one statement, a second only for an empty page past
    the first (whose count no row carries)."""
    keyset = after is not None
    stmt = _page(search, keyset=keyset) if search_words(search) else _unsearched_page(keyset=keyset)
    params: dict[str, Any] = {"chat": chat_id, "offset": offset, "limit": limit}
    if after is not None:
        params["at"], params["after_id"] = _time_key(after)
    rows = (await session.execute(stmt, params)).all()
    if rows:
        return int(rows[0][0]), [_message_row(row) for row in rows]
    if offset or keyset or limit == 0:
        return await count_messages(session, chat_id, search), []
    return 0, []  # the first page is empty: nothing matches


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
