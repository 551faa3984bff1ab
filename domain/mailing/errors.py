"""Errors of the mailing service; 404s name the legacy models, as DRF's did."""

from __future__ import annotations

from domain.errors import NotFound


class ClientNotFound(NotFound):
    def __init__(self, key: object = None) -> None:
        super().__init__("Client", key)


class MailingNotFound(NotFound):
    def __init__(self, key: object = None) -> None:
        super().__init__("Mailing", key)
