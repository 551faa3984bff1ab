"""Per-request DataLoaders: each batch opens its own short read session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from domain.accounts import repository as accounts
from domain.jobs import repository as jobs
from domain.messenger import service as messenger
from domain.telegram import repository as telegram

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from domain.accounts.model import User
    from domain.jobs.model import Job
    from domain.messenger.model import Chat, ChatMember
    from domain.messenger.service import Card
    from domain.telegram.model import TelegramAccount
    from domain.uow import UnitOfWorkFactory


class Loaders:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self.users: DataLoader[uuid.UUID, User | None] = DataLoader(self._load_users)
        self.jobs: DataLoader[str, Job | None] = DataLoader(self._load_jobs)
        self.telegram_accounts: DataLoader[uuid.UUID, TelegramAccount | None] = DataLoader(
            self._load_telegram_accounts
        )
        self.chats: DataLoader[uuid.UUID, Chat | None] = DataLoader(self._load_chats)
        self.chat_members: DataLoader[uuid.UUID, list[ChatMember]] = DataLoader(
            self._load_chat_members
        )
        self.last_messages: DataLoader[uuid.UUID, Card | None] = DataLoader(
            self._load_last_messages
        )
        self.messages: DataLoader[uuid.UUID, Card | None] = DataLoader(self._load_messages)
        # Keyed by (chat, reader): the count depends on whose marker it is.
        self.unread_counts: DataLoader[tuple[uuid.UUID, uuid.UUID], int] = DataLoader(
            self._load_unread_counts
        )

    async def _load_users(self, ids: Sequence[uuid.UUID]) -> list[User | None]:
        async with self._uow() as uow:
            found = {user.id: user for user in await accounts.users_by_ids(uow.session, ids)}
        return [found.get(user_id) for user_id in ids]

    async def _load_jobs(self, ids: Sequence[str]) -> list[Job | None]:
        async with self._uow() as uow:
            found = await jobs.jobs_by_ids(uow.session, ids)
        return [found.get(job_id) for job_id in ids]

    async def _load_telegram_accounts(
        self, ids: Sequence[uuid.UUID]
    ) -> list[TelegramAccount | None]:
        async with self._uow() as uow:
            found = await telegram.get_accounts(uow.session, list(ids))
        return [found.get(account_id) for account_id in ids]

    async def _load_chats(self, ids: Sequence[uuid.UUID]) -> list[Chat | None]:
        async with self._uow() as uow:
            found = await messenger.chats_by_ids(uow, ids)
        return [found.get(chat_id) for chat_id in ids]

    async def _load_chat_members(self, ids: Sequence[uuid.UUID]) -> list[list[ChatMember]]:
        async with self._uow() as uow:
            found = await messenger.members_by_chat(uow, ids)
        return [found[chat_id] for chat_id in ids]

    async def _load_last_messages(self, ids: Sequence[uuid.UUID]) -> list[Card | None]:
        async with self._uow() as uow:
            found = await messenger.last_message_cards(uow, ids)
        return [found.get(chat_id) for chat_id in ids]

    async def _load_unread_counts(self, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> list[int]:
        by_reader: dict[uuid.UUID, list[uuid.UUID]] = {}
        for chat_id, reader in keys:
            by_reader.setdefault(reader, []).append(chat_id)
        counts: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        async with self._uow() as uow:
            for reader, chat_ids in by_reader.items():  # one reader per request in practice
                found = await messenger.unread_counts(uow, reader, chat_ids)
                counts.update({(chat_id, reader): found.get(chat_id, 0) for chat_id in chat_ids})
        return [counts[key] for key in keys]

    async def _load_messages(self, ids: Sequence[uuid.UUID]) -> list[Card | None]:
        async with self._uow() as uow:
            found = await messenger.cards_by_ids(uow, ids)
        return [found.get(message_id) for message_id in ids]
