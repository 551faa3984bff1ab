"""Pure rules of the invite service (legacy 004): phones, settings, the failure message, the
history buckets, retries."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import phonenumbers

from domain.errors import Invalid
from domain.telegram.rules import RefKind, parse_channel_ref
from domain.text import text_errors

if TYPE_CHECKING:
    from collections.abc import Mapping

# A webhook call names at most this many phones.
MAX_BATCH = 1000
DEFAULT_REGION = "RU"
MAX_PAUSE_SECONDS = 3600.0
MAX_THRESHOLD = 1_000_000_000
MAX_MESSAGE_LENGTH = 4096
CHANNEL_PLACEHOLDER = "{{channel}}"
DEFAULT_FAILURE_MESSAGE = "We could not add you to the channel ourselves. Join it here: {{channel}}"
# Reasons written in log rows (the original's words where it had them).
NOT_TELEGRAM_USER = "not_telegram_user"
ALREADY_INVITED = "already_invited"
ALREADY_MEMBER = "already_member"
# Attempts after which a request Telegram keeps failing for transient reasons is failed.
MAX_ATTEMPTS = 8
RETRY_BASE_SECONDS = 30.0
RETRY_CAP_SECONDS = 30 * 60.0
# An admin pauses an account for at most this long (a longer stop: take it out of the pool,
# setTelegramAccountUses), with a reason of at most this many characters.
MAX_ACCOUNT_PAUSE_SECONDS = 30 * 24 * 3600
MAX_PAUSE_REASON_LENGTH = 200
ADMIN_PAUSE_REASON = "Paused by an admin."


class InviteStatus(enum.StrEnum):
    INVITED = "invited"
    LINK_SENT = "link_sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class HistoryPeriod(enum.StrEnum):
    DAY = "day"  # hourly buckets over the last 24 hours
    WEEK = "week"  # daily buckets over the last 7 days


# -- phones -----------------------------------------------------------------------------------


def normalize_phone(raw: object, region: str = DEFAULT_REGION) -> str:
    """A phone as E.164 (``+79991234567``). Numbers without a country code are read in
    ``region``; JSON numbers are taken as their digits. Invalid (field ``phone``) when the
    text is no valid phone number anywhere."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise Invalid.single("phone", "A phone number is a string or a number.")
    text = str(raw).strip()
    if not text or len(text) > 64:
        raise Invalid.single("phone", _not_a_phone(text))
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise Invalid.single("phone", _not_a_phone(text))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _not_a_phone(text: str) -> str:
    shown = text if len(text) <= 40 else text[:40] + "…"
    return f"{shown!r} is not a valid phone number (give it in international format, +…)."


def region_errors(region: str) -> list[str]:
    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        return [f"{region!r} is not a region code phonenumbers knows (e.g. RU, US, DE)."]
    return []


@dataclass(frozen=True)
class PhoneBatch:
    """A webhook call's phones: the valid ones as E.164 (repeats collapsed, first order kept)
    and the problem of each one that is not, by its position in the call."""

    phones: list[str]
    problems: dict[int, str]


def phone_batch(raw: list[object], region: str = DEFAULT_REGION) -> PhoneBatch:
    if not raw:
        raise Invalid.single("phones", "Give at least one phone number.")
    if len(raw) > MAX_BATCH:
        raise Invalid.single("phones", f"At most {MAX_BATCH} phone numbers in one call.")
    phones: dict[str, None] = {}
    problems: dict[int, str] = {}
    for index, item in enumerate(raw):
        try:
            phones.setdefault(normalize_phone(item, region))
        except Invalid as exc:
            problems[index] = exc.field_errors["phone"][0]
    return PhoneBatch(list(phones), problems)


# -- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsValues:
    """The invite settings as an admin sets them (the original's ``config.json``)."""

    channel_username: str
    failure_message: str
    queue_threshold: int
    pause_min_seconds: float
    pause_max_seconds: float
    only_message_bot: bool
    invite_and_message: bool


SETTINGS_FIELDS = tuple(field.name for field in dataclasses.fields(SettingsValues))


def settings_values(row: object) -> SettingsValues:
    """The settings a row (or any object with their attributes) holds, as plain values (a
    job keeps them beyond the row's transaction)."""
    return SettingsValues(**{name: getattr(row, name) for name in SETTINGS_FIELDS})


def channel_username(ref: str) -> str:
    """The channel's username from a bare name, ``@name`` or a t.me link (empty: none yet).
    Invalid (field ``channel_username``) for anything else: invites go to a public channel
    named by its username, as in the original."""
    text = ref.strip()
    if not text:
        return ""
    try:
        parsed = parse_channel_ref(text)
    except Invalid:
        parsed = None
    if parsed is None or parsed.kind is not RefKind.USERNAME:
        raise Invalid.single(
            "channel_username",
            "Give the channel's username: name, @name or https://t.me/name.",
        )
    return parsed.value


def settings_errors(values: SettingsValues) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    message = values.failure_message
    if not message.strip():
        errors["failure_message"] = ["The failure message needs some text."]
    elif len(message) > MAX_MESSAGE_LENGTH:
        errors["failure_message"] = [f"At most {MAX_MESSAGE_LENGTH} characters."]
    elif unstorable := text_errors(message):
        errors["failure_message"] = unstorable
    if not 0 <= values.queue_threshold <= MAX_THRESHOLD:
        errors["queue_threshold"] = ["The queue threshold is a number of 0 or more."]
    for name in ("pause_min_seconds", "pause_max_seconds"):
        seconds = getattr(values, name)
        if not (math.isfinite(seconds) and 0 <= seconds <= MAX_PAUSE_SECONDS):
            errors[name] = [f"A pause is 0 to {MAX_PAUSE_SECONDS:.0f} seconds."]
    if not errors.keys() & {"pause_min_seconds", "pause_max_seconds"} and (
        values.pause_min_seconds > values.pause_max_seconds
    ):
        errors["pause_min_seconds"] = ["The minimum pause cannot be longer than the maximum."]
    if values.only_message_bot and values.invite_and_message:
        errors["only_message_bot"] = [
            "Choose one mode: only_message_bot or invite_and_message, not both."
        ]
    return errors


def pause_errors(seconds: int, reason: str | None) -> dict[str, list[str]]:
    """An admin's pause of an account: 1 second to 30 days, and a short reason if any."""
    errors: dict[str, list[str]] = {}
    if not 0 < seconds <= MAX_ACCOUNT_PAUSE_SECONDS:
        errors["seconds"] = [
            f"A pause is 1 to {MAX_ACCOUNT_PAUSE_SECONDS} seconds (30 days); "
            "to stop an account for longer, take invites off its uses."
        ]
    if reason is not None:
        if len(reason) > MAX_PAUSE_REASON_LENGTH:
            errors["reason"] = [f"At most {MAX_PAUSE_REASON_LENGTH} characters."]
        elif unstorable := text_errors(reason):
            errors["reason"] = unstorable
    return errors


def pause_reason(reason: str | None) -> str:
    """The reason an admin's pause is shown with (theirs, or the default when none given)."""
    given = (reason or "").strip()
    return given or ADMIN_PAUSE_REASON


def failure_text(template: str, link: str) -> str:
    """The failure message with ``{{channel}}`` replaced by the channel's invite link; a
    message without the placeholder gets the link on a line of its own, so the person always
    receives a way in."""
    if CHANNEL_PLACEHOLDER in template:
        return template.replace(CHANNEL_PLACEHOLDER, link)
    return f"{template.rstrip()}\n{link}"


# -- jobs -------------------------------------------------------------------------------------


def random_id(request_id: int) -> int:
    """The ``random_id`` of a request's message: the same for every send of it, so Telegram
    delivers a resend after a crash once. A signed 64-bit integer, never 0."""
    digest = hashlib.blake2b(f"tghub invite request {request_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True) or 1


def retry_delay(attempts: int) -> float:
    """Seconds before the next try of a request whose ``attempts``-th try failed for a
    transient reason (Telegram unavailable)."""
    return min(RETRY_BASE_SECONDS * 2.0 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)


def next_reset(now: datetime) -> datetime:
    """The next 00:00 UTC: when the daily quotas start again."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


# -- history ----------------------------------------------------------------------------------


def history_window(period: HistoryPeriod, now: datetime) -> tuple[datetime, str]:
    """Where a history starts and PostgreSQL's ``date_trunc`` unit of its buckets: the last 24
    hours by hour, or the last 7 days by day (today included)."""
    now = now.astimezone(UTC)
    if period is HistoryPeriod.DAY:
        return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23), "hour"
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=6), "day"


def bucket_label(period: HistoryPeriod, start: datetime) -> str:
    """``YYYY-MM-DDTHH:00:00Z`` for an hour, ``YYYY-MM-DD`` for a day (the original's forms)."""
    start = start.astimezone(UTC)
    if period is HistoryPeriod.DAY:
        return start.strftime("%Y-%m-%dT%H:00:00Z")
    return start.strftime("%Y-%m-%d")


def history_period(raw: str | None) -> HistoryPeriod:
    text = (raw or HistoryPeriod.DAY.value).strip().lower()
    try:
        return HistoryPeriod(text)
    except ValueError:
        raise Invalid.single("period", "The period is day or week.") from None


_LINE_UNSAFE = re.compile(r"[\r\n\t]+")


def log_line(
    created_at: datetime, status: str, phone: str, account: str | None, channel: str, reason: str
) -> str:
    """One log row as the text of ``/api/logs``: its UTC time first, then what happened."""
    when = created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    parts = [when, status.upper(), phone, f"@{channel}" if channel else "-", account or "-"]
    if reason:
        parts.append(_LINE_UNSAFE.sub(" ", reason))
    return " ".join(parts)


def counts_by_status(rows: Mapping[str, int]) -> dict[InviteStatus, int]:
    return {status: int(rows.get(status.value, 0)) for status in InviteStatus}
