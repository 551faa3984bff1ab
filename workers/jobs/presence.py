"""Presence: announce as offline the messenger users who went silent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.access import System
from domain.accounts import service as accounts

if TYPE_CHECKING:
    from workers.deps import WorkerDeps


async def sweep_presence(deps: WorkerDeps, job_id: str | None) -> dict[str, Any]:
    """Scheduled (``presence.sweep``): users silent for the online window (5 min) get their
    "offline" event. ``job_id`` is None when a tick runs it directly."""
    async with deps.uow() as uow:
        offline = await accounts.sweep_presence(uow, deps.clock, actor=System("presence sweep"))
    return {"offline": offline}
