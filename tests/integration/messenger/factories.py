"""Builders for the messenger service tests: people, chats, messages, and what was published.

Every call goes through ``domain/messenger/service.py`` in its own unit of work, exactly as a
resolver would make it. The units of work publish through ``Hub``, which forwards every event
to the real Redis bus after recording it, with what another connection saw at that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import pytest
from sqlalchemy import delete, select

from domain.accounts import service as accounts
from domain.accounts.model import User
from domain.bootstrap import media_dir
from domain.events import Event, decode
from domain.files.model import StoredFile
from domain.files.rules import Upload
from domain.messenger import repository, service
from domain.messenger.model import Chat, ChatMember, Message, MessageFile
from domain.uow import SqlAlchemyUnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
    from datetime import datetime

    from domain.bootstrap import Runtime
    from domain.errors import DomainError
    from domain.messenger.cards import MessageCard

E = TypeVar("E", bound="DomainError")
T = TypeVar("T")

# A bound for what a healthy bus does in milliseconds; it only matters when a test fails.
DEADLINE = 30.0


@dataclass(frozen=True)
class Published:
    """One event on one channel, and what a fresh connection saw while it was published."""

    channel: str
    message: str
    seen: object

    @property
    def event(self) -> Event:
        return decode(self.message)


@dataclass
class _Watch:
    log: list[Published]
    look: Callable[[Event], Awaitable[object]] | None

    async def record(self, channel: str, message: str) -> None:
        seen: object = None
        if self.look is not None:
            # The unit of work logs and swallows a publisher's exception: keep it for the test.
            try:
                seen = await self.look(decode(message))
            except Exception as exc:
                seen = exc
        self.log.append(Published(channel, message, seen))


class Hub:
    """The messenger's units of work for one test, publishing through a recording witness."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.ports = runtime.messenger
        self._factory = UnitOfWorkFactory(runtime.uow.session_factory, self, runtime.queue)
        self._watches: list[_Watch] = []

    def uow(self) -> SqlAlchemyUnitOfWork:
        return self._factory()

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        """The EventPublisher of ``uow()``: record each, then forward them to the real bus."""
        for channel, message in messages:
            for watch in self._watches:
                await watch.record(channel, message)
        await self.runtime.bus.publish_many(messages)

    @contextlib.contextmanager
    def watch(
        self, look: Callable[[Event], Awaitable[object]] | None = None
    ) -> Iterator[list[Published]]:
        """Everything published while the block runs; ``look`` reads the database (through its
        own connection) at each publication."""
        watch = _Watch([], look)
        self._watches.append(watch)
        try:
            yield watch.log
        finally:
            self._watches.remove(watch)


def channels(published: Sequence[Published]) -> set[str]:
    return {p.channel for p in published}


def user_channel(user: User) -> str:
    return f"user:{user.id}"


# --- the real bus ------------------------------------------------------------------------------


class Inbox:
    """One user's ``user:<id>`` channel on the real bus."""

    def __init__(self, messages: AsyncIterator[str]) -> None:
        self._messages = messages

    async def next(self) -> Event:
        return decode(await asyncio.wait_for(anext(self._messages), DEADLINE))


@contextlib.asynccontextmanager
async def inbox(runtime: Runtime, user: User) -> AsyncIterator[Inbox]:
    """Subscribed, and Redis has the SUBSCRIBE, before the block runs."""
    channel = user_channel(user)
    async with runtime.bus.subscribe(channel) as messages:
        await asyncio.wait_for(_until_subscribed(runtime, channel), DEADLINE)
        yield Inbox(aiter(messages))


async def _until_subscribed(runtime: Runtime, channel: str) -> None:
    name = f"{runtime.settings.channel_prefix}:{channel}"
    # Redis offers nothing to wait on: poll NUMSUB (the deadline bounds it).
    while True:
        [(_, listeners)] = await runtime.redis.pubsub_numsub(name)
        if listeners:
            return
        await asyncio.sleep(0.01)


# --- people ------------------------------------------------------------------------------------


def _account(username: str | None = None, first_name: str = "", last_name: str = "") -> User:
    return User(
        username=username or f"u{uuid.uuid4().hex[:12]}",
        password_hash="!",
        first_name=first_name,
        last_name=last_name,
    )


async def _add_accounts(hub: Hub, users: list[User]) -> list[User]:
    """Active accounts, written directly: the messenger needs their rows, not a login."""
    async with hub.runtime.uow() as uow:
        uow.session.add_all(users)
        await uow.commit()
    return users


async def new_user(
    hub: Hub, *, username: str | None = None, first_name: str = "", last_name: str = ""
) -> User:
    (user,) = await _add_accounts(hub, [_account(username, first_name, last_name)])
    return user


async def new_users(hub: Hub, count: int) -> list[User]:
    return await _add_accounts(hub, [_account() for _ in range(count)])


def as_actor(user: User) -> accounts.Viewer:
    """The user signed in, as the services take them (no token session: none is needed)."""
    return accounts.Viewer(user=user, session_id=None)


async def delete_account(hub: Hub, user: User) -> None:
    """The user deletes their account through the accounts service (the row stays)."""
    async with hub.uow() as uow:
        viewer = accounts.Viewer(user=user, session_id=None)
        await accounts.delete_account(uow, hub.runtime.auth, actor=viewer, user_id=user.id)


async def purge_user(hub: Hub, user: User) -> None:
    """The user's row is gone (an operator's delete): the database's ON DELETE rules apply."""
    async with hub.runtime.uow() as uow:
        await uow.session.execute(delete(User).where(User.id == user.id))
        await uow.commit()


async def racing(
    hub: Hub, *calls: Callable[[SqlAlchemyUnitOfWork], Awaitable[T]]
) -> list[T | BaseException]:
    """Each call in its own unit of work, all released together once every one holds its
    database connection: their statements interleave instead of running one after another
    (opening a second pool connection takes longer than a whole use case)."""
    start = asyncio.Barrier(len(calls))

    async def run(call: Callable[[SqlAlchemyUnitOfWork], Awaitable[T]]) -> T:
        async with hub.uow() as uow:
            _ = await uow.session.connection()
            await start.wait()
            return await call(uow)

    return await asyncio.gather(*(run(call) for call in calls), return_exceptions=True)


# --- chats and messages ------------------------------------------------------------------------


async def create_chat(
    hub: Hub, creator: User, new: service.NewChat, *, fallback: bool = False
) -> tuple[Chat, bool]:
    async with hub.uow() as uow:
        return await service.create_chat(
            uow, hub.ports, actor=as_actor(creator), new=new, fallback=fallback
        )


async def group(hub: Hub, creator: User, *members: User, title: str = "Team") -> Chat:
    new = service.NewChat(is_private=False, member_ids=[m.id for m in members], title=title)
    chat, _ = await create_chat(hub, creator, new)
    return chat


async def private(hub: Hub, creator: User, companion: User) -> Chat:
    chat, _ = await create_chat(hub, creator, private_chat(companion))
    return chat


def private_chat(*companions: User) -> service.NewChat:
    return service.NewChat(is_private=True, member_ids=[c.id for c in companions])


def upload(content: bytes, name: str = "file.bin", declared: str | None = None) -> Upload:
    return Upload(filename=name, content=content, declared_type=declared)


async def send(
    hub: Hub,
    sender: User,
    chat: Chat,
    text: str | None = "hello",
    *,
    files: Sequence[Upload] = (),
    voice: Upload | None = None,
) -> MessageCard:
    new = service.NewMessage(chat_id=chat.id, text=text, files=files, voice=voice)
    async with hub.uow() as uow:
        return await service.send_message(uow, hub.ports, actor=as_actor(sender), new=new)


async def read(hub: Hub, reader: User, card: MessageCard | uuid.UUID) -> MessageCard:
    async with hub.uow() as uow:
        return await service.read_message(uow, actor=as_actor(reader), message_id=message_id(card))


def message_id(card: MessageCard | uuid.UUID) -> uuid.UUID:
    return card if isinstance(card, uuid.UUID) else card.id


def chat_id_of(chat: Chat | uuid.UUID) -> uuid.UUID:
    return chat if isinstance(chat, uuid.UUID) else chat.id


async def get_message(hub: Hub, viewer: User, card: MessageCard | uuid.UUID) -> MessageCard:
    async with hub.uow() as uow:
        return await service.get_message(uow, actor=as_actor(viewer), message_id=message_id(card))


async def overview(hub: Hub, viewer: User, chat: Chat) -> service.ChatOverview:
    async with hub.uow() as uow:
        fresh = await service.get_chat(uow, actor=as_actor(viewer), chat_id=chat.id)
        (found,) = await service.chat_overviews(uow, actor=as_actor(viewer), chats=[fresh])
        return found


async def member_ids(hub: Hub, chat: Chat) -> list[uuid.UUID]:
    """The chat's members in the order the service lists them (as they joined)."""
    async with hub.uow() as uow:
        members = await repository.members_of(uow.session, [chat.id])
    return [member.user_id for member in members]


async def marker(hub: Hub, chat: Chat | uuid.UUID, user: User) -> datetime | None:
    async with hub.runtime.uow() as uow:
        member = await uow.session.get(ChatMember, (chat_id_of(chat), user.id))
        assert member is not None, "not a member"
        return member.last_read_at


async def find_chat(hub: Hub, chat: Chat) -> Chat | None:
    async with hub.runtime.uow() as uow:
        return await uow.session.get(Chat, chat.id)


# --- nothing written ---------------------------------------------------------------------------

TABLES = (Chat, ChatMember, Message, MessageFile, StoredFile)


@dataclass(frozen=True)
class State:
    """Every messenger row and every stored file on disk."""

    rows: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


async def state(hub: Hub) -> State:
    rows: dict[str, list[str]] = {}
    async with hub.runtime.uow() as uow:
        for model in TABLES:
            found = (await uow.session.execute(select(model.__table__))).all()
            rows[model.__tablename__] = sorted(repr(tuple(row)) for row in found)
    media = media_dir(hub.runtime.settings)
    files = sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())
    return State(rows, files)


@contextlib.asynccontextmanager
async def refused(hub: Hub, error: type[E]) -> AsyncIterator[pytest.ExceptionInfo[E]]:
    """The block raises ``error`` and leaves no trace: no row written or changed, no file
    stored, no event published."""
    before = await state(hub)
    with hub.watch() as published, pytest.raises(error) as info:
        yield info
    assert published == []
    assert await state(hub) == before
