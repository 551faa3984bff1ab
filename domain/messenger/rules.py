"""Pure rules of the messenger: limits, file types, private pairs and read markers."""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.text import text_errors

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

TEXT_MAX = 500
TITLE_MAX = 255
MEMBERS_MAX = 100
FILES_MAX = 5
MB = 1024 * 1024
# The whole request body is refused above this (seed 001), before anything is parsed.
REQUEST_BODY_MAX = 10 * MB


class FileKind(enum.StrEnum):
    AVATAR = "avatar"
    VOICE = "voice"
    ATTACHMENT = "attachment"


# Largest accepted file of each kind; avatars are pictures, not archives.
SIZE_MAX = {FileKind.AVATAR: 5 * MB, FileKind.VOICE: REQUEST_BODY_MAX, FileKind.ATTACHMENT: 10 * MB}
# The formats each kind accepts, recognised by content (a name or a declared type can lie).
FORMATS = {
    FileKind.AVATAR: ("image/jpeg", "image/png"),
    FileKind.VOICE: ("audio/mpeg", "audio/wav", "audio/ogg"),
}
FORMAT_NAMES = {FileKind.AVATAR: "jpg or png", FileKind.VOICE: "mp3, wav or ogg"}


@dataclass(frozen=True)
class Upload:
    """A file as a client sent it."""

    filename: str
    content: bytes
    declared_type: str | None = None


def sniff_content_type(content: bytes) -> str | None:
    """The media type a file's first bytes prove, for the formats tghub checks."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"OggS"):
        return "audio/ogg"
    if content[:4] == b"RIFF" and content[8:12] == b"WAVE":
        return "audio/wav"
    if content.startswith(b"ID3") or (
        len(content) > 1 and content[0] == 0xFF and content[1] >= 0xE0
    ):
        return "audio/mpeg"
    return None


def file_errors(upload: Upload, kind: FileKind) -> list[str]:
    if not upload.content:
        return ["The submitted file is empty."]
    if len(upload.content) > SIZE_MAX[kind]:
        return [f"The file is larger than {SIZE_MAX[kind] // MB} MB."]
    if kind in FORMATS and sniff_content_type(upload.content) not in FORMATS[kind]:
        return [f"Upload a valid {kind.value} file ({FORMAT_NAMES[kind]})."]
    return []


def stored_content_type(upload: Upload) -> str:
    """What the file is served as: its proven type, else the declared one, else bytes."""
    sniffed = sniff_content_type(upload.content)
    declared = upload.declared_type or ""
    if sniffed is not None:
        return sniffed
    # Media types are case-insensitive (RFC 2045): "Text/HTML" is text/html too.
    well_formed = re.fullmatch(r"[\w.+-]+/[\w.+-]+", declared)
    if well_formed and not declared.lower().startswith("text/html"):
        return declared
    return "application/octet-stream"


def safe_filename(name: str) -> str:
    """The last path part of a client's file name, reduced to characters safe in a URL."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "_", base)).strip("._")
    return (cleaned or "file")[-100:]


def storage_key(filename: str) -> str:
    return f"{uuid.uuid4().hex}/{safe_filename(filename)}"


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
