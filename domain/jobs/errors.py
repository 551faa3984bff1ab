"""Errors of the jobs aggregate."""

from __future__ import annotations

from domain.errors import NotFound


class JobNotFound(NotFound):
    def __init__(self, job_id: str) -> None:
        super().__init__("task", job_id, "No task matches the given id.")
