"""Pure rules about Telegram references, shared by both gateway adapters."""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.errors import Invalid

if TYPE_CHECKING:
    from collections.abc import Iterable

USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/(.+?)/?$", re.IGNORECASE)
_POST_LINK = re.compile(r"c/(\d{1,20})(?:/\d+)?", re.IGNORECASE)
_PHONE = re.compile(r"^\+?\d{7,15}$")


class AccountUse(enum.StrEnum):
    """What an account may be used for; the pools of the dispatchers pick by it."""

    TRACKING = "tracking"
    MAILINGS = "mailings"
    INVITES = "invites"


ALL_USES: tuple[AccountUse, ...] = tuple(AccountUse)


class RefKind(enum.StrEnum):
    USERNAME = "username"
    INVITE = "invite"
    ID = "id"


@dataclass(frozen=True)
class ChannelRef:
    kind: RefKind
    value: str


def parse_channel_ref(ref: str) -> ChannelRef:
    """``@name``, ``name``, ``t.me/name``, ``t.me/+hash``, ``t.me/joinchat/hash``, an id, or
    ``t.me/c/<id>/<post>`` (a link to a post of a private channel, which names its id)."""
    text = ref.strip()
    if re.fullmatch(r"-?\d{1,20}", text):
        return ChannelRef(RefKind.ID, text)
    link = _LINK.match(text)
    path = link.group(1) if link else text.removeprefix("@")
    if link and (post_link := _POST_LINK.fullmatch(path)):
        # t.me/c/<id>/<post>: a private channel's post; the id is the channel's, unmarked.
        return ChannelRef(RefKind.ID, f"-100{post_link.group(1)}")
    if path.startswith("+"):
        return _invite(path[1:], ref)
    if path.lower().startswith("joinchat/"):
        return _invite(path[len("joinchat/") :], ref)
    if USERNAME.fullmatch(path):
        return ChannelRef(RefKind.USERNAME, path.lower())
    raise Invalid.single("channel", "Задан некорректный идентификатор канала")


def _invite(invite_hash: str, ref: str) -> ChannelRef:
    if not re.fullmatch(r"[A-Za-z0-9_-]{4,64}", invite_hash):
        raise Invalid.single("channel", "Задан некорректный идентификатор канала")
    return ChannelRef(RefKind.INVITE, invite_hash)


def normalize_phone(phone: str) -> str:
    """``+`` and digits only; Invalid otherwise."""
    digits = re.sub(r"[\s()-]", "", phone)
    if not _PHONE.fullmatch(digits):
        raise Invalid.single(
            "phone", "Enter a phone number in international format, e.g. +79990000001."
        )
    return "+" + digits.lstrip("+")


def random_id(*parts: str) -> int:
    """A stable 63-bit ``random_id`` for one send, so a re-run is deduplicated by Telegram."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


MAX_MESSAGE_LENGTH = 4096  # Telegram's limit, in UTF-16 code units (see ``utf16_length``)
MAX_RECIPIENTS = 100
_API_HASH = re.compile(r"^[0-9a-fA-F]{32}$")
_RECIPIENT = re.compile(r"^(@?[A-Za-z][A-Za-z0-9_]{3,31}|\d{1,20})$")


def utf16_length(text: str) -> int:
    """A text's length as Telegram counts it (and its entities' offsets): UTF-16 code units,
    so a character outside the BMP (most emoji) counts two."""
    return len(text.encode("utf-16-le")) // 2


def account_errors(*, api_id: int, api_hash: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not 0 < api_id < 2**31:
        errors["api_id"] = ["api_id is the positive number my.telegram.org shows."]
    if not _API_HASH.fullmatch(api_hash):
        errors["api_hash"] = ["api_hash is the 32 hexadecimal digits my.telegram.org shows."]
    return errors


def message_errors(*, recipients: list[str], text: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not text.strip() or len(text) > MAX_MESSAGE_LENGTH:
        errors["text"] = [f"Between 1 and {MAX_MESSAGE_LENGTH} characters, not only spaces."]
    if not 0 < len(recipients) <= MAX_RECIPIENTS:
        errors["recipients"] = [f"Between 1 and {MAX_RECIPIENTS} recipients."]
    elif bad := [r for r in recipients if not _RECIPIENT.fullmatch(r)]:
        errors["recipients"] = [f"Not a @username or numeric id: {bad[0][:40]!r}."]
    return errors


MAX_INVITE_QUOTA = 10_000


def invite_quota_errors(quota: int) -> dict[str, list[str]]:
    if not 0 <= quota <= MAX_INVITE_QUOTA:
        return {"quota": [f"A daily invite quota is 0 to {MAX_INVITE_QUOTA} invites."]}
    return {}


def login_code_errors(code: str) -> dict[str, list[str]]:
    if not re.fullmatch(r"\d{4,8}", code):
        return {"code": ["The login code is the 4 to 8 digits Telegram sent."]}
    return {}


def account_uses(uses: Iterable[str]) -> frozenset[AccountUse]:
    """The set of uses named (repeats collapse). Empty is allowed: the account is kept but
    serves nothing. Invalid on an unknown use."""
    known = {use.value: use for use in AccountUse}
    given = list(uses)
    if bad := [u for u in given if u not in known]:
        choices = ", ".join(known)
        raise Invalid.single("uses", f"Unknown use {bad[0][:40]!r}; the uses are {choices}.")
    return frozenset(known[u] for u in given)
