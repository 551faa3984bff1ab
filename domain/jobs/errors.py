"""Errors of the jobs aggregate."""

from __future__ import annotations

from domain.errors import Invalid, NotFound


class JobNotFound(NotFound):
    def __init__(self, job_id: str) -> None:
        super().__init__("task", job_id, "No task matches the given id.")


class UnknownJobKind(Invalid):
    def __init__(self, kind: str) -> None:
        super().__init__({"kind": [f"Unknown job kind {kind!r}."]})
