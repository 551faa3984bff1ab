"""JSON answers encoded by orjson, spelled as the standard library spells compact text.

``compact_json(value)`` gives the bytes of ``json.dumps(value, ensure_ascii=False,
allow_nan=False, separators=(",", ":"))`` (Starlette's own JSON answer) for a fraction of the
CPU: keys in insertion order, non-ASCII characters unescaped. What orjson refuses (integers
past 64 bits, keys that are not strings, datetimes and dataclasses, which the standard library
refuses too) or spells otherwise (floats under 1e-4) is encoded by the standard library. One
difference remains: orjson writes a NaN or an infinity as ``null`` where the standard library
raises.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# Where orjson's text can differ from the standard library's: floats under 1e-4 ("1e-5" or
# "0.00001" for Python's "1e-05"). The pattern also matches such text inside strings, which
# merely sends that answer down the slower path.
_FLOAT_SPELLED_OTHERWISE = re.compile(rb"[0-9](?:e-|\.0000)")
# Datetimes and dataclasses go to the standard library, which refuses them as before.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def compact_json(value: Any) -> bytes:
    try:
        body = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return standard_json(value)
    if _may_spell_a_float_otherwise(body):
        return standard_json(value)
    return body


def _may_spell_a_float_otherwise(body: bytes) -> bool:
    # The two substring searches cost a fifth of the pattern's scan, which alone took ten
    # times orjson's encoding of a page of chats.
    return (b"e-" in body or b".0000" in body) and bool(_FLOAT_SPELLED_OTHERWISE.search(body))


def standard_json(value: Any) -> bytes:
    """The standard library's text that ``compact_json`` reproduces."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def graphql_json(value: Any) -> bytes:
    """GraphQL's answers and socket messages: orjson's compact UTF-8 text, which may spell a
    small float otherwise than the standard library (``1e-5`` for ``1e-05``: the same JSON
    value, and GraphQL never promised its clients bytes). What orjson refuses gets the
    standard library's text, as Strawberry writes it."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":")).encode()
