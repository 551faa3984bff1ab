"""Mailing dispatch: one pass at a time in the whole deployment, under a lease."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.mailing.dispatch import Dispatcher, DispatchOptions
from workers.jobs.leased import leased_pass

if TYPE_CHECKING:
    from domain.settings import Settings
    from workers.deps import WorkerDeps


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
    process runs one."""
    settings = deps.runtime.settings
    dispatcher = Dispatcher(deps.uow, deps.gateway, deps.secrets, deps.clock, options(settings))
    result = await leased_pass(
        deps,
        lease_key(settings.channel_prefix),
        settings.mailing_lease_ttl,
        "mailing dispatch",
        lambda: dispatcher.run(settings.mailing_pass_seconds),
    )
    report = result.report
    if report is None:
        return {"ran": result.ran} | ({"lease_lost": True} if result.lease_lost else {})
    return {
        "ran": True,
        "started": report.started,
        "sent": report.sent,
        "failed": report.failed,
        "retried": report.retried,
        "paused": report.paused,
    }
