"""Legacy JSON shapes shared by several legacy routes and the Centrifugo-protocol socket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.accounts import rules
from domain.messenger.events import MessageEvent, MessagesReadAll
from domain.messenger.service import user_card

if TYPE_CHECKING:
    from datetime import datetime

    from domain.accounts.model import User
    from domain.accounts.service import TokenPair
    from domain.events import Event

# Seed 001 shows a deleted account as this user.
DELETED_USER: dict[str, Any] = {
    "id": "deleted",
    "username": "deleted",
    "first_name": "Удалённый",
    "last_name": "Пользователь",
    "bio": None,
    "avatar": None,
}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def media_url(base_url: str, key: str | None) -> str | None:
    """The absolute URL a stored file is served at (``/media/<key>``)."""
    return None if key is None else f"{base_url}/media/{key}"


def user_json(user: User | None, now: datetime, base_url: str = "") -> dict[str, Any]:
    """Seed 001's user object; a deleted (or vanished) user is the placeholder."""
    return user_card_json(user_card(user), now, base_url)


def user_card_json(card: dict[str, Any] | None, now: datetime, base_url: str) -> dict[str, Any]:
    """A user snapshot (``domain.messenger.service.user_card``) as seed 001's user object."""
    if card is None or card["deleted"]:
        return dict(DELETED_USER)
    last_online = card["last_online_at"]
    return {
        "id": card["id"],
        "username": card["username"],
        "first_name": card["first_name"],
        "last_name": card["last_name"],
        "bio": card["bio"],
        "avatar": media_url(base_url, card["avatar"]),
        "is_online": card["online"] and rules.is_online_at(last_online, now),
        "last_online_at": last_online,
    }


def message_card_json(card: dict[str, Any], now: datetime, base_url: str) -> dict[str, Any]:
    """A message snapshot (``domain.messenger.service.message_card``) as seed 001's message."""
    return {
        "id": card["id"],
        "text": card["text"],
        "voice": media_url(base_url, card["voice"]),
        "sender": user_card_json(card["sender"], now, base_url),
        "chat": card["chat"],
        "files": [{"item": media_url(base_url, key)} for key in card["files"]],
        "updated_at": card["updated_at"],
        "created_at": card["created_at"],
        "was_read_by": [user_card_json(reader, now, base_url) for reader in card["was_read_by"]],
    }


def publication(event: Event, now: datetime, base_url: str) -> dict[str, Any] | None:
    """What seed 001's Centrifugo published for a messenger event; None for other events."""
    if isinstance(event, MessageEvent):
        return {"event": event.kind, "message": message_card_json(event.message, now, base_url)}
    if isinstance(event, MessagesReadAll):
        message = {"chat": str(event.chat_id), "user": str(event.user_id)}
        return {"event": "read_all", "message": {**message, "messages": event.message_ids}}
    return None


def token_pair_json(pair: TokenPair) -> dict[str, str]:
    return {"access": pair.access, "refresh": pair.refresh}
