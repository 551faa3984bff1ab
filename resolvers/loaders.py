"""Per-request DataLoaders: each batch opens its own short read session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from domain.accounts import repository as accounts
from domain.jobs import repository as jobs
from domain.telegram import repository as telegram

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from domain.accounts.model import User
    from domain.jobs.model import Job
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
