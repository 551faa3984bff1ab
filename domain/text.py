"""What every stored or compared text must be: PostgreSQL and Redis take UTF-8 without NUL."""

from __future__ import annotations

from domain.errors import Invalid

NUL_MESSAGE = "Null characters are not allowed."
UNENCODABLE_MESSAGE = "Text must be valid Unicode (no lone surrogates)."


def text_errors(value: str) -> list[str]:
    if "\x00" in value:
        return [NUL_MESSAGE]
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return [UNENCODABLE_MESSAGE]
    return []


def is_storable(value: str) -> bool:
    return not text_errors(value)


def check_storable(field: str, value: str | None) -> None:
    """Raises Invalid (naming ``field``) for text PostgreSQL cannot store or compare."""
    if value is not None and (errors := text_errors(value)):
        raise Invalid({field: errors}, message=errors[0])


def contains_pattern(word: str) -> str:
    """An ILIKE pattern (escape ``\\``) matching ``word`` literally: % and _ are no wildcards."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
