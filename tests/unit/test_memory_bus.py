"""The in-process bus used by unit tests behaves like the Redis one at its interface."""

from __future__ import annotations

import asyncio

import pytest

from domain.adapters.bus import create_bus
from tests.conftest import DEADLINE


class TestMemoryBus:
    async def test_round_trip_and_text_only(self) -> None:
        bus = create_bus("memory://", "unit")
        await bus.connect()
        try:
            async with bus.subscribe("chat:1") as messages:
                with pytest.raises(TypeError):
                    await bus.publish("chat:1", {"not": "text"})  # type: ignore[arg-type]
                await bus.publish("chat:1", '"hello"')
                assert await asyncio.wait_for(anext(aiter(messages)), DEADLINE) == '"hello"'
        finally:
            await bus.disconnect()

    async def test_counts_the_open_subscriptions_of_a_channel(self) -> None:
        bus = create_bus("memory://", "unit")
        await bus.connect()
        try:
            async with bus.subscribe("chat:1"), bus.subscribe("chat:1"), bus.subscribe("chat:2"):
                counts = [bus.open_subscriptions(c) for c in ("chat:1", "chat:2", "chat:3")]
            assert counts == [2, 1, 0]
            assert bus.open_subscriptions("chat:1") == 0
        finally:
            await bus.disconnect()
