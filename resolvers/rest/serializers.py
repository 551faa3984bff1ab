"""Legacy JSON shapes shared by several legacy routes and the Centrifugo-protocol socket."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from domain.accounts import rules
from domain.messenger.cards import user_card
from domain.messenger.events import MessageEvent, MessagesReadAll

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable
    from datetime import datetime

    from starlette.requests import Request

    from domain.accounts.model import User
    from domain.accounts.service import TokenPair
    from domain.events import Event
    from domain.messenger.cards import MessageCard, UserCard

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


def drf_datetime(value: datetime) -> str:
    """DRF's DateTimeField output under Django's ``USE_TZ`` and ``TIME_ZONE = "UTC"``: ISO
    8601 in UTC, ``Z`` for the offset (``2024-03-20T12:00:00Z``)."""
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def base_url(request: Request) -> str:
    """The URL the caller reached us at: absolute URLs in answers start with it."""
    return str(request.base_url).rstrip("/")


def media_url(base_url: str, key: str | None) -> str | None:
    """The absolute URL a stored file is served at (``/media/<key>``)."""
    return None if key is None else f"{base_url}/media/{key}"


def user_json(user: User | None, now: datetime, base_url: str = "") -> dict[str, Any]:
    """Seed 001's user object; a deleted (or vanished) user is the placeholder."""
    return user_card_json(None if user is None else user_card(user), now, base_url)


def user_card_json(card: UserCard | None, now: datetime, base_url: str) -> dict[str, Any]:
    """A user card as seed 001's user object (which never shows the role)."""
    if card is None or card.deleted:
        return dict(DELETED_USER)
    return {
        "id": str(card.id),
        "username": card.username,
        "first_name": card.first_name,
        "last_name": card.last_name,
        "bio": card.bio,
        "avatar": media_url(base_url, card.avatar),
        "is_online": rules.is_online(card.last_online_at, now, announced=card.online),
        "last_online_at": iso(card.last_online_at),
    }


def message_card_json(card: MessageCard, now: datetime, base_url: str) -> dict[str, Any]:
    """A message card as seed 001's message object."""
    return {
        "id": str(card.id),
        "text": card.text,
        "voice": media_url(base_url, card.voice),
        "sender": user_card_json(card.sender, now, base_url),
        "chat": str(card.chat_id),
        "files": [{"item": media_url(base_url, key)} for key in card.files],
        "updated_at": iso(card.updated_at),
        "created_at": iso(card.created_at),
        "was_read_by": [user_card_json(reader, now, base_url) for reader in card.was_read_by],
    }


def read_all_json(
    chat_id: uuid.UUID, user_id: uuid.UUID, message_ids: Iterable[uuid.UUID]
) -> dict[str, Any]:
    """Seed 001's ``read_all`` message: the chat, the reader and the messages now read."""
    return {"chat": str(chat_id), "user": str(user_id), "messages": [str(i) for i in message_ids]}


def publication(event: Event, now: datetime, base_url: str) -> dict[str, Any] | None:
    """What seed 001's Centrifugo published for a messenger event; None for other events."""
    if isinstance(event, MessageEvent):
        return {"event": event.kind, "message": message_card_json(event.message, now, base_url)}
    if isinstance(event, MessagesReadAll):
        message = read_all_json(event.chat_id, event.user_id, event.message_ids)
        return {"event": "read_all", "message": message}
    return None


def token_pair_json(pair: TokenPair) -> dict[str, str]:
    return {"access": pair.access, "refresh": pair.refresh}
