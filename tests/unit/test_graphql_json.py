"""GraphQL's answers and socket messages are encoded by ``resolvers.jsontext.graphql_json``:
the same JSON values as Strawberry's ``json.dumps`` gave, as compact UTF-8 text."""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import pytest

from resolvers.jsontext import graphql_json
from resolvers.sharing import _Encoded, _encoded, next_message_json

ANSWER: dict[str, Any] = {
    "data": {
        "chats": {
            "totalCount": 2,
            "edges": [
                {
                    "cursor": "YXJyYXljb25uZWN0aW9uOjA=",
                    "node": {
                        "title": 'Группа "😀" \\ </script>\u2028\x00\x1f\x7f',
                        "unread": 7,
                        "ratio": 0.1 + 0.2,
                        "small": 1e-05,
                        "big": 2**70,
                        "flags": [True, False, None],
                    },
                }
            ],
        }
    },
    "errors": [{"message": "Unexpected error.", "path": ["chats", 0], "locations": []}],
}


@pytest.mark.parametrize(
    "value",
    [ANSWER, {"data": None}, {"data": {"n": -0.0, "e": 1e300, "s": ""}}, [], "é"],
)
def test_the_json_values_are_strawberrys(value: Any) -> None:
    text = graphql_json(value)

    assert json.loads(text) == json.loads(json.dumps(value, separators=(",", ":")))
    assert b", " not in text.replace(b'", "', b"")  # compact


def test_non_ascii_text_is_written_as_utf8_not_escaped() -> None:
    assert graphql_json({"t": "Иван 😀"}) == '{"t":"Иван 😀"}'.encode()


def test_a_nan_in_a_json_scalar_is_null_and_with_what_orjson_refuses_still_encodes() -> None:
    assert graphql_json({"v": math.nan}) == b'{"v":null}'
    # orjson refuses the integer past 64 bits: the standard library's lenient text, as before.
    assert graphql_json({"v": math.nan, "big": 2**70}) == b'{"v":NaN,"big":1180591620717411303424}'


def test_what_nothing_can_encode_still_raises() -> None:
    with pytest.raises(TypeError):
        graphql_json({"v": {1, 2}})


def test_a_shared_next_message_is_the_bytes_of_the_whole_message() -> None:
    data = {"messageEvents": {"text": "привет", "id": str(uuid.uuid4())}}
    _encoded.put(id(data), _Encoded(data))
    message = {"id": "op-é-1", "type": "next", "payload": {"data": data}}

    shared = next_message_json(message)

    assert shared is not None
    assert shared.encode() == graphql_json(message)
