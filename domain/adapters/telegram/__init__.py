"""Telegram adapters; only worker processes import this package."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.adapters.telegram.metered import MeteredGateway
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.metrics import start_metrics

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from domain.ports import TelegramGateway
    from domain.settings import Settings


def build_gateway(settings: Settings, runtime: Runtime) -> TelegramGateway:
    """The configured gateway, its calls counted (``domain.metrics``)."""
    return MeteredGateway(_unmetered(settings, runtime), start_metrics(settings))


def _unmetered(settings: Settings, runtime: Runtime) -> TelegramGateway:
    if settings.telegram_mode == "simulated":
        if runtime.world is None:
            raise RuntimeError("simulated mode without a world store")
        return SimulatedGateway(runtime.world)
    from domain.adapters.telegram.telethon import TelethonGateway

    if settings.telegram_api_id is None or settings.telegram_api_hash is None:
        raise RuntimeError("TGHUB_TELEGRAM_API_ID and TGHUB_TELEGRAM_API_HASH are required")
    return TelethonGateway(
        runtime.redis,
        prefix=settings.channel_prefix,
        bot_api_id=settings.telegram_api_id,
        bot_api_hash=settings.telegram_api_hash.get_secret_value(),
    )
