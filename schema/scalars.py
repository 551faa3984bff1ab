"""Custom scalars."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NewType

import strawberry

if TYPE_CHECKING:
    from strawberry.types.scalar import ScalarDefinition


DIGITS = re.compile(r"-?[0-9]{1,20}")


def _parse_bigint(value: object) -> int:
    # Plain ASCII digits only: int() would also take " 12", "1_000" and other scripts' digits.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("BigInt takes an integer or a string of digits")
    if isinstance(value, str) and not DIGITS.fullmatch(value):
        raise ValueError("BigInt takes an integer or a string of digits")
    number = int(value)
    if not -(2**63) <= number < 2**63:
        raise ValueError("BigInt is a signed 64-bit integer")
    return number


# GraphQL's Int is 32-bit and JavaScript numbers lose digits past 2^53: Telegram ids travel
# as strings of digits (an integer literal is accepted on input).
BigInt = NewType("BigInt", int)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="A signed 64-bit integer (Telegram ids), serialised as a string of digits.",
        serialize=str,
        parse_value=_parse_bigint,
    )
}
