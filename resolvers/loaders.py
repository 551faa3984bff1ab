"""Per-request DataLoaders: each batch opens its own short read session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from domain.accounts import repository as accounts

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from domain.accounts.model import User
    from domain.uow import UnitOfWorkFactory


class Loaders:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self.users: DataLoader[uuid.UUID, User | None] = DataLoader(self._load_users)

    async def _load_users(self, ids: Sequence[uuid.UUID]) -> list[User | None]:
        async with self._uow() as uow:
            found = {user.id: user for user in await accounts.users_by_ids(uow.session, ids)}
        return [found.get(user_id) for user_id in ids]
