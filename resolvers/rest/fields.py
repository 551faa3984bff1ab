"""DRF's field and django-filter's filter parsing, with their messages: the legacy 400 shapes
for a wrong type, never a 500.

Body readers collect their errors into an ``Errors`` dict so one answer names every bad field,
as DRF's serializers did; query readers raise at once (django-filter's form answered 400 with
the bad filters too, and a client sends one filter wrong at a time).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from domain.errors import Invalid
from domain.text import text_errors

Errors = dict[str, list[str]]

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_INTEGER = "A valid integer is required."
NOT_BOOLEAN = "Must be a valid boolean."
NOT_STRING = "Not a valid string."
# Above this many digits Python refuses to parse a number; no column holds one anyway.
MAX_DIGITS = 50
_INTEGRAL = re.compile(r"^[+-]?\d+(\.0*)?$")

# DRF's DateTimeField messages; its default input format is ISO 8601, which it names so.
WRONG_DATETIME = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
DATETIME_OUT_OF_RANGE = "Datetime value out of range."
# What Django's parse_datetime takes that Python's ISO reading does not: one-digit fields,
# spaces before the offset (ASCII digits only: int() would read other scripts' too).
_LOOSE_DATETIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
    r"[T ](?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{1,2})"
    r"(?::(?P<second>[0-9]{1,2})(?:[.,](?P<fraction>[0-9]{1,6})[0-9]{0,6})?)?"
    r"\s*(?P<offset>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)

_TRUE = {"true", "True", "TRUE", "1", "on", "On", "ON", "yes", "Yes", "YES", "t", "T", "y", "Y"}
_FALSE = {"false", "False", "FALSE", "0", "off", "Off", "OFF", "no", "No", "NO", "f", "F", "n", "N"}


def to_integer(value: object) -> int | None:
    """DRF's IntegerField: an int, or a number written as a string ("7", "7.0"); never a
    boolean. None when it is none of these."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= MAX_DIGITS and _INTEGRAL.match(text):
            return int(text.split(".")[0])
    return None


def integer(
    data: dict[str, Any], name: str, errors: Errors, *, required: bool = False
) -> int | None:
    """The field as an int; None when absent (an error when ``required``) or invalid."""
    if name not in data:
        if required:
            errors[name] = [REQUIRED]
        return None
    value = data[name]
    if value is None:
        errors[name] = [NOT_NULL]
        return None
    parsed = to_integer(value)
    if parsed is None:
        errors[name] = [NOT_INTEGER]
    return parsed


def boolean(data: dict[str, Any], name: str, errors: Errors) -> bool | None:
    """DRF's BooleanField: JSON booleans, 1/0 and the usual words; None when absent."""
    if name not in data:
        return None
    value = data[name]
    if isinstance(value, bool):
        return value
    if value in (1, 0) and isinstance(value, int):
        return bool(value)
    if isinstance(value, str) and value in _TRUE | _FALSE:
        return value in _TRUE
    errors[name] = [NOT_BOOLEAN]
    return None


def string(data: dict[str, Any], name: str, errors: Errors) -> str | None:
    """DRF's CharField: a string (numbers are taken as their text); None when absent."""
    if name not in data:
        return None
    value = data[name]
    if value is None:
        errors[name] = [NOT_NULL]
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[name] = [NOT_STRING]
        return None
    text = value if isinstance(value, str) else str(value)
    if unstorable := text_errors(text):
        errors[name] = unstorable
        return None
    return text


def trimmed_string(data: dict[str, Any], name: str, errors: Errors) -> str | None:
    """``string`` with DRF's default ``trim_whitespace``: the text without the whitespace
    around it (so whitespace alone is blank)."""
    text = string(data, name, errors)
    return None if text is None else text.strip()


def choice(data: dict[str, Any], name: str, errors: Errors) -> str | None:
    """DRF's ChoiceField compares the value's text; the rules say whether it is a choice."""
    if name not in data:
        return None
    value = data[name]
    if value is None:
        errors[name] = [NOT_NULL]
        return None
    return value if isinstance(value, str) else str(value)


def date_time(data: dict[str, Any], name: str, errors: Errors) -> datetime | None:
    """DRF's DateTimeField (required) under Django's ``USE_TZ`` and ``TIME_ZONE = "UTC"``: a
    string Django's ``parse_datetime`` reads, as a UTC moment (an offset converted, none
    meaning UTC); None, and the field's error, when absent or invalid."""
    if name not in data:
        errors[name] = [REQUIRED]
        return None
    value = data[name]
    if value is None:
        errors[name] = [NOT_NULL]
        return None
    parsed = _parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        errors[name] = [WRONG_DATETIME]
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        errors[name] = [DATETIME_OUT_OF_RANGE]
        return None


def _parse_datetime(text: str) -> datetime | None:
    """Django's ``parse_datetime``: Python's ISO 8601 reading, else its looser pattern; None
    when neither reads the text or it names no real moment (year 0, February 30)."""
    if "\x00" in text:  # CPython 3.11's reading stops at a NUL, taking what came before
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = _LOOSE_DATETIME.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    try:
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0").ljust(6, "0")),
            tzinfo=_offset(parts["offset"]),
        )
    except ValueError:  # no such date or time, or an offset of a day or more
        return None


def _offset(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text == "Z":
        return UTC
    minutes = 60 * int(text[1:3]) + (int(text[-2:]) if len(text) > 3 else 0)
    return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))


def check(errors: Errors) -> None:
    if errors:
        raise Invalid(errors)


# --- query filters (django-filter) ----------------------------------------------------------


def query_integer(params: dict[str, str], *names: str) -> int | None:
    """The first of ``names`` given (the legacy and the current name of one filter), as an
    integer; a blank one is no filter, as django-filter treats it."""
    for name in names:
        raw = params.get(name, "")
        if raw == "":
            continue
        parsed = to_integer(raw)
        if parsed is None:
            raise Invalid.single(name, "Enter a number.")
        return parsed
    return None


def query_choice(params: dict[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if raw not in choices:
        message = f"Select a valid choice. {raw} is not one of the available choices."
        raise Invalid.single(name, message)
    return raw


def query_boolean(params: dict[str, str], name: str) -> bool | None:
    """``true``/``false`` (and ``1``/``0``, any case); anything else is a 400, where
    django-filter silently dropped the filter and listed everything."""
    raw = params.get(name, "")
    if raw == "":
        return None
    lowered = raw.lower()
    if lowered in {"true", "1"}:
        return True
    if lowered in {"false", "0"}:
        return False
    raise Invalid.single(name, "Enter a valid boolean: true or false.")


def query_string(params: dict[str, str], name: str) -> str | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if unstorable := text_errors(raw):
        raise Invalid({name: unstorable})
    return raw


def primary_key(
    data: dict[str, Any], name: str, errors: Errors, *, required: bool = False
) -> int | None:
    """DRF's PrimaryKeyRelatedField: an integer id (whether it names something is the
    service's to say)."""
    if name not in data:
        if required:
            errors[name] = [REQUIRED]
        return None
    value = data[name]
    if value is None:
        errors[name] = [NOT_NULL]
        return None
    parsed = to_integer(value)
    if parsed is None:
        errors[name] = [f"Incorrect type. Expected pk value, received {type(value).__name__}."]
    return parsed


def query_datetime(params: dict[str, str], name: str, field: str) -> datetime | None:
    """A date (its midnight) or a date and time, ``T`` or a space between, with an offset
    or in UTC, as Django's DateTimeField took them; the range filter reports errors under
    its ``field``."""
    raw = params.get(name, "").strip()
    if raw == "":
        return None
    try:
        parsed = datetime.fromisoformat(raw)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # an impossible date, or one UTC cannot hold
        raise Invalid.single(field, "Enter a valid date/time.") from None
