"""Times given to GraphQL inputs and filters."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.errors import Invalid


def utc_input(value: datetime | None, field: str) -> datetime | None:
    """A time without an offset is UTC; one UTC cannot hold (year 1 at +05:00) is refused
    here, on ``field``, as the database driver would fail on it."""
    if value is None:
        return None
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise Invalid.single(field, "Datetime value out of range.") from None
