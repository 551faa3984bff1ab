"""What every job receives: the runtime's ports plus the Telegram gateway."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.adapters.queue import ArqJobQueue
    from domain.bootstrap import Runtime
    from domain.ports import Clock, SecretBox, TelegramGateway
    from domain.uow import UnitOfWorkFactory


@dataclass
class WorkerDeps:
    runtime: Runtime
    gateway: TelegramGateway
    clock: Clock

    @property
    def uow(self) -> UnitOfWorkFactory:
        return self.runtime.uow

    @property
    def secrets(self) -> SecretBox:
        return self.runtime.secrets

    @property
    def queue(self) -> ArqJobQueue:
        return self.runtime.queue
