"""Use cases of the messenger: chats, messages, read markers, files.

Write use cases return (and publish) *cards*: JSON-ready snapshots of a message with its
sender, files and readers, which every transport renders without another query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.accounts import repository as accounts
from domain.errors import Invalid
from domain.messenger import repository, rules
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
from domain.messenger.model import Chat, ChatMember, Message, StoredFile
from domain.messenger.rules import FileKind, Upload
from domain.text import check_storable, is_storable
from domain.types import Page

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.accounts.model import User
    from domain.ports import MessengerPorts
    from domain.types import PageRequest
    from domain.uow import SqlAlchemyUnitOfWork

Card = dict[str, Any]


# --- cards -----------------------------------------------------------------------------------


def user_card(user: User | None) -> Card | None:
    """A user as events and message cards carry them; None for a vanished row."""
    if user is None:
        return None
    return {
        "id": str(user.id),
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "bio": user.bio,
        "avatar": user.avatar,
        "last_online_at": None if user.last_online_at is None else user.last_online_at.isoformat(),
        "online": user.online_announced,
        "deleted": user.deleted_at is not None,
    }


def message_card(
    message: Message, sender: User | None, files: Sequence[str], readers: Sequence[User]
) -> Card:
    return {
        "id": str(message.id),
        "chat": str(message.chat_id),
        "text": message.text,
        "voice": message.voice,
        "files": list(files),
        "sender": user_card(sender),
        "was_read_by": [user_card(reader) for reader in readers],
        "created_at": message.created_at.isoformat(),
        "updated_at": message.updated_at.isoformat(),
    }


def readers_of(
    message: Message, members: Sequence[ChatMember], users: dict[uuid.UUID, User]
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
    files: dict[uuid.UUID, list[str]]

    def card(self, message: Message) -> Card:
        sender = self.users.get(message.sender_id) if message.sender_id else None
        readers = readers_of(message, self.members.get(message.chat_id, []), self.users)
        return message_card(message, sender, self.files.get(message.id, []), readers)


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
    found = await accounts.users_by_ids(uow.session, list(wanted | set(more_users)))
    files = await repository.file_keys_of(uow.session, [m.id for m in messages])
    return _Loaded(_by_chat(members), {user.id: user for user in found}, files)


async def _cards(uow: SqlAlchemyUnitOfWork, messages: Sequence[Message]) -> list[Card]:
    """Cards of messages (of any chats), in three statements whatever their number."""
    if not messages:
        return []
    loaded = await _load(uow, list({m.chat_id for m in messages}), messages)
    return [loaded.card(m) for m in messages]


async def cards_by_ids(
    uow: SqlAlchemyUnitOfWork, message_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Card]:
    """Cards of these messages, whoever may see them (callers check membership)."""
    found = await repository.messages_by_ids(uow.session, message_ids)
    cards = await _cards(uow, list(found.values()))
    return {uuid.UUID(card["id"]): card for card in cards}


# --- access ----------------------------------------------------------------------------------


async def _require_member(
    uow: SqlAlchemyUnitOfWork, viewer: uuid.UUID, chat_id: uuid.UUID
) -> ChatMember:
    """The viewer's membership: one statement when there is one; else 404 for no chat and
    403 for someone else's."""
    member = await repository.membership(uow.session, chat_id, viewer)
    if member is not None:
        return member
    if await repository.find_chat(uow.session, chat_id) is None:
        raise ChatNotFound
    raise NotAMember


async def _member_chat(uow: SqlAlchemyUnitOfWork, viewer: uuid.UUID, chat_id: uuid.UUID) -> Chat:
    """The chat, when the viewer is a member: 404 for no chat, 403 for someone else's."""
    await _require_member(uow, viewer, chat_id)
    chat = await repository.find_chat(uow.session, chat_id)
    if chat is None:  # deleted since (its members with it)
        raise ChatNotFound
    return chat


async def _member_message(
    uow: SqlAlchemyUnitOfWork, viewer: uuid.UUID, message_id: uuid.UUID
) -> Message:
    message = await repository.find_message(uow.session, message_id)
    if message is None:
        raise MessageNotFound
    if await repository.membership(uow.session, message.chat_id, viewer) is None:
        raise NotAMember("Message")
    return message


async def get_chat(uow: SqlAlchemyUnitOfWork, *, viewer: uuid.UUID, chat_id: uuid.UUID) -> Chat:
    return await _member_chat(uow, viewer, chat_id)


async def get_message(
    uow: SqlAlchemyUnitOfWork, *, viewer: uuid.UUID, message_id: uuid.UUID
) -> Card:
    message = await _member_message(uow, viewer, message_id)
    return (await _cards(uow, [message]))[0]


# --- files -----------------------------------------------------------------------------------


def upload_errors(uploads: dict[str, Sequence[Upload]], kinds: dict[str, FileKind]) -> None:
    """Raise Invalid naming each field whose files are empty, too large or of a wrong type."""
    errors: dict[str, list[str]] = {}
    for field, files in uploads.items():
        for upload in files:
            errors.setdefault(field, []).extend(rules.file_errors(upload, kinds[field]))
    errors = {field: msgs for field, msgs in errors.items() if msgs}
    if errors:
        raise Invalid(errors)


def _avatar_errors(avatar: Upload | None) -> None:
    upload_errors({"avatar": [avatar] if avatar else []}, {"avatar": FileKind.AVATAR})


async def store_file(
    uow: SqlAlchemyUnitOfWork,
    ports: MessengerPorts,
    upload: Upload,
    kind: FileKind,
    owner: uuid.UUID,
) -> str:
    """Save an upload (already validated) and record it; the storage key."""
    key = rules.storage_key(upload.filename)
    await ports.files.save(key, upload.content)
    stored = StoredFile(
        key=key,
        kind=kind,
        content_type=rules.stored_content_type(upload),
        size=len(upload.content),
        owner_id=owner,
    )
    repository.add_stored_file(uow.session, stored)
    return key


async def find_file(uow: SqlAlchemyUnitOfWork, key: str) -> StoredFile | None:
    """The stored file of ``key`` (from a URL: any text); None when there is none."""
    if not is_storable(key):  # PostgreSQL text holds no NUL: no stored key could match
        return None
    return await repository.find_stored_file(uow.session, key)


# --- chats -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewChat:
    is_private: bool
    member_ids: Sequence[uuid.UUID]
    title: str | None = None
    avatar: Upload | None = None


async def _existing_users(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[uuid.UUID], field: str = "members"
) -> None:
    if ids and not await repository.users_exist(uow.session, ids):
        raise UnknownUsers(field)


async def create_chat(
    uow: SqlAlchemyUnitOfWork,
    ports: MessengerPorts,
    *,
    creator: uuid.UUID,
    new: NewChat,
    fallback: bool = False,
) -> tuple[Chat, bool]:
    """A private chat (one per pair) or a group; ``(chat, created)``. With ``fallback`` an
    existing private chat of the pair is returned instead of refused. Commits."""
    if new.is_private:
        return await _create_private(uow, ports, creator, new.member_ids, fallback)
    return await _create_group(uow, ports, creator, new), True


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
    errors = {
        "title": rules.title_errors(new.title, required=True),
        "members": rules.group_member_errors(new.member_ids),
    }
    if any(errors.values()):
        raise Invalid({field: msgs for field, msgs in errors.items() if msgs})
    _avatar_errors(new.avatar)
    await _existing_users(uow, list(new.member_ids))
    now = ports.clock.now()
    chat = Chat(
        title=new.title, is_private=False, creator_id=creator, created_at=now, updated_at=now
    )
    if new.avatar is not None:
        chat.avatar = await store_file(uow, ports, new.avatar, FileKind.AVATAR, creator)
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
    uow: SqlAlchemyUnitOfWork, viewer: uuid.UUID, chat_id: uuid.UUID
) -> tuple[Chat, ChatMember]:
    """The chat, locked until commit, and the viewer's membership (404 / 403 otherwise):
    membership changes of one chat happen one at a time."""
    chat = await repository.lock_chat(uow.session, chat_id)
    if chat is None:
        raise ChatNotFound
    member = await repository.membership(uow.session, chat_id, viewer)
    if member is None:
        raise NotAMember
    return chat, member


async def _own_group(uow: SqlAlchemyUnitOfWork, viewer: uuid.UUID, chat_id: uuid.UUID) -> Chat:
    chat, _ = await _locked_chat(uow, viewer, chat_id)
    if chat.is_private:
        raise PrivateChatImmutable
    if chat.creator_id != viewer:
        raise NotTheCreator
    return chat


async def update_chat(
    uow: SqlAlchemyUnitOfWork,
    ports: MessengerPorts,
    *,
    viewer: uuid.UUID,
    chat_id: uuid.UUID,
    changes: ChatChanges,
) -> Chat:
    """The creator renames a group, replaces its members (keeping themself) or its avatar."""
    chat = await _own_group(uow, viewer, chat_id)
    errors = {"title": rules.title_errors(changes.title, required=False)}
    if changes.member_ids is not None:
        errors["members"] = rules.group_member_errors(changes.member_ids)
    if any(errors.values()):
        raise Invalid({field: msgs for field, msgs in errors.items() if msgs})
    upload_errors(
        {"avatar": [changes.avatar] if changes.avatar else []}, {"avatar": FileKind.AVATAR}
    )
    if changes.member_ids is not None:
        await _existing_users(uow, list(changes.member_ids))
        members = rules.group_members(viewer, changes.member_ids)
        await repository.set_members(uow.session, chat.id, members)
    if changes.title is not None and changes.title.strip():
        chat.title = changes.title
    if changes.avatar is not None:
        chat.avatar = await store_file(uow, ports, changes.avatar, FileKind.AVATAR, viewer)
    chat.updated_at = ports.clock.now()
    await uow.commit()
    return chat


async def delete_chat(uow: SqlAlchemyUnitOfWork, *, viewer: uuid.UUID, chat_id: uuid.UUID) -> None:
    """Any member deletes a private chat; only the creator a group. Commits."""
    chat, _ = await _locked_chat(uow, viewer, chat_id)
    if not chat.is_private and chat.creator_id != viewer:
        raise NotTheCreator
    await repository.delete_chat(uow.session, chat)
    await uow.commit()


async def leave_chat(uow: SqlAlchemyUnitOfWork, *, viewer: uuid.UUID, chat_id: uuid.UUID) -> None:
    """A member other than the creator leaves a group; a group left empty is deleted."""
    chat, member = await _locked_chat(uow, viewer, chat_id)
    if chat.is_private:
        raise ChatMustBeGroup
    if chat.creator_id == viewer:
        raise CreatorCannotLeave
    if await repository.remove_member(uow.session, member) == 0:
        await repository.delete_chat(uow.session, chat)
    await uow.commit()


async def list_chats_by_offset(
    uow: SqlAlchemyUnitOfWork, *, viewer: uuid.UUID, search: str | None, offset: int, limit: int
) -> Page[Any]:
    """A page of the viewer's chats; raises Invalid for unstorable search text."""
    check_storable("search", search)
    total = await repository.count_chats(uow.session, viewer, search)
    chats = await repository.chats_page(uow.session, viewer, search, offset=offset, limit=limit)
    return Page(items=chats, total=total, has_next=offset + len(chats) < total)


async def list_chats(
    uow: SqlAlchemyUnitOfWork, *, viewer: uuid.UUID, search: str | None, page: PageRequest
) -> Page[Any]:
    """A page of the viewer's chats; raises Invalid for unstorable search text."""
    check_storable("search", search)
    total = await repository.count_chats(uow.session, viewer, search)
    chats = await repository.chats_after(uow.session, viewer, search, page)
    return Page(items=chats[: page.first], total=total, has_next=len(chats) > page.first)


def chat_cursor(chat: Chat) -> tuple[str, str]:
    return repository.time_cursor(chat.updated_at, chat.id)


def message_cursor(card: Card) -> tuple[str, str]:
    return (card["created_at"], card["id"])


# --- messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMessage:
    chat_id: uuid.UUID
    text: str | None = None
    files: Sequence[Upload] = ()
    voice: Upload | None = None


def _validate_message(new: NewMessage) -> None:
    errors = rules.message_errors(new.text, len(new.files), new.voice is not None)
    if errors:
        raise Invalid(errors)
    upload_errors(
        {"files": new.files, "voice": [new.voice] if new.voice else []},
        {"files": FileKind.ATTACHMENT, "voice": FileKind.VOICE},
    )


async def send_message(
    uow: SqlAlchemyUnitOfWork, ports: MessengerPorts, *, sender: User, new: NewMessage
) -> Card:
    """A member posts text, up to five files, or one voice recording (emits ``create``).

    Nobody has read a message yet, so its card needs no query beyond the members; the chat's
    ``updated_at`` (a row every sender of the chat writes) is bumped last, so its lock is held
    only through the commit.
    """
    members = await repository.members_of(uow.session, [new.chat_id])
    if all(member.user_id != sender.id for member in members):
        await _require_member(uow, sender.id, new.chat_id)  # 404 or 403, whichever it is
    _validate_message(new)
    now = ports.clock.now()
    keys = [await store_file(uow, ports, f, FileKind.ATTACHMENT, sender.id) for f in new.files]
    voice = None
    if new.voice is not None:
        voice = await store_file(uow, ports, new.voice, FileKind.VOICE, sender.id)
    message = Message(
        chat_id=new.chat_id,
        sender_id=sender.id,
        text=new.text if rules.has_text(new.text) else None,
        voice=voice,
        created_at=now,
        updated_at=now,
    )
    await repository.add_message(uow.session, message, keys)
    card = message_card(message, sender, keys, readers=[])
    recipients = [str(member.user_id) for member in members]
    uow.emit(MessageEvent(kind="create", chat_id=new.chat_id, message=card, recipients=recipients))
    await repository.touch_chat(uow.session, new.chat_id, now)
    await uow.commit()
    return card


async def _emit(uow: SqlAlchemyUnitOfWork, kind: str, chat_id: uuid.UUID, card: Card) -> None:
    members = await repository.members_of(uow.session, [chat_id])
    recipients = [str(member.user_id) for member in members]
    uow.emit(MessageEvent(kind=kind, chat_id=chat_id, message=card, recipients=recipients))


async def _own_message(
    uow: SqlAlchemyUnitOfWork, viewer: uuid.UUID, message_id: uuid.UUID
) -> Message:
    message = await _member_message(uow, viewer, message_id)
    if message.sender_id != viewer:
        raise NotTheSender
    return message


async def edit_message(
    uow: SqlAlchemyUnitOfWork,
    ports: MessengerPorts,
    *,
    viewer: uuid.UUID,
    message_id: uuid.UUID,
    text: str,
) -> Card:
    """The sender replaces the text: saved, ``updated_at`` bumped, ``update`` emitted."""
    message = await _own_message(uow, viewer, message_id)
    if message.voice is not None:
        raise Invalid.single("text", "A voice message has no text to edit.")
    errors = rules.text_field_errors(text)
    blank = not rules.has_text(text)
    if blank and not (await repository.file_keys_of(uow.session, [message.id])):
        errors = ["This field may not be blank."]
    if errors:
        raise Invalid({"text": errors})
    message.text = None if blank else text
    message.updated_at = ports.clock.now()
    card = (await _cards(uow, [message]))[0]
    await _emit(uow, "update", message.chat_id, card)
    await uow.commit()
    return card


async def delete_message(
    uow: SqlAlchemyUnitOfWork, *, viewer: uuid.UUID, message_id: uuid.UUID
) -> None:
    """The sender deletes a message (emits ``delete`` with the message as it was)."""
    message = await _own_message(uow, viewer, message_id)
    card = (await _cards(uow, [message]))[0]
    await _emit(uow, "delete", message.chat_id, card)
    await repository.delete_message(uow.session, message)
    await uow.commit()


async def read_message(
    uow: SqlAlchemyUnitOfWork, *, viewer: uuid.UUID, message_id: uuid.UUID
) -> Card:
    """A member who is not the sender moves their read marker to the message (``read``)."""
    message = await _member_message(uow, viewer, message_id)
    if message.sender_id == viewer:
        raise OwnMessage
    member = await repository.membership(uow.session, message.chat_id, viewer)
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
    chat_id: uuid.UUID
    user_id: uuid.UUID
    message_ids: list[str]


async def read_all(uow: SqlAlchemyUnitOfWork, *, viewer: uuid.UUID, chat_id: uuid.UUID) -> ReadAll:
    """A member reads every message of a chat (emits ``read_all`` with the ids now read)."""
    member = await _require_member(uow, viewer, chat_id)
    newest = await repository.newest_message(uow.session, chat_id)
    if newest is None:
        return ReadAll(chat_id=chat_id, user_id=viewer, message_ids=[])
    unread = await repository.unread_messages(uow.session, chat_id, viewer, member.last_read_at)
    member.last_read_at = rules.advance_marker(member.last_read_at, newest.created_at)
    done = ReadAll(chat_id=chat_id, user_id=viewer, message_ids=[str(m.id) for m in unread])
    members = await repository.members_of(uow.session, [chat_id])
    uow.emit(
        MessagesReadAll(
            chat_id=chat_id,
            user_id=viewer,
            message_ids=done.message_ids,
            recipients=[str(m.user_id) for m in members],
        )
    )
    await uow.commit()
    return done


async def list_messages_by_offset(
    uow: SqlAlchemyUnitOfWork,
    *,
    viewer: uuid.UUID,
    chat_id: uuid.UUID,
    search: str | None,
    offset: int,
    limit: int,
) -> Page[Any]:
    """A page of a chat's messages, newest first, as cards; raises Invalid for unstorable
    search text."""
    check_storable("search", search)
    await _require_member(uow, viewer, chat_id)
    total = await repository.count_messages(uow.session, chat_id, search)
    found = await repository.messages_page(uow.session, chat_id, search, offset=offset, limit=limit)
    cards = await _cards(uow, found)
    return Page(items=cards, total=total, has_next=offset + len(cards) < total)


async def list_messages(
    uow: SqlAlchemyUnitOfWork,
    *,
    viewer: uuid.UUID,
    chat_id: uuid.UUID,
    search: str | None,
    page: PageRequest,
) -> Page[Any]:
    """A page of a chat's messages, newest first, as cards; raises Invalid for unstorable
    search text."""
    check_storable("search", search)
    await _require_member(uow, viewer, chat_id)
    total = await repository.count_messages(uow.session, chat_id, search)
    found = await repository.messages_after(uow.session, chat_id, search, page)
    cards = await _cards(uow, found[: page.first])
    return Page(items=cards, total=total, has_next=len(found) > page.first)


# --- batches for the chat list (DataLoaders) -------------------------------------------------


async def members_by_chat(
    uow: SqlAlchemyUnitOfWork, chat_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ChatMember]]:
    grouped = _by_chat(await repository.members_of(uow.session, chat_ids))
    return {chat_id: grouped.get(chat_id, []) for chat_id in chat_ids}


@dataclass(frozen=True)
class ChatOverview:
    """A chat as a chat list shows it to one viewer."""

    chat: Chat
    members: list[User]
    creator: User | None
    last_message: Card | None
    unread_messages_count: int


async def chat_overviews(
    uow: SqlAlchemyUnitOfWork, *, viewer: uuid.UUID, chats: Sequence[Chat]
) -> list[ChatOverview]:
    """Members, creator, last message and unread count of each chat, in five statements for
    any number of chats."""
    chat_ids = [chat.id for chat in chats]
    if not chat_ids:
        return []
    last = await repository.last_messages(uow.session, chat_ids)
    creators = [chat.creator_id for chat in chats if chat.creator_id]
    loaded = await _load(uow, chat_ids, list(last.values()), creators)
    unread = await repository.unread_counts(uow.session, viewer, chat_ids)
    return [
        ChatOverview(
            chat=chat,
            members=[
                loaded.users[m.user_id]
                for m in loaded.members.get(chat.id, [])
                if m.user_id in loaded.users
            ],
            creator=loaded.users.get(chat.creator_id) if chat.creator_id else None,
            last_message=loaded.card(last[chat.id]) if chat.id in last else None,
            unread_messages_count=unread.get(chat.id, 0),
        )
        for chat in chats
    ]


async def chats_by_ids(
    uow: SqlAlchemyUnitOfWork, chat_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Chat]:
    return await repository.chats_by_ids(uow.session, chat_ids)
