"""One log line when a dependency starts failing and one when it works again, with a count.

While Redis is down every request's side effects fail alike; a traceback for each of them
buries the one fact an operator needs (it is down, since when, and what was lost).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging


class Outage:
    """The failures of one kind of side effect in this process (one instance per kind)."""

    def __init__(self, log: logging.Logger, action: str, counted: str) -> None:
        self._log = log
        self._action = action  # "publishing events"
        self._counted = counted  # "events lost"
        self._since = 0.0
        self.failures = 0

    def failed(self, exc: BaseException) -> None:
        """Count a failure; the first of an outage is logged (no traceback: it is no bug)."""
        if self.failures == 0:
            self._since = time.monotonic()
            self._log.warning(
                "%s failed (%s); counting failures until it works again",
                self._action,
                describe(exc),
            )
        self.failures += 1

    def succeeded(self) -> None:
        """The side effect worked: if an outage was on, log its end and what it cost."""
        if self.failures == 0:
            return
        failures, self.failures = self.failures, 0
        seconds = time.monotonic() - self._since
        self._log.warning(
            "%s works again after %.1f s; %d %s", self._action, seconds, failures, self._counted
        )


def describe(exc: BaseException) -> str:
    """The error and, for a translated one, what caused it ("ConnectionError: Error 111 ...")."""
    cause = exc.__cause__ or exc
    return f"{type(cause).__name__}: {cause}"
