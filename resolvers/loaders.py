"""Per-request DataLoaders: each batch opens its own short read session."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader

from domain.accounts import repository as accounts
from domain.jobs import service as jobs
from domain.messenger import service as messenger
from domain.telegram import service as telegram

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from domain.access import Actor
    from domain.accounts.model import User
    from domain.jobs.model import Job
    from domain.messenger.model import Chat, ChatMember
    from domain.messenger.service import Card, ChatOverview
    from domain.telegram.model import TelegramAccount
    from domain.uow import UnitOfWorkFactory


KeyT = TypeVar("KeyT")


def _by_actor(keys: Sequence[tuple[KeyT, Actor]]) -> dict[Actor, list[KeyT]]:
    """The keys grouped by actor (one actor per request in practice)."""
    grouped: dict[Actor, list[KeyT]] = {}
    for key, actor in keys:
        grouped.setdefault(actor, []).append(key)
    return grouped


class Loaders:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self.users: DataLoader[uuid.UUID, User | None] = DataLoader(self._load_users)
        # Keyed by (id, actor): the services answer only what the actor may see.
        self.jobs: DataLoader[tuple[str, Actor], Job | None] = DataLoader(self._load_jobs)
        self.telegram_accounts: DataLoader[tuple[uuid.UUID, Actor], TelegramAccount | None] = (
            DataLoader(self._load_telegram_accounts)
        )
        self.chats: DataLoader[uuid.UUID, Chat | None] = DataLoader(self._load_chats)
        self.chat_members: DataLoader[uuid.UUID, list[ChatMember]] = DataLoader(
            self._load_chat_members
        )
        # Keyed by (chat, viewer): the unread count is the viewer's.
        self.chat_overviews: DataLoader[tuple[Chat, uuid.UUID], ChatOverview] = DataLoader(
            self._load_chat_overviews
        )
        self.messages: DataLoader[uuid.UUID, Card | None] = DataLoader(self._load_messages)

    async def _load_users(self, ids: Sequence[uuid.UUID]) -> list[User | None]:
        async with self._uow() as uow:
            found = {user.id: user for user in await accounts.users_by_ids(uow.session, ids)}
        return [found.get(user_id) for user_id in ids]

    async def _load_jobs(self, keys: Sequence[tuple[str, Actor]]) -> list[Job | None]:
        found: dict[tuple[str, Actor], Job] = {}
        async with self._uow() as uow:
            for actor, ids in _by_actor(keys).items():
                visible = await jobs.visible_jobs(uow, ids, actor=actor)
                found.update({(job_id, actor): job for job_id, job in visible.items()})
        return [found.get(key) for key in keys]

    async def _load_telegram_accounts(
        self, keys: Sequence[tuple[uuid.UUID, Actor]]
    ) -> list[TelegramAccount | None]:
        found: dict[tuple[uuid.UUID, Actor], TelegramAccount] = {}
        async with self._uow() as uow:
            for actor, ids in _by_actor(keys).items():
                visible = await telegram.visible_accounts(uow, ids, actor=actor)
                found.update({(key, actor): account for key, account in visible.items()})
        return [found.get(key) for key in keys]

    async def _load_chats(self, ids: Sequence[uuid.UUID]) -> list[Chat | None]:
        async with self._uow() as uow:
            found = await messenger.chats_by_ids(uow, ids)
        return [found.get(chat_id) for chat_id in ids]

    async def _load_chat_members(self, ids: Sequence[uuid.UUID]) -> list[list[ChatMember]]:
        async with self._uow() as uow:
            found = await messenger.members_by_chat(uow, ids)
        return [found[chat_id] for chat_id in ids]

    async def _load_chat_overviews(
        self, keys: Sequence[tuple[Chat, uuid.UUID]]
    ) -> list[ChatOverview]:
        by_viewer: dict[uuid.UUID, list[Chat]] = {}
        for chat, viewer in keys:
            by_viewer.setdefault(viewer, []).append(chat)
        found: dict[tuple[uuid.UUID, uuid.UUID], ChatOverview] = {}
        async with self._uow() as uow:
            for viewer, chats in by_viewer.items():  # one viewer per request in practice
                overviews = await messenger.chat_overviews(uow, viewer=viewer, chats=chats)
                found.update({(o.chat.id, viewer): o for o in overviews})
        return [found[(chat.id, viewer)] for chat, viewer in keys]

    async def _load_messages(self, ids: Sequence[uuid.UUID]) -> list[Card | None]:
        async with self._uow() as uow:
            found = await messenger.cards_by_ids(uow, ids)
        return [found.get(message_id) for message_id in ids]
