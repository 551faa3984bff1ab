"""Events of the mailing service."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from typing_extensions import override

from domain.events import Event


def channel_of(mailing_id: int) -> str:
    return f"mailing:{mailing_id}"


@dataclasses.dataclass(frozen=True)
class MailingProgress(Event):
    """A mailing's deliveries by status as they now stand: published when it starts, as
    its messages go (at most about once a second) and when it finishes or is cancelled."""

    name = "mailing_progress"

    mailing_id: int
    total: int
    pending: int
    sent: int
    failed: int
    expired: int
    first_sent_at: datetime | None
    last_sent_at: datetime | None
    # started: the clients were matched; finished: nothing is pending any more.
    started: bool
    finished: bool
    cancelled: bool

    @property
    @override
    def channel(self) -> str:
        return channel_of(self.mailing_id)

    def supersedes(self, earlier: MailingProgress) -> bool:
        """Whether this may be newer news than ``earlier`` of the same mailing, for a reader
        who got ``earlier`` from another source (a read of its own) than the channel: a
        mailing only moves forward (not started, started, ended) and, once started, its
        pending deliveries only go down. The same news again is no news."""
        if self == earlier:
            return False
        stage, earlier_stage = self._stage(), earlier._stage()
        if stage != earlier_stage:
            return stage > earlier_stage
        return self.pending <= earlier.pending

    def _stage(self) -> int:
        if self.finished or self.cancelled:
            return 2
        return 1 if self.started else 0
