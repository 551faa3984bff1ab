"""Mailing dispatch: one pass at a time in the whole deployment, under a lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from domain.adapters.lease import Lease, LeaseKeeper
from domain.mailing.dispatch import Dispatcher, DispatchOptions

if TYPE_CHECKING:
    from domain.settings import Settings
    from workers.deps import WorkerDeps

log = logging.getLogger(__name__)


def lease_key(channel_prefix: str) -> str:
    return f"{channel_prefix}mailing-dispatcher"


def options(settings: Settings) -> DispatchOptions:
    return DispatchOptions(
        pacing=settings.mailing_pacing,
        claim_batch=settings.mailing_claim_batch,
        claim_seconds=settings.mailing_claim_seconds,
        peer_flood_pause=settings.mailing_peer_flood_pause,
        poll_interval=settings.mailing_poll_interval,
    )


async def dispatch_mailings(deps: WorkerDeps, job_id: str | None) -> dict[str, Any]:
    """Scheduled (``mailing.dispatch``, every few seconds): run a dispatch pass unless another
    process runs one. A pass that loses its lease (Redis failed, or it stalled past the ttl)
    stops at once: another may have taken over, and two must not claim for one account."""
    settings = deps.runtime.settings
    lease = Lease(
        deps.runtime.redis, lease_key(settings.channel_prefix), ttl=settings.mailing_lease_ttl
    )
    if not await lease.acquire():
        return {"ran": False}
    dispatcher = Dispatcher(deps.uow, deps.gateway, deps.secrets, deps.clock, options(settings))
    work = asyncio.create_task(dispatcher.run(settings.mailing_pass_seconds))

    async def on_lost() -> None:
        log.warning("mailing dispatch lost its lease; stopping this pass")
        work.cancel()

    keeper = LeaseKeeper(lease, on_lost)
    keeper.start()
    try:
        report = await work
    except asyncio.CancelledError:
        if not keeper.lost:
            raise
        return {"ran": True, "lease_lost": True}
    finally:
        with contextlib.suppress(Exception):
            await keeper.stop()
    return {
        "ran": True,
        "started": report.started,
        "sent": report.sent,
        "failed": report.failed,
        "retried": report.retried,
        "paused": report.paused,
    }
