"""Jobs of bot management: register a bot, link a channel, post, the hourly rights check
and the daily stats."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from domain.access import System
from domain.bots import rules
from domain.bots import service as bots

if TYPE_CHECKING:
    from workers.deps import WorkerDeps


async def register_bot(
    deps: WorkerDeps, job_id: str, *, token_enc: str, alias: str, description: str, name: str
) -> dict[str, Any]:
    async with deps.uow() as uow:
        return await bots.register_bot(
            uow,
            deps.gateway,
            deps.secrets,
            actor=System(bots.REGISTER_BOT),
            token_enc=token_enc,
            alias=alias,
            description=description,
            name=name,
        )


async def link_channel(
    deps: WorkerDeps, job_id: str, *, channel: str, bot_id: int | None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        return await bots.link_channel(
            uow,
            deps.gateway,
            deps.secrets,
            actor=System(bots.LINK_CHANNEL),
            job_id=job_id,
            channel=channel,
            bot_id=bot_id,
        )


async def post_message(
    deps: WorkerDeps, job_id: str, *, channel_id: int, text: str
) -> dict[str, Any]:
    async with deps.uow() as uow:
        return await bots.publish_post(
            uow,
            deps.gateway,
            deps.secrets,
            actor=System(bots.POST_MESSAGE),
            job_id=job_id,
            channel_id=channel_id,
            text=text,
        )


async def check_links(deps: WorkerDeps, job_id: str) -> dict[str, Any]:
    async with deps.uow() as uow:
        return await bots.check_links(
            uow,
            deps.gateway,
            deps.secrets,
            deps.clock,
            actor=System(bots.CHECK_LINKS),
            per_bot=deps.runtime.settings.bot_check_concurrency,
        )


async def collect_stats(deps: WorkerDeps, job_id: str, *, day: str | None = None) -> dict[str, Any]:
    """The daily stats of ``day`` (ISO), by default the UTC day before now on Telegram's
    clock: the simulated world's when Telegram is simulated (its clock moves with the
    sandbox), the system's otherwise."""
    sandbox = deps.runtime.sandbox
    now = await sandbox.now() if sandbox is not None else deps.clock.now()
    wanted = date.fromisoformat(day) if day is not None else rules.previous_day(now)
    async with deps.uow() as uow:
        return await bots.collect_stats(
            uow,
            deps.gateway,
            deps.secrets,
            deps.clock,
            actor=System(bots.COLLECT_STATS),
            day=wanted,
            per_bot=deps.runtime.settings.bot_check_concurrency,
        )
