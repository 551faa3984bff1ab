"""Pure rules of the messenger: limits, private pairs and read markers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from domain.text import text_errors

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable, Sequence
    from datetime import datetime

TEXT_MAX = 500
TITLE_MAX = 255
MEMBERS_MAX = 100
FILES_MAX = 5
# The whole request body is refused above this (seed 001), before anything is parsed.
REQUEST_BODY_MAX = 10 * 1024 * 1024


def text_field_errors(text: str | None) -> list[str]:
    if text is None:
        return []
    if text_errors(text):
        return text_errors(text)
    if len(text) > TEXT_MAX:
        return [f"Ensure this field has no more than {TEXT_MAX} characters."]
    return []


def has_text(text: str | None) -> bool:
    """Whitespace alone is no text (a message of spaces shows as empty)."""
    return bool(text and text.strip())


def message_errors(text: str | None, file_count: int, has_voice: bool) -> dict[str, list[str]]:
    """Field -> messages for a new message (DRF wording); empty when it may be sent."""
    errors: dict[str, list[str]] = {}
    if text_field_errors(text):
        errors["text"] = text_field_errors(text)
    if file_count > FILES_MAX:
        errors["files"] = [f"Ensure this field has no more than {FILES_MAX} elements."]
    if has_voice and (has_text(text) or file_count):
        errors["voice"] = ["A voice message carries neither text nor files."]
    if not (has_text(text) or file_count or has_voice):
        errors["non_field_errors"] = ["A message needs text, files or a voice recording."]
    return errors


def title_errors(title: str | None, *, required: bool) -> list[str]:
    if title is None or not title.strip():
        return ["This field is required."] if required else []
    if text_errors(title):
        return text_errors(title)
    if len(title) > TITLE_MAX:
        return [f"Ensure this field has no more than {TITLE_MAX} characters."]
    return []


def group_member_errors(member_ids: Sequence[uuid.UUID]) -> list[str]:
    """Members named by the creator (who is added to them)."""
    if not member_ids:
        return ["This list may not be empty."]
    if len(set(member_ids)) > MEMBERS_MAX:
        return [f"Ensure this field has no more than {MEMBERS_MAX} elements."]
    return []


def private_key(a: uuid.UUID, b: uuid.UUID) -> str:
    """The one key of the private chat between two users, whoever created it."""
    low, high = sorted((str(a), str(b)))
    return f"{low}:{high}"


def group_members(creator: uuid.UUID, member_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """The creator first, then the named members, each once."""
    return list(dict.fromkeys([creator, *member_ids]))


def advance_marker(current: datetime | None, read_up_to: datetime) -> datetime:
    """Markers only move forward: reading an old message un-reads nothing."""
    return read_up_to if current is None or read_up_to > current else current


def has_read(
    reader: uuid.UUID, marker: datetime | None, *, sender: uuid.UUID | None, sent_at: datetime
) -> bool:
    """Whether a member with this marker has read a message (nobody "reads" their own)."""
    return reader != sender and marker is not None and marker >= sent_at


def search_words(search: str | None) -> list[str]:
    """DRF SearchFilter semantics: whitespace or commas separate words, all must match."""
    return [word for word in re.split(r"[\s,]+", search or "") if word]


DELETED_NAME = "Удалённый Пользователь"  # seed 001's deleted user, first and last name


def display_name(first_name: str, last_name: str, username: str, *, deleted: bool) -> str:
    """How a user titles a private chat: their full name, else their username."""
    if deleted:
        return DELETED_NAME
    return f"{first_name} {last_name}".strip() or username
