"""Use cases of the messenger: chats, messages and read markers.

Every use case takes the acting viewer and checks its own rule, whatever the transport: only
members see a chat and its messages, only the creator changes a group, only the sender edits
or deletes a message. Outsiders are told ``NotAMember``, which GraphQL reports as not found.
Message use cases return (and publish) cards (``domain.messenger.cards``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.accounts import service as accounts
from domain.errors import Invalid
from domain.files import service as files
from domain.messenger import repository, rules
from domain.messenger.cards import (
    ChatRow,
    MessageCard,
    UserCard,
    filled,
    message_card,
    readers_of,
)
from domain.messenger.errors import (
    ChatMustBeGroup,
    ChatNotFound,
    CreatorCannotLeave,
    MessageNotFound,
    NotAMember,
    NotTheCreator,
    NotTheSender,
    OwnMessage,
    PrivateChatExists,
    PrivateChatImmutable,
    UnknownUsers,
)
from domain.messenger.events import MessageEvent, MessagesReadAll
from domain.messenger.model import Chat, ChatMember, Message
from domain.text import check_storable
from domain.types import Page

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from domain.accounts.model import User
    from domain.accounts.service import Viewer
    from domain.files.service import Upload
    from domain.messenger.repository import ChatExtras, ListedMember
    from domain.ports import MessengerPorts
    from domain.types import PageRequest
    from domain.uow import SqlAlchemyUnitOfWork


# --- cards -----------------------------------------------------------------------------------


def _by_chat(members: Sequence[ChatMember]) -> dict[uuid.UUID, list[ChatMember]]:
    grouped: dict[uuid.UUID, list[ChatMember]] = {}
    for member in members:
        grouped.setdefault(member.chat_id, []).append(member)
    return grouped


@dataclass(frozen=True)
class _Loaded:
    """What cards are drawn from: members by chat, users by id, file keys by message."""

    members: dict[uuid.UUID, list[ChatMember]]
    users: dict[uuid.UUID, User]
    files: Mapping[uuid.UUID, list[str]]

    def card(self, message: Message) -> MessageCard:
        sender = self.users.get(message.sender_id) if message.sender_id else None
        readers = readers_of(message, self.members.get(message.chat_id, []), self.users)
        return message_card(message, sender, self.files.get(message.id, []), readers)

    def members_of(self, chat_id: uuid.UUID) -> list[User]:
        """The chat's members whose rows exist, in the order they joined."""
        members = self.members.get(chat_id, [])
        return [self.users[m.user_id] for m in members if m.user_id in self.users]


async def _load(
    uow: SqlAlchemyUnitOfWork,
    chat_ids: Sequence[uuid.UUID],
    messages: Sequence[Message],
    more_users: Sequence[uuid.UUID] = (),
) -> _Loaded:
    """Members of the chats, the users among them (and the senders, and ``more_users``), and
    the messages' files: three statements whatever the numbers."""
    members = await repository.members_of(uow.session, chat_ids)
    wanted = {m.user_id for m in members} | {m.sender_id for m in messages if m.sender_id}
    found = await accounts.users_by_ids(uow, list(wanted | set(more_users)))
    keys = await repository.file_keys_of(uow.session, [m.id for m in messages])
    return _Loaded(_by_chat(members), {user.id: user for user in found}, keys)


async def _cards(uow: SqlAlchemyUnitOfWork, messages: Sequence[Message]) -> list[MessageCard]:
    """Cards of messages (of any chats), in three statements whatever their number."""
    if not messages:
        return []
    loaded = await _load(uow, list({m.chat_id for m in messages}), messages)
    return [loaded.card(m) for m in messages]


# --- who may see what ------------------------------------------------------------------------


async def _require_member(
    uow: SqlAlchemyUnitOfWork, actor: Viewer, chat_id: uuid.UUID
) -> ChatMember:
    """The actor's membership: one statement when there is one; else ChatNotFound for no
    chat and NotAMember for someone else's."""
    member = await repository.membership(uow.session, chat_id, actor.user_id)
    if member is not None:
        return member
    if await repository.find_chat(uow.session, chat_id) is None:
        raise ChatNotFound
    raise NotAMember


async def _member_message(
    uow: SqlAlchemyUnitOfWork, actor: Viewer, message_id: uuid.UUID
) -> Message:
    message = await repository.find_message(uow.session, message_id)
    if message is None:
        raise MessageNotFound
    if await repository.membership(uow.session, message.chat_id, actor.user_id) is None:
        raise NotAMember("Message")
    return message


async def visible_chats(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, chat_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Chat]:
    """The chats among these that the actor is a member of (the others are left out, as
    those that do not exist): one statement."""
    return await repository.member_chats(uow.session, actor.user_id, chat_ids)


async def visible_messages(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, message_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, MessageCard]:
    """Cards of the messages among these in the actor's chats (the others are left out)."""
    found = await repository.member_messages(uow.session, actor.user_id, message_ids)
    return {card.id: card for card in await _cards(uow, found)}


async def get_chat(uow: SqlAlchemyUnitOfWork, *, actor: Viewer, chat_id: uuid.UUID) -> Chat:
    """The chat, for a member; raises ChatNotFound or NotAMember."""
    await _require_member(uow, actor, chat_id)
    chat = await repository.find_chat(uow.session, chat_id)
    if chat is None:  # deleted since (its members with it)
        raise ChatNotFound
    return chat


async def find_chat(uow: SqlAlchemyUnitOfWork, *, actor: Viewer, chat_id: uuid.UUID) -> Chat | None:
    """The chat, for a member; None when it does not exist or the actor is not in it."""
    return (await visible_chats(uow, actor=actor, chat_ids=[chat_id])).get(chat_id)


async def get_message(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, message_id: uuid.UUID
) -> MessageCard:
    """The message's card, for a member of its chat; raises MessageNotFound or NotAMember."""
    message = await _member_message(uow, actor, message_id)
    return (await _cards(uow, [message]))[0]


async def find_message(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, message_id: uuid.UUID
) -> MessageCard | None:
    """The message's card, for a member of its chat; None otherwise."""
    return (await visible_messages(uow, actor=actor, message_ids=[message_id])).get(message_id)


# --- chats -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewChat:
    is_private: bool
    member_ids: Sequence[uuid.UUID]
    title: str | None = None
    avatar: Upload | None = None


def _avatar_errors(avatar: Upload | None) -> dict[str, list[str]]:
    uploads = {"avatar": [] if avatar is None else [avatar]}
    return files.upload_errors(uploads, {"avatar": files.FileKind.AVATAR})


def _raise_errors(errors: Mapping[str, list[str]]) -> None:
    """Invalid naming every field with messages; nothing when none has."""
    found = {field: messages for field, messages in errors.items() if messages}
    if found:
        raise Invalid(found)


async def _existing_users(uow: SqlAlchemyUnitOfWork, ids: Sequence[uuid.UUID]) -> None:
    if ids and not await accounts.users_exist(uow, ids):
        raise UnknownUsers("members")


async def create_chat(
    uow: SqlAlchemyUnitOfWork,
    ports: MessengerPorts,
    *,
    actor: Viewer,
    new: NewChat,
    fallback: bool = False,
) -> tuple[Chat, bool]:
    """A private chat (one per pair) or a group created by the actor; ``(chat, created)``.
    With ``fallback`` an existing private chat of the pair is returned instead of refused.
    Commits."""
    if new.is_private:
        return await _create_private(uow, ports, actor.user_id, new.member_ids, fallback)
    return await _create_group(uow, ports, actor.user_id, new), True


async def _create_private(
    uow: SqlAlchemyUnitOfWork,
    ports: MessengerPorts,
    creator: uuid.UUID,
    member_ids: Sequence[uuid.UUID],
    fallback: bool,
) -> tuple[Chat, bool]:
    companions = {m for m in member_ids if m != creator}
    if len(companions) != 1:
        raise Invalid.single("members", "A private chat has exactly one companion.")
    (companion,) = companions
    await _existing_users(uow, [companion])
    key = rules.private_key(creator, companion)
    existing = await repository.find_private_chat(uow.session, key)
    if existing is not None:
        if fallback:
            return existing, False
        raise PrivateChatExists
    now = ports.clock.now()
    chat = Chat(
        is_private=True, creator_id=creator, private_key=key, created_at=now, updated_at=now
    )
    try:
        await repository.add_chat(uow.session, chat, [creator, companion], joined_at=now)
    except PrivateChatExists:  # the companion created the pair's chat at the same moment
        if not fallback:
            raise
        await uow.rollback()
        existing = await repository.find_private_chat(uow.session, key)
        if existing is None:
            raise
        return existing, False
    await uow.commit()
    return chat, True


async def _create_group(
    uow: SqlAlchemyUnitOfWork, ports: MessengerPorts, creator: uuid.UUID, new: NewChat
) -> Chat:
    _raise_errors(
        {
            "title": rules.title_errors(new.title, required=True),
            "members": rules.group_member_errors(new.member_ids),
        }
    )
    _raise_errors(_avatar_errors(new.avatar))
    await _existing_users(uow, list(new.member_ids))
    now = ports.clock.now()
    chat = Chat(
        title=new.title, is_private=False, creator_id=creator, created_at=now, updated_at=now
    )
    if new.avatar is not None:
        chat.avatar = await files.store_file(
            uow, ports.files, new.avatar, files.FileKind.AVATAR, creator
        )
    members = rules.group_members(creator, new.member_ids)
    await repository.add_chat(uow.session, chat, members, joined_at=now)
    await uow.commit()
    return chat


@dataclass(frozen=True)
class ChatChanges:
    title: str | None = None
    member_ids: Sequence[uuid.UUID] | None = None
    avatar: Upload | None = None


async def _locked_chat(
    uow: SqlAlchemyUnitOfWork, actor: Viewer, chat_id: uuid.UUID
) -> tuple[Chat, ChatMember]:
    """The chat, locked until commit, and the actor's membership (ChatNotFound or NotAMember
    otherwise): membership changes of one chat happen one at a time."""
    chat = await repository.lock_chat(uow.session, chat_id)
    if chat is None:
        raise ChatNotFound
    member = await repository.membership(uow.session, chat_id, actor.user_id)
    if member is None:
        raise NotAMember
    return chat, member


async def _own_group(uow: SqlAlchemyUnitOfWork, actor: Viewer, chat_id: uuid.UUID) -> Chat:
    chat, _ = await _locked_chat(uow, actor, chat_id)
    if chat.is_private:
        raise PrivateChatImmutable
    if chat.creator_id != actor.user_id:
        raise NotTheCreator
    return chat


def _check_changes(changes: ChatChanges) -> None:
    errors = {"title": rules.title_errors(changes.title, required=False)}
    if changes.member_ids is not None:
        errors["members"] = rules.group_member_errors(changes.member_ids)
    _raise_errors(errors)
    _raise_errors(_avatar_errors(changes.avatar))


async def update_chat(
    uow: SqlAlchemyUnitOfWork,
    ports: MessengerPorts,
    *,
    actor: Viewer,
    chat_id: uuid.UUID,
    changes: ChatChanges,
) -> Chat:
    """The creator renames a group, replaces its members (keeping themself) or its avatar;
    a private chat is PrivateChatImmutable. Commits."""
    chat = await _own_group(uow, actor, chat_id)
    _check_changes(changes)
    if changes.member_ids is not None:
        await _existing_users(uow, list(changes.member_ids))
        members = rules.group_members(actor.user_id, changes.member_ids)
        await repository.set_members(uow.session, chat.id, members)
    if changes.title is not None and changes.title.strip():
        chat.title = changes.title
    if changes.avatar is not None:
        chat.avatar = await files.store_file(
            uow, ports.files, changes.avatar, files.FileKind.AVATAR, actor.user_id
        )
    chat.updated_at = ports.clock.now()
    await uow.commit()
    return chat


async def delete_chat(uow: SqlAlchemyUnitOfWork, *, actor: Viewer, chat_id: uuid.UUID) -> None:
    """Any member deletes a private chat; only the creator a group. Commits."""
    chat, _ = await _locked_chat(uow, actor, chat_id)
    if not chat.is_private and chat.creator_id != actor.user_id:
        raise NotTheCreator
    await repository.delete_chat(uow.session, chat)
    await uow.commit()


async def leave_chat(uow: SqlAlchemyUnitOfWork, *, actor: Viewer, chat_id: uuid.UUID) -> None:
    """A member other than the creator leaves a group; a group left empty is deleted."""
    chat, member = await _locked_chat(uow, actor, chat_id)
    if chat.is_private:
        raise ChatMustBeGroup
    if chat.creator_id == actor.user_id:
        raise CreatorCannotLeave
    if await repository.remove_member(uow.session, member) == 0:
        await repository.delete_chat(uow.session, chat)
    await uow.commit()


async def list_chats_by_offset(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, search: str | None, offset: int, limit: int
) -> Page[ChatRow]:
    """A page of the actor's chats (legacy page numbers); raises Invalid for unstorable
    search text. One statement; two for an empty page, which cannot carry the count."""
    check_storable("search", search)
    chats, total = await repository.chats_page(
        uow.session, actor.user_id, search, offset=offset, limit=limit
    )
    if total is None:
        total = await repository.count_chats(uow.session, actor.user_id, search)
    return Page(items=chats, total=total, has_next=offset + len(chats) < total)


async def list_chats(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, search: str | None, page: PageRequest
) -> Page[ChatRow]:
    """A keyset page of the actor's chats; raises Invalid for unstorable search text. One
    statement; two for an empty page."""
    check_storable("search", search)
    chats, total = await repository.chats_after(uow.session, actor.user_id, search, page)
    if total is None:
        total = await repository.count_chats(uow.session, actor.user_id, search)
    return Page(items=chats[: page.first], total=total, has_next=len(chats) > page.first)


def chat_cursor(chat: Chat | ChatRow) -> tuple[str, str]:
    return repository.time_cursor(chat.updated_at, chat.id)


def message_cursor(card: MessageCard) -> tuple[str, str]:
    return repository.time_cursor(card.created_at, card.id)


# --- messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMessage:
    chat_id: uuid.UUID
    text: str | None = None
    files: Sequence[Upload] = ()
    voice: Upload | None = None


def _check_message(new: NewMessage) -> None:
    _raise_errors(rules.message_errors(new.text, len(new.files), new.voice is not None))
    uploads = {"files": new.files, "voice": [new.voice] if new.voice else []}
    kinds = {"files": files.FileKind.ATTACHMENT, "voice": files.FileKind.VOICE}
    _raise_errors(files.upload_errors(uploads, kinds))


async def _store_message_files(
    uow: SqlAlchemyUnitOfWork, ports: MessengerPorts, owner: uuid.UUID, new: NewMessage
) -> tuple[list[str], str | None]:
    """The storage keys of the attachments, and of the voice recording."""
    attachment, voice = files.FileKind.ATTACHMENT, files.FileKind.VOICE
    keys = [await files.store_file(uow, ports.files, f, attachment, owner) for f in new.files]
    if new.voice is None:
        return keys, None
    return keys, await files.store_file(uow, ports.files, new.voice, voice, owner)


async def send_message(
    uow: SqlAlchemyUnitOfWork, ports: MessengerPorts, *, actor: Viewer, new: NewMessage
) -> MessageCard:
    """A member posts text, up to five files, or one voice recording (emits ``create``).

    Nobody has read a message yet, so its card needs no query beyond the members' ids; the
    chat's ``updated_at`` (a row every sender of the chat writes) is bumped by the statement
    that inserts the message, the last before the commit, so its lock is held only through
    the commit.
    """
    recipients = tuple(await repository.member_ids(uow.session, new.chat_id))
    if actor.user_id not in recipients:
        await _require_member(uow, actor, new.chat_id)  # ChatNotFound or NotAMember
    _check_message(new)
    now = ports.clock.now()
    keys, voice = await _store_message_files(uow, ports, actor.user_id, new)
    message = Message(
        id=uuid.uuid4(),
        chat_id=new.chat_id,
        sender_id=actor.user_id,
        text=new.text if rules.has_text(new.text) else None,
        voice=voice,
        created_at=now,
        updated_at=now,
    )
    await repository.add_message(uow.session, message, keys, bump=now)
    card = message_card(message, actor.user, keys, readers=[])
    uow.emit(MessageEvent(kind="create", chat_id=new.chat_id, message=card, recipients=recipients))
    await uow.commit()
    return card


async def _emit(
    uow: SqlAlchemyUnitOfWork, kind: str, chat_id: uuid.UUID, card: MessageCard
) -> None:
    members = await repository.members_of(uow.session, [chat_id])
    recipients = tuple(member.user_id for member in members)
    uow.emit(MessageEvent(kind=kind, chat_id=chat_id, message=card, recipients=recipients))


async def _own_message(uow: SqlAlchemyUnitOfWork, actor: Viewer, message_id: uuid.UUID) -> Message:
    message = await _member_message(uow, actor, message_id)
    if message.sender_id != actor.user_id:
        raise NotTheSender
    return message


async def _edit_errors(uow: SqlAlchemyUnitOfWork, message: Message, text: str) -> list[str]:
    if message.voice is not None:
        return ["A voice message has no text to edit."]
    blank = not rules.has_text(text)
    if blank and not (await repository.file_keys_of(uow.session, [message.id])):
        return ["This field may not be blank."]
    return rules.text_field_errors(text)


async def edit_message(
    uow: SqlAlchemyUnitOfWork,
    ports: MessengerPorts,
    *,
    actor: Viewer,
    message_id: uuid.UUID,
    text: str,
) -> MessageCard:
    """The sender replaces the text: saved, ``updated_at`` bumped, ``update`` emitted."""
    message = await _own_message(uow, actor, message_id)
    _raise_errors({"text": await _edit_errors(uow, message, text)})
    message.text = text if rules.has_text(text) else None
    message.updated_at = ports.clock.now()
    card = (await _cards(uow, [message]))[0]
    await _emit(uow, "update", message.chat_id, card)
    await uow.commit()
    return card


async def delete_message(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, message_id: uuid.UUID
) -> None:
    """The sender deletes a message (emits ``delete`` with the message as it was)."""
    message = await _own_message(uow, actor, message_id)
    card = (await _cards(uow, [message]))[0]
    await _emit(uow, "delete", message.chat_id, card)
    await repository.delete_message(uow.session, message)
    await uow.commit()


async def read_message(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, message_id: uuid.UUID
) -> MessageCard:
    """A member who is not the sender moves their read marker to the message (``read``)."""
    message = await _member_message(uow, actor, message_id)
    if message.sender_id == actor.user_id:
        raise OwnMessage
    member = await repository.membership(uow.session, message.chat_id, actor.user_id)
    if member is None:  # _member_message checked; a concurrent leave lands here
        raise NotAMember
    member.last_read_at = rules.advance_marker(member.last_read_at, message.created_at)
    await uow.flush()
    card = (await _cards(uow, [message]))[0]
    await _emit(uow, "read", message.chat_id, card)
    await uow.commit()
    return card


@dataclass(frozen=True)
class ReadAll:
    """What ``read_all_messages`` did: the reader and the messages it marked read."""

    chat_id: uuid.UUID
    user_id: uuid.UUID
    message_ids: tuple[uuid.UUID, ...]


async def read_all_messages(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, chat_id: uuid.UUID
) -> ReadAll:
    """A member reads every message of a chat (emits ``read_all`` with the ids now read)."""
    member = await _require_member(uow, actor, chat_id)
    newest = await repository.newest_message(uow.session, chat_id)
    if newest is None:
        return ReadAll(chat_id=chat_id, user_id=actor.user_id, message_ids=())
    marker = member.last_read_at
    unread = await repository.unread_messages(uow.session, chat_id, actor.user_id, marker)
    member.last_read_at = rules.advance_marker(marker, newest.created_at)
    done = ReadAll(chat_id=chat_id, user_id=actor.user_id, message_ids=tuple(m.id for m in unread))
    members = await repository.members_of(uow.session, [chat_id])
    uow.emit(
        MessagesReadAll(
            chat_id=chat_id,
            user_id=done.user_id,
            message_ids=done.message_ids,
            recipients=tuple(m.user_id for m in members),
        )
    )
    await uow.commit()
    return done


def _row_card(row: repository.MessageRow, members: Sequence[ListedMember]) -> MessageCard:
    """The card of a message read as a row (a page's, or a listed chat's newest), its readers
    among the chat's members."""
    readers = tuple(
        member.user
        for member in members
        if rules.has_read(
            member.user.id, member.last_read_at, sender=row.sender_id, sent_at=row.created_at
        )
    )
    return filled(
        MessageCard,
        id=row.id,
        chat_id=row.chat_id,
        text=row.text,
        voice=row.voice,
        files=row.files,
        sender=row.sender,
        was_read_by=readers,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _readable_members(
    uow: SqlAlchemyUnitOfWork, actor: Viewer, chat_id: uuid.UUID
) -> list[ListedMember]:
    """The chat's members, for one of them; raises ChatNotFound or NotAMember otherwise."""
    members = await repository.member_rows(uow.session, chat_id)
    if all(member.user.id != actor.user_id for member in members):
        await _require_member(uow, actor, chat_id)
    return members


async def list_messages_by_offset(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Viewer,
    chat_id: uuid.UUID,
    search: str | None,
    offset: int,
    limit: int,
) -> Page[MessageCard]:
    """A page of a chat's messages for a member, newest first (legacy page numbers); raises
    Invalid for unstorable search text. Two statements, whatever the page's size."""
    check_storable("search", search)
    members = await _readable_members(uow, actor, chat_id)
    total, rows = await repository.message_rows(
        uow.session, chat_id, search, offset=offset, limit=limit
    )
    cards = [_row_card(row, members) for row in rows]
    return Page(items=cards, total=total, has_next=offset + len(cards) < total)


async def list_messages(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Viewer,
    chat_id: uuid.UUID,
    search: str | None,
    page: PageRequest,
) -> Page[MessageCard]:
    """A keyset page of a chat's messages for a member, newest first; raises Invalid for
    unstorable search text. Two statements, whatever the page's size."""
    check_storable("search", search)
    members = await _readable_members(uow, actor, chat_id)
    total, rows = await repository.message_rows(
        uow.session, chat_id, search, limit=page.first + 1, after=page.after
    )
    cards = [_row_card(row, members) for row in rows[: page.first]]
    return Page(items=cards, total=total, has_next=len(rows) > page.first)


# --- chat lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatOverview:
    """A chat as a chat list shows it to one member: a private chat is titled and pictured
    by its companion (the placeholder name once their row is gone)."""

    chat: Chat | ChatRow
    title: str
    avatar: str | None  # storage key
    members: list[UserCard]
    creator: UserCard | None
    last_message: MessageCard | None
    unread_messages_count: int


def _companion(
    chat: Chat | ChatRow, members: Sequence[UserCard], viewer: uuid.UUID
) -> UserCard | None:
    return next((user for user in members if user.id != viewer), None) if chat.is_private else None


def _title_and_avatar(chat: Chat | ChatRow, companion: UserCard | None) -> tuple[str, str | None]:
    if not chat.is_private:
        return chat.title or "", chat.avatar
    if companion is None:
        return rules.DELETED_NAME, None
    name = rules.display_name(
        companion.first_name, companion.last_name, companion.username, deleted=companion.deleted
    )
    return name, companion.avatar


async def chat_overviews(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, chats: Sequence[Chat | ChatRow]
) -> list[ChatOverview]:
    """Title, members, creator, last message and unread count of each of these chats (which
    this service handed to the actor), in two statements for any number of chats (a third
    when a newest message's sender has left its chat), read as plain rows."""
    if not chats:
        return []
    listed = await repository.listed_members(uow.session, [chat.id for chat in chats])
    members: dict[uuid.UUID, list[ListedMember]] = {}
    for member in listed:
        members.setdefault(member.chat_id, []).append(member)
    known = {member.user.id: member.user for member in listed}
    extras = await repository.chat_extras(
        uow.session, actor.user_id, [(chat.id, chat.creator_id) for chat in chats], known
    )
    return [_overview(chat, extras[chat.id], members.get(chat.id, []), actor) for chat in chats]


def _overview(
    chat: Chat | ChatRow, extras: ChatExtras, members: list[ListedMember], actor: Viewer
) -> ChatOverview:
    users = [member.user for member in members]
    title, avatar = _title_and_avatar(chat, _companion(chat, users, actor.user_id))
    last = extras.last_message
    return filled(
        ChatOverview,
        chat=chat,
        title=title,
        avatar=avatar,
        members=users,
        creator=extras.creator,
        last_message=None if last is None else _row_card(last, members),
        unread_messages_count=extras.unread_count,
    )


async def list_chat_overviews_by_offset(
    uow: SqlAlchemyUnitOfWork, *, actor: Viewer, search: str | None, offset: int, limit: int
) -> Page[ChatOverview]:
    """A page of the actor's chats as their chat list shows them (legacy page numbers): three
    statements whatever the page size."""
    found = await list_chats_by_offset(uow, actor=actor, search=search, offset=offset, limit=limit)
    overviews = await chat_overviews(uow, actor=actor, chats=found.items)
    return Page(items=overviews, total=found.total, has_next=found.has_next)
