"""Events of the jobs aggregate."""

from __future__ import annotations

import dataclasses

from typing_extensions import override

from domain.events import Event


@dataclasses.dataclass(frozen=True)
class JobChanged(Event):
    """A job changed status (queued, running, retrying, succeeded, failed)."""

    name = "job_changed"

    job_id: str
    kind: str
    status: str
    attempts: int

    @property
    @override
    def channel(self) -> str:
        return f"task:{self.job_id}"
