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
