"""DRF's field and django-filter's filter parsing, with their messages: the legacy 400 shapes
for a wrong type, never a 500.

Body readers collect their errors into an ``Errors`` dict so one answer names every bad field,
as DRF's serializers did; query readers raise at once (django-filter's form answered 400 with
the bad filters too, and a client sends one filter wrong at a time).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
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


def choice(data: dict[str, Any], name: str, errors: Errors) -> str | None:
    """DRF's ChoiceField compares the value's text; the rules say whether it is a choice."""
    if name not in data:
        return None
    value = data[name]
    if value is None:
        errors[name] = [NOT_NULL]
        return None
    return value if isinstance(value, str) else str(value)


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
