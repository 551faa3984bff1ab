"""SQL of the messenger aggregate. Every batch read takes many ids and costs one statement."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Label,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

# Another aggregate's table, for searches by a member's or sender's names: one statement
# (and one keyset) over both (see the import contract in pyproject.toml).
from domain.accounts.model import User
from domain.driver import DriverStatement
from domain.errors import Invalid
from domain.messenger.cards import ChatRow, UserCard, filled
from domain.messenger.errors import PrivateChatExists
from domain.messenger.model import Chat, ChatMember, Message, MessageFile
from domain.messenger.rules import search_words
from domain.text import contains_pattern

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.sql.dml import Update
    from sqlalchemy.sql.selectable import LateralFromClause
    from sqlalchemy.util.typing import TupleAny, Unpack

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


# Chat lists run the same statements on every request: they are built once, with their values
# as bound parameters, as SQLAlchemy's construction (column proxies of aliases and LATERALs)
# cost more CPU than running them. A search builds its own (its words change the SQL).
_VIEWER = bindparam("viewer", type_=Uuid)


def _chat_conditions(search: str | None) -> list[ColumnElement[bool]]:
    """The viewer's chats (``:viewer``) whose title (group) or companion's names (private)
    match."""
    mine = select(ChatMember.chat_id).where(ChatMember.user_id == _VIEWER)
    conditions: list[ColumnElement[bool]] = [Chat.id.in_(mine)]
    for word in search_words(search):
        pattern = contains_pattern(word)
        companion = (
            select(ChatMember.chat_id)
            .join(User, User.id == ChatMember.user_id)
            .where(ChatMember.user_id != _VIEWER, _names_match(pattern))
        )
        conditions.append(
            or_(
                and_(~Chat.is_private, Chat.title.ilike(pattern, escape="\\")),
                and_(Chat.is_private, Chat.id.in_(companion)),
            )
        )
    return conditions


# What a chat list shows of a chat, read as plain rows: lists read tens of chats per request,
# and ORM entities (identity map, change tracking) cost more than the SQL (docs/perf.md, fix 7).
_CHAT_ROW = (
    Chat.id,
    Chat.title,
    Chat.is_private,
    Chat.avatar,
    Chat.creator_id,
    Chat.created_at,
    Chat.updated_at,
)
_LIVELIEST_FIRST = (Chat.updated_at.desc(), Chat.id.desc())


def _chat_rows(rows: Sequence[Sequence[Any]]) -> tuple[list[ChatRow], int | None]:
    """The chats of rows ending with the count of all matches; no count for no rows."""
    chats = [
        filled(
            ChatRow,
            id=row[0],
            title=row[1],
            is_private=row[2],
            avatar=row[3],
            creator_id=row[4],
            created_at=row[5],
            updated_at=row[6],
        )
        for row in rows
    ]
    return chats, (rows[0][7] if rows else None)


async def count_chats(session: AsyncSession, viewer: uuid.UUID, search: str | None) -> int:
    stmt = select(func.count()).where(*_chat_conditions(search))
    return int(await session.scalar(stmt, {"viewer": viewer}) or 0)


def _build_page(search: str | None) -> Select[Unpack[TupleAny]]:
    total = func.count().over().label("total")
    return (
        select(*_CHAT_ROW, total)
        .where(*_chat_conditions(search))
        .order_by(*_LIVELIEST_FIRST)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


@cache
def _plain_page() -> DriverStatement:
    return DriverStatement(_build_page(None))


async def chats_page(
    session: AsyncSession, viewer: uuid.UUID, search: str | None, *, offset: int, limit: int
) -> tuple[list[ChatRow], int | None]:
    """One page of the viewer's chats, liveliest first (legacy page numbers), and the number
    of all of them: counted by the same statement (a window over the matches, taken before
    OFFSET/LIMIT), so None when the page is empty."""
    values = {"viewer": viewer, "offset": offset, "limit": limit}
    if search_words(search):
        return _chat_rows((await session.execute(_build_page(search), values)).all())
    return _chat_rows(await _plain_page().rows(session, values))


def _build_keyset_page(search: str | None, *, after: bool) -> Select[Unpack[TupleAny]]:
    conditions = _chat_conditions(search)
    matching = select(Chat.id).where(*conditions).subquery()
    total = select(func.count()).select_from(matching).scalar_subquery().label("total")
    stmt = select(*_CHAT_ROW, total).where(*conditions).order_by(*_LIVELIEST_FIRST)
    if after:
        key = tuple_(
            bindparam("after_at", type_=Chat.updated_at.type), bindparam("after_id", type_=Uuid)
        )
        stmt = stmt.where(tuple_(Chat.updated_at, Chat.id) < key)
    return stmt.limit(bindparam("limit"))


@cache
def _plain_keyset_page(*, after: bool) -> DriverStatement:
    return DriverStatement(_build_keyset_page(None, after=after))


async def chats_after(
    session: AsyncSession, viewer: uuid.UUID, search: str | None, page: PageRequest
) -> tuple[list[ChatRow], int | None]:
    """Up to ``page.first + 1`` chats after the cursor (GraphQL keyset pages), and the number
    of all the viewer's matching chats (before the cursor too): an uncorrelated subquery of
    the same statement, which PostgreSQL runs once; None when the page is empty."""
    after = page.after is not None
    values: dict[str, Any] = {"viewer": viewer, "limit": page.first + 1}
    if page.after is not None:
        values["after_at"], values["after_id"] = _time_key(page.after)
    if search_words(search):
        stmt = _build_keyset_page(search, after=after)
        return _chat_rows((await session.execute(stmt, values)).all())
    return _chat_rows(await _plain_keyset_page(after=after).rows(session, values))


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


# --- chat list details: plain rows, ids bound as one array ----------------------------------


def _ids(name: str) -> BindParameter[Any]:
    """One ``uuid[]`` parameter: the statement's text is the same for any number of ids, so
    it is rendered and prepared once."""
    return bindparam(name, type_=ARRAY(Uuid))


def _user_columns(user: type[User], prefix: str) -> list[Label[Any]]:
    """The columns a user card is drawn from, in ``_user_card``'s order (the role as its
    text: the cards carry it so)."""
    columns = (
        user.id,
        user.username,
        user.first_name,
        user.last_name,
        user.bio,
        user.avatar,
        type_coerce(user.role, String),
        user.last_online_at,
        user.online_announced,
        user.deleted_at,
    )
    names = (
        *("id", "username", "first_name", "last_name", "bio", "avatar", "role"),
        *("last_online_at", "online_announced", "deleted_at"),
    )
    return [column.label(f"{prefix}{name}") for column, name in zip(columns, names, strict=True)]


class _UserCards:
    """Cards of ``_user_columns``' values, drawn once per user for one statement's rows (the
    reader is a member of every listed chat)."""

    def __init__(self) -> None:
        self._by_id: dict[uuid.UUID, UserCard] = {}

    def card(self, values: Sequence[Any]) -> UserCard:
        found = self._by_id.get(values[0])
        if found is None:
            found = self._by_id[values[0]] = _user_card(values)
        return found


def _user_card(values: Sequence[Any]) -> UserCard:
    (user_id, username, first, last, bio, avatar, role, online_at, announced, deleted_at) = values
    return filled(
        UserCard,
        id=user_id,
        username=username,
        first_name=first,
        last_name=last,
        bio=bio,
        avatar=avatar,
        role=role,
        last_online_at=online_at,
        online=bool(announced),
        deleted=deleted_at is not None,
    )


@dataclass(frozen=True)
class ListedMember:
    """A member of a chat, with their read marker: to tell who has read what."""

    chat_id: uuid.UUID
    last_read_at: datetime | None
    user: UserCard


@cache
def _listed_members() -> DriverStatement:
    return DriverStatement(
        select(ChatMember.chat_id, ChatMember.last_read_at, *_user_columns(User, ""))
        .join(User, User.id == ChatMember.user_id)
        .where(ChatMember.chat_id == func.any(_ids("chat_ids")))
        .order_by(ChatMember.chat_id, ChatMember.joined_at, ChatMember.user_id)
    )


async def listed_members(
    session: AsyncSession, chat_ids: Sequence[uuid.UUID]
) -> list[ListedMember]:
    """Members of these chats with their users, in the order they joined."""
    rows = await _listed_members().rows(session, {"chat_ids": list(chat_ids)})
    cards = _UserCards()
    return [
        filled(ListedMember, chat_id=row[0], last_read_at=row[1], user=cards.card(row[2:]))
        for row in rows
    ]


@dataclass(frozen=True)
class ChatExtras:
    """What a chat list adds to a chat's row for one reader."""

    creator: UserCard | None  # None once the creator's row is gone
    last_message: MessageRow | None
    unread_count: int


def _newest_of(chat_id: ColumnElement[uuid.UUID]) -> LateralFromClause:
    """The chat's newest message: one backward step along ``ix_messages_chat_created``."""
    return (
        select(
            Message.id,
            Message.sender_id,
            Message.text,
            Message.voice,
            Message.created_at,
            Message.updated_at,
        )
        .where(Message.chat_id == chat_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
        .lateral("last")
    )


def _unread_of(chat_id: ColumnElement[uuid.UUID], reader: ColumnElement[Any]) -> ColumnElement[int]:
    """Messages of others newer than the reader's marker (none for a non-member)."""
    marker = ChatMember.last_read_at
    return (
        select(func.count())
        .select_from(Message)
        .join(ChatMember, and_(ChatMember.chat_id == Message.chat_id, ChatMember.user_id == reader))
        .where(
            Message.chat_id == chat_id,
            or_(Message.sender_id.is_(None), Message.sender_id != reader),
            or_(marker.is_(None), Message.created_at > marker),
        )
        .scalar_subquery()
    )


@cache
def _chat_extras() -> DriverStatement:
    listed = func.unnest(_ids("chat_ids")).table_valued("chat_id").render_derived(name="listed")
    last = _newest_of(listed.c.chat_id)
    files = (
        select(func.array_agg(aggregate_order_by(MessageFile.key, MessageFile.position)))
        .where(MessageFile.message_id == last.c.id)
        .scalar_subquery()
    )
    return DriverStatement(
        select(
            listed.c.chat_id,
            _unread_of(listed.c.chat_id, bindparam("reader", type_=Uuid)),
            *last.c,
            files,
        )
        .select_from(listed)
        .outerjoin(last, true())
    )


@cache
def _user_cards() -> DriverStatement:
    return DriverStatement(select(*_user_columns(User, "")).where(User.id == func.any(_ids("ids"))))


async def chat_extras(
    session: AsyncSession,
    reader: uuid.UUID,
    chats: Sequence[tuple[uuid.UUID, uuid.UUID | None]],
    known: Mapping[uuid.UUID, UserCard],
) -> dict[uuid.UUID, ChatExtras]:
    """Creator, newest message (sender and files) and the reader's unread count of each of
    these ``(chat id, creator id)``: one statement, whatever the number of chats. Creators
    and senders come from ``known`` (the chats' members, read already), and only those who
    are not among them take one more statement."""
    values = {"chat_ids": [chat_id for chat_id, _ in chats], "reader": reader}
    rows = await _chat_extras().rows(session, values)
    creators = dict(chats)
    users = (*creators.values(), *(row[3] for row in rows))  # creators, then senders
    cards = await _with_missing_cards(session, known, {u for u in users if u is not None})
    return {row[0]: _extras(row, creators[row[0]], cards) for row in rows}


async def _with_missing_cards(
    session: AsyncSession, known: Mapping[uuid.UUID, UserCard], wanted: set[uuid.UUID]
) -> Mapping[uuid.UUID, UserCard]:
    """``known``, with the cards of the ``wanted`` users it lacks (a creator or sender who
    left the chat); a user whose row is gone has none."""
    missing = [user_id for user_id in wanted if user_id not in known]
    if not missing:
        return known
    rows = await _user_cards().rows(session, {"ids": missing})
    return {**known, **{card.id: card for card in map(_user_card, rows)}}


def _extras(
    row: Sequence[Any], creator_id: uuid.UUID | None, cards: Mapping[uuid.UUID, UserCard]
) -> ChatExtras:
    chat_id, unread, message_id, sender_id, text, voice, created, updated, keys = row
    creator = None if creator_id is None else cards.get(creator_id)
    last = None
    if message_id is not None:
        last = filled(
            MessageRow,
            id=message_id,
            chat_id=chat_id,
            sender_id=sender_id,
            text=text,
            voice=voice,
            created_at=created,
            updated_at=updated,
            files=tuple(keys or ()),
            sender=None if sender_id is None else cards.get(sender_id),
        )
    return filled(ChatExtras, creator=creator, last_message=last, unread_count=int(unread))


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


async def member_rows(session: AsyncSession, chat_id: uuid.UUID) -> list[ListedMember]:
    """The chat's members with their users, in the order they joined."""
    return await listed_members(session, (chat_id,))


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
    """From ``total, *_MESSAGE_COLUMNS, files, *sender's _user_columns``."""
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
    """``total, *_MESSAGE_COLUMNS, files, *sender's _user_columns`` of the chat's messages
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
            *_user_columns(_SENDER, "sender_"),
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
