"""Pure rules of stored files: kinds, limits, types recognised by content, storage keys."""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass

MB = 1024 * 1024


class FileKind(enum.StrEnum):
    AVATAR = "avatar"
    VOICE = "voice"
    ATTACHMENT = "attachment"


# Largest accepted file of each kind; avatars are pictures, not archives. A recording or an
# attachment may fill a whole request body (seed 001 refuses bodies over 10 MB).
SIZE_MAX = {FileKind.AVATAR: 5 * MB, FileKind.VOICE: 10 * MB, FileKind.ATTACHMENT: 10 * MB}
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
    """Why an upload cannot be stored as ``kind``; empty when it can."""
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
