"""Events of online tracking."""

from __future__ import annotations

import dataclasses
from datetime import datetime  # noqa: TC003 (the event decoder reads the field types at run time)

from typing_extensions import override

from domain.events import Event, compact

# Every batch of every tracker goes out on one channel; a subscriber keeps the users it asked
# for. One publish per batch keeps the cost of realtime off the ingest path.
CHANNEL = "online-status"


@compact
@dataclasses.dataclass(frozen=True)
class StatusUpdate:
    """A tracked user's status as it now stands: ``is_online`` None when it cannot be known,
    ``hidden_reason`` says why."""

    tracked_user_id: int
    is_online: bool | None
    observed_at: datetime
    hidden_reason: str | None = None


@dataclasses.dataclass(frozen=True)
class OnlineStatusChanged(Event):
    """A committed batch of status changes, in the order they were observed."""

    name = "online_status_changed"

    updates: tuple[StatusUpdate, ...]

    @property
    @override
    def channel(self) -> str:
        return CHANNEL
