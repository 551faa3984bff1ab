"""Small test doubles for unit tests (docs/architecture.md, "Tests"): a frozen clock, a
recording publisher."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass
class FrozenClock:
    current: datetime = field(default_factory=lambda: datetime(2026, 1, 1, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@dataclass
class RecordingPublisher:
    published: list[tuple[str, str]] = field(default_factory=list)

    async def publish(self, channel: str, message: str) -> None:
        self.published.append((channel, message))

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        self.published.extend(messages)
