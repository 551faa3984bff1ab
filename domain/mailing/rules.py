"""Pure rules of the mailing service (legacy 003): what a client and a mailing may hold, in
the legacy API's words, and which clients a mailing's filters pick."""

from __future__ import annotations

import enum
import hashlib
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import cache
from typing import TYPE_CHECKING

from domain.text import text_errors

if TYPE_CHECKING:
    import uuid

# ASCII digits only: Python's \d would take other scripts' digits too.
PHONE_PATTERN = re.compile(r"7[0-9]{10}")
# The legacy validator's words, trailing space included.
PHONE_MESSAGE = 'The phone number must be in the format: "7XXXXXXXXXX" '
# DRF's wording for a broken unique constraint (the phone is unique per owner).
PHONE_TAKEN = "client with this phone number already exists."
MAX_TAG = 255
MAX_TIMEZONE = 64
DEFAULT_TIMEZONE = "UTC"
BLANK = "This field may not be blank."
# DRF's DateTimeField's words for a time UTC cannot hold (the REST routes answer them too).
TIME_MESSAGE = "Datetime value out of range."

DATES_MESSAGE = "The start date exceeds the end date"
NO_FILTER_MESSAGE = "At least one filter parameter (tag or operator_code) must be specified"
FILTER_KEYS = ("tag", "operator_code")


def operator_code(phone_number: str) -> str:
    """Digits 2–4 of a valid phone (``7 912 …`` → ``912``)."""
    return phone_number[1:4]


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    """An IANA zone name zoneinfo knows (``UTC``, ``Europe/Moscow``, ``US/Eastern``)."""
    return name in _timezones()


def client_errors(
    *,
    phone_number: str | None = None,
    tag: str | None = None,
    timezone: str | None = None,
) -> dict[str, list[str]]:
    """Field errors of a client's fields (None: not given, nothing to check)."""
    errors: dict[str, list[str]] = {}
    if phone_number is not None and not PHONE_PATTERN.fullmatch(phone_number):
        errors["phone_number"] = [PHONE_MESSAGE]
    if tag is not None:
        if bad := text_errors(tag):
            errors["tag"] = bad
        elif len(tag) > MAX_TAG:
            errors["tag"] = [f"Ensure this field has no more than {MAX_TAG} characters."]
    if timezone is not None:
        if timezone == "":
            errors["timezone"] = [BLANK]
        elif text_errors(timezone) or not is_timezone(timezone):
            errors["timezone"] = [f'"{_shown(timezone)}" is not a valid choice.']
    return errors


def _shown(value: str) -> str:
    """Text safe to echo in a message (PostgreSQL and JSON take no NUL or lone surrogate)."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def mailing_field_errors(
    *,
    message_text: str | None = None,
    filter_params: object = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
) -> dict[str, list[str]]:
    """Field errors of a mailing's fields (None: not given)."""
    errors: dict[str, list[str]] = {}
    for name, moment in (("start_time", start_time), ("end_time", end_time)):
        if moment is not None and not has_utc_reading(moment):
            errors[name] = [TIME_MESSAGE]
    if message_text is not None:
        if message_text.strip() == "":
            errors["message_text"] = [BLANK]
        elif bad := text_errors(message_text):
            errors["message_text"] = bad
    if filter_params is not None:
        if not isinstance(filter_params, Mapping):
            kind = type(filter_params).__name__
            errors["filter_params"] = [f'Expected a dictionary of items but got type "{kind}".']
        elif bad_text := [
            message
            for key, value in filter_params.items()
            for text in (key, value)
            if isinstance(text, str)
            for message in text_errors(text)
        ]:
            errors["filter_params"] = bad_text[:1]
    return errors


def _filter_value_ok(value: object) -> bool:
    # Strings, and integers as Django's CharField lookups took them (``999`` → ``"999"``).
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def mailing_errors(
    *, start_time: datetime, end_time: datetime, filter_params: Mapping[str, object]
) -> list[str]:
    """The legacy ``non_field_errors`` of a mailing whose fields are each valid: one message,
    the first that applies (the legacy ``validate`` stopped at the first)."""
    if aware(end_time) <= aware(start_time):
        return [DATES_MESSAGE]
    if not any(key in filter_params for key in FILTER_KEYS):
        return [NO_FILTER_MESSAGE]
    for key, value in filter_params.items():
        if key not in FILTER_KEYS:
            return [f"Invalid filtering parameter: {key}"]
        if not _filter_value_ok(value):
            return [f"Invalid value of filtering parameter: {key}"]
    return []


def has_utc_reading(moment: datetime) -> bool:
    """Whether the time can be told in UTC, as PostgreSQL stores it: year 1 at +05:00 cannot
    (nor 9999-12-31 late at a negative offset)."""
    try:
        aware(moment).astimezone(UTC)
    except OverflowError:
        return False
    return True


def aware(moment: datetime) -> datetime:
    """A naive time is read as UTC (Django's default ``TIME_ZONE``)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def match_values(filter_params: Mapping[str, object]) -> dict[str, str]:
    """What a mailing's filters compare clients' columns with: each given key's value as
    text (an integer ``999`` matches ``"999"``, as Django's lookups did)."""
    return {key: str(filter_params[key]) for key in FILTER_KEYS if key in filter_params}


def matches(filter_params: Mapping[str, object], *, tag: str, operator_code: str) -> bool:
    """Whether a client with this tag and operator code is a recipient (filters AND-ed)."""
    values = match_values(filter_params)
    client = {"tag": tag, "operator_code": operator_code}
    return all(client[key] == value for key, value in values.items())


# -- delivery --------------------------------------------------------------------------------


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"


NOT_ON_TELEGRAM = "The phone number has no Telegram account."
WINDOW_CLOSED = "The mailing's window closed before the message went."
CANCELLED = "The mailing was cancelled before the message went."
# Back-off of a failed send: 30 s, 1 min, 2 min … capped at 30 minutes (it stops at the end).
RETRY_BASE_SECONDS = 30.0
RETRY_CAP_SECONDS = 1800.0


def random_id(delivery_id: int) -> int:
    """The ``random_id`` of a delivery's message: the same for every send of it, so Telegram
    delivers a resend after a crash (between its answer and our commit) once. A signed 64-bit
    integer, never 0, as MTProto's ``long`` takes."""
    digest = hashlib.blake2b(f"tghub mailing delivery {delivery_id}".encode(), digest_size=8)
    value = int.from_bytes(digest.digest(), "big", signed=True)
    return value or 1


def retry_delay(attempts: int) -> float:
    """Seconds before the next send of a delivery whose ``attempts``-th send failed."""
    return min(RETRY_BASE_SECONDS * 2.0 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)


def in_daytime(local: time, start: time | None, end: time | None) -> bool:
    """Whether a client's local time of day is in the mailing's daytime window
    ``[start, end)``; a window with start after end wraps midnight; no window: always."""
    if start is None or end is None:
        return True
    if start < end:
        return start <= local < end
    return local >= start or local < end


DAYTIME_OFFSET = (
    "Give the daytime window's times without an offset: they are each client's local time."
)


def daytime_errors(start: time | None, end: time | None) -> dict[str, list[str]]:
    """Both ends or neither, each a plain time of day (the window is read in each client's
    own timezone, so an offset means nothing), and not the same time (an empty window would
    never send)."""
    if (start is None) != (end is None):
        return {"daytime": ["Give both ends of the daytime window, or neither."]}
    if any(moment is not None and moment.tzinfo is not None for moment in (start, end)):
        return {"daytime": [DAYTIME_OFFSET]}
    if start is not None and start == end:
        return {"daytime": ["The daytime window is empty: its start equals its end."]}
    return {}


class MailingState(enum.StrEnum):
    """Where a mailing stands: not started yet; started (its clients matched) with messages
    still pending; finished (nothing pending any more); cancelled (before or while it ran)."""

    SCHEDULED = "scheduled"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


def mailing_state(*, started: bool, finished: bool, cancelled: bool) -> MailingState:
    """A cancel also finishes a mailing: cancelled wins over finished."""
    if cancelled:
        return MailingState.CANCELLED
    if finished:
        return MailingState.FINISHED
    return MailingState.RUNNING if started else MailingState.SCHEDULED


# -- what lists are narrowed to (the GraphQL API's filters) -----------------------------------


@dataclass(frozen=True)
class ClientFilter:
    """Clients matching every filter given (None: any): an owner, a tag and an operator code
    exactly (``""`` is the clients without a tag), and a phone's first digits."""

    owner_id: uuid.UUID | None = None
    tag: str | None = None
    operator_code: str | None = None
    phone_number_prefix: str | None = None


@dataclass(frozen=True)
class MailingFilter:
    """Mailings matching every filter given (None: any): an owner, and whether the window is
    open now (``start_time <= now < end_time``, when dispatch sends) or not."""

    owner_id: uuid.UUID | None = None
    active: bool | None = None


def client_filter_errors(where: ClientFilter) -> dict[str, list[str]]:
    """Text a query cannot carry (NUL, lone surrogates); any other text simply matches what
    it matches."""
    given = {
        "tag": where.tag,
        "operator_code": where.operator_code,
        "phone_number_prefix": where.phone_number_prefix,
    }
    return {
        name: found
        for name, value in given.items()
        if value is not None and (found := text_errors(value))
    }
