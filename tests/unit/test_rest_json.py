"""The legacy routes' JSON answers (``resolvers.rest.drf.JSONResponse``, orjson) are the same
bytes Starlette's ``json.dumps`` wrote before, and they raise where it raised."""

from __future__ import annotations

import ast
import random
import struct
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from starlette import responses

from domain.messenger.cards import MessageCard, UserCard
from resolvers.rest.drf import JSONResponse
from resolvers.rest.serializers import DELETED_USER, message_card_json, user_card_json

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 7, 12, 0, 0, 123456, tzinfo=UTC)


def both(content: Any) -> tuple[bytes, bytes]:
    return bytes(JSONResponse(content).body), bytes(responses.JSONResponse(content).body)


def card(n: int, *, deleted: bool = False) -> UserCard:
    return UserCard(
        id=uuid.UUID(int=n),
        username=f"user{n}",
        first_name="Иван",
        last_name='O\'Neil "😀"',
        bio=None if n % 2 else "line\nbreak\ttab\x00\x1f\x7f\u2028</script>",
        avatar=None if n % 3 else f"avatars/{n}.png",
        role="user",
        last_online_at=None if n % 2 else NOW - timedelta(minutes=n),
        online=bool(n % 2),
        deleted=deleted,
    )


def chat_answer() -> dict[str, Any]:
    """A page of seed 001's chats, as ``GET /api/chats/`` builds it."""
    base = "http://testserver"
    message = MessageCard(
        id=uuid.uuid4(),
        chat_id=uuid.uuid4(),
        text="привет, \\ мир",
        voice="voice/1.ogg",
        files=("f/1.png", "f/2.pdf"),
        sender=card(1),
        was_read_by=(card(2), card(3, deleted=True)),
        created_at=NOW,
        updated_at=NOW.astimezone(timezone(timedelta(hours=3))),
    )
    chat = {
        "id": str(uuid.uuid4()),
        "title": "Группа",
        "members": [user_card_json(card(n), NOW, base) for n in range(4)],
        "creator": dict(DELETED_USER),
        "avatar": None,
        "created_at": NOW.isoformat(),
        "updated_at": (NOW + timedelta(microseconds=1)).isoformat(),
        "is_private": False,
        "last_message": message_card_json(message, NOW, base),
        "unread_messages_count": 7,
    }
    return {"count": 21, "next": f"{base}/api/chats/?page=2", "previous": None, "results": [chat]}


@pytest.mark.parametrize(
    "content",
    [
        chat_answer(),
        [],
        {},
        {"detail": "Not found."},
        {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
        [None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**64 - 1],
        {"phone": 2**100, "big": -(2**64)},  # orjson refuses these: the standard library
        {"floats": [0.1, 1.0, -0.0, 1e16, 1.5e-7, 1e-05, 0.0001, 1e300, 5e-324, 1 / 3]},
        {"text": "1e-5 and 0.00001 in a string", "n": 1},
        {"a": "\x00\x01\x1f\x7f\x80\u2028\u2029\ufeff", "é": "😀", "": ""},
        ("tuple", ("nested",)),
    ],
)
def test_answers_are_the_same_bytes(content: Any) -> None:
    fast, before = both(content)
    assert fast == before


def test_random_floats_and_integers_are_the_same_bytes() -> None:
    draw = random.Random(16)
    values: list[Any] = []
    while len(values) < 20_000:
        value = struct.unpack("<d", draw.getrandbits(64).to_bytes(8, "little"))[0]
        if value == value and abs(value) != float("inf"):  # JSON has no NaN or infinity
            values.append(value)
    values += [draw.randint(-(2**70), 2**70) for _ in range(2_000)]
    decades = [float(f"{m}e{e}") for e in range(-330, 309) for m in (1, 1.5, 9.99, 1.2345678)]
    values += [value for value in decades if abs(value) != float("inf")]
    for value in values:
        fast, before = both({"value": value})
        assert fast == before, value


@pytest.mark.parametrize(
    "content",
    [
        {"at": NOW},  # a datetime never reaches an answer unformatted
        {1: "an integer key"},
        {"x": object()},
        {"bad": "\ud800"},  # a lone surrogate is no UTF-8
    ],
)
def test_what_the_standard_library_refused_is_still_refused(content: Any) -> None:
    outcomes: list[object] = []
    for response_class in (JSONResponse, responses.JSONResponse):
        try:
            outcomes.append(response_class(content).body)
        except (TypeError, ValueError) as exc:
            outcomes.append(type(exc))
    assert outcomes[0] == outcomes[1]


def test_every_legacy_route_answers_through_the_one_class() -> None:
    """No module of the REST router builds Starlette's own JSONResponse."""
    for path in sorted((ROOT / "resolvers" / "rest").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "starlette.responses":
                names = {alias.name for alias in node.names}
                assert "JSONResponse" not in names, path.relative_to(ROOT)
