"""Per-request DataLoaders: each batch opens its own short read session.

The messenger's loaders answer for the request's viewer: the services decide what they may
see, and an anonymous request sees no chat and no message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from domain.accounts import service as accounts
from domain.errors import Unauthenticated
from domain.jobs import repository as jobs
from domain.messenger import service as messenger
from domain.telegram import repository as telegram

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from domain.accounts.model import User
    from domain.accounts.service import Viewer
    from domain.jobs.model import Job
    from domain.messenger.cards import MessageCard
    from domain.messenger.model import Chat
    from domain.messenger.service import ChatOverview
    from domain.telegram.model import TelegramAccount
    from domain.uow import UnitOfWorkFactory


class Loaders:
    def __init__(self, uow: UnitOfWorkFactory, viewer: Viewer | None = None) -> None:
        self._uow = uow
        self._viewer = viewer
        self.users: DataLoader[uuid.UUID, User | None] = DataLoader(self._load_users)
        self.jobs: DataLoader[str, Job | None] = DataLoader(self._load_jobs)
        self.telegram_accounts: DataLoader[uuid.UUID, TelegramAccount | None] = DataLoader(
            self._load_telegram_accounts
        )
        self.chats: DataLoader[uuid.UUID, Chat | None] = DataLoader(self._load_chats)
        self.chat_overviews: DataLoader[Chat, ChatOverview] = DataLoader(self._load_chat_overviews)
        self.messages: DataLoader[uuid.UUID, MessageCard | None] = DataLoader(self._load_messages)

    async def _load_users(self, ids: Sequence[uuid.UUID]) -> list[User | None]:
        async with self._uow() as uow:
            found = {user.id: user for user in await accounts.users_by_ids(uow, ids)}
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
        if self._viewer is None:
            return [None for _ in ids]
        async with self._uow() as uow:
            found = await messenger.visible_chats(uow, actor=self._viewer, chat_ids=ids)
        return [found.get(chat_id) for chat_id in ids]

    async def _load_chat_overviews(self, chats: Sequence[Chat]) -> list[ChatOverview]:
        if self._viewer is None:  # chats reach a request only through its viewer
            raise Unauthenticated
        async with self._uow() as uow:
            return await messenger.chat_overviews(uow, actor=self._viewer, chats=chats)

    async def _load_messages(self, ids: Sequence[uuid.UUID]) -> list[MessageCard | None]:
        if self._viewer is None:
            return [None for _ in ids]
        async with self._uow() as uow:
            found = await messenger.visible_messages(uow, actor=self._viewer, message_ids=ids)
        return [found.get(message_id) for message_id in ids]
