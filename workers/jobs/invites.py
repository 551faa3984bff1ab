"""Invite dispatch (one pass at a time in the whole deployment, under a lease) and the
daily quota reset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.access import System
from domain.invites.dispatch import Dispatcher, DispatchOptions
from domain.telegram import service as telegram
from workers.jobs.leased import leased_pass

if TYPE_CHECKING:
    from domain.settings import Settings
    from workers.deps import WorkerDeps


def lease_key(channel_prefix: str) -> str:
    return f"{channel_prefix}invite-dispatcher"


def options(settings: Settings) -> DispatchOptions:
    return DispatchOptions(
        claim_seconds=settings.invite_claim_seconds,
        peer_flood_pause=settings.invite_peer_flood_pause,
        not_admin_pause=settings.invite_not_admin_pause,
        poll_interval=settings.invite_poll_interval,
    )


async def dispatch_invites(deps: WorkerDeps, job_id: str | None) -> dict[str, Any]:
    """Scheduled (``invites.dispatch``, every few seconds): watch the queue and invite, unless
    another process runs a pass."""
    settings = deps.runtime.settings
    dispatcher = Dispatcher(deps.uow, deps.gateway, deps.secrets, deps.clock, options(settings))
    result = await leased_pass(
        deps,
        lease_key(settings.channel_prefix),
        settings.invite_lease_ttl,
        "invite dispatch",
        lambda: dispatcher.run(settings.invite_pass_seconds),
    )
    report = result.report
    if report is None:
        return {"ran": result.ran} | ({"lease_lost": True} if result.lease_lost else {})
    return {
        "ran": True,
        "logged": report.logged,
        "retried": report.retried,
        "paused": report.paused,
    }


async def reset_quotas(deps: WorkerDeps, job_id: str | None) -> dict[str, Any]:
    """Scheduled daily at 00:00 UTC: every account's invite quota starts again."""
    async with deps.uow() as uow:
        reset = await telegram.reset_invite_quotas(
            uow, actor=System("invite quota reset"), now=deps.clock.now()
        )
    return {"accounts_reset": reset}
