"""Reading the id in a keyset cursor (domain/pages.py), shared by the integer-keyed lists."""

from __future__ import annotations

import pytest

from domain.errors import Invalid
from domain.pages import cursor_id, id_in


@pytest.mark.parametrize(
    ("digits", "big", "expected"),
    [
        ("0", False, 0),
        ("2147483647", False, 2**31 - 1),
        ("2147483648", False, None),
        ("2147483648", True, 2**31),
        ("9223372036854775807", True, 2**63 - 1),
        ("9223372036854775808", True, None),
        ("9" * 5000, True, None),  # past Python's digit limit: refused before int() reads it
        ("-1", False, None),
        ("1.0", False, None),
        ("١٢", False, None),  # digits of another script
        ("", False, None),
    ],
)
def test_an_id_fits_its_column_or_is_none(digits: str, big: bool, expected: int | None) -> None:
    assert id_in(digits, big=big) == expected


def test_no_cursor_is_the_start() -> None:
    assert cursor_id(None) is None
    assert cursor_id(("17",)) == 17


@pytest.mark.parametrize("cursor", [(), ("1", "2"), ("x",), ("2147483648",)])
def test_anything_else_is_an_invalid_cursor_on_its_name(cursor: tuple[str, ...]) -> None:
    with pytest.raises(Invalid) as raised:
        cursor_id(cursor, "before")

    assert raised.value.field_errors == {"before": ["Invalid cursor."]}
    assert raised.value.message == "Invalid cursor."
