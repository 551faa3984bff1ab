"""Connection cursors (``schema.relay.encode_cursor``) keep their bytes: URL-safe base64 of
``json.dumps`` of the key, whether the key is joined directly or left to ``json.dumps``."""

from __future__ import annotations

import base64
import json

import pytest

from schema.relay import decode_cursor, encode_cursor


def dumped(key: tuple[str, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


KEYS: list[tuple[str, ...]] = [
    ("2026-12-07T20:16:15.123456+00:00", "6f1c2a4e-8b7d-4c3e-9a1f-0e2d3c4b5a69"),
    ("only",),
    (),
    ("",),
    ("", ""),
    ('say "hi"', "back\\slash"),
    ("tab\there", "line\nbreak", "\x7f", "\x00"),
    ("Группа", "😀", "\u2028"),
    (" !#[]~", "plain"),
]


@pytest.mark.parametrize("key", KEYS)
def test_the_cursor_is_base64_of_json_dumps(key: tuple[str, ...]) -> None:
    assert encode_cursor(key) == dumped(key)
    assert encode_cursor(list(key)) == dumped(key)
    assert decode_cursor(encode_cursor(key)) == key


def test_every_character_alone_and_among_others() -> None:
    for code in range(0x300):
        part = chr(code)
        for key in ((part,), ("a", part + "b")):
            assert encode_cursor(key) == dumped(key), hex(code)
