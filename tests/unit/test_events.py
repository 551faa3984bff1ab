"""Events serialise to JSON text once and decode back to the same value."""

from __future__ import annotations

import json
import uuid

import pytest

from domain.accounts.events import SessionRevoked
from domain.events import EventDecodeError, decode, encode


class TestEncode:
    def test_session_revoked_round_trips(self) -> None:
        event = SessionRevoked(user_id=uuid.uuid4(), session_id=uuid.uuid4(), reason="logout")
        text = encode(event)
        assert isinstance(text, str)
        assert decode(text) == event

    def test_envelope_names_event_and_version(self) -> None:
        event = SessionRevoked(user_id=uuid.uuid4(), session_id=uuid.uuid4(), reason="logout")
        body = json.loads(encode(event))
        assert body["event"] == "session_revoked"
        assert body["v"] == 1
        assert body["data"]["session_id"] == str(event.session_id)

    def test_channel_is_the_users_scope(self) -> None:
        user_id = uuid.uuid4()
        event = SessionRevoked(user_id=user_id, session_id=uuid.uuid4(), reason="logout")
        assert event.channel == f"user:{user_id}"


class TestDecode:
    @pytest.mark.parametrize(
        "text",
        [
            "not json",
            "[]",
            '{"event": "no_such_event", "v": 1, "data": {}}',
            '{"event": "session_revoked", "v": 1, "data": {"reason": "x"}}',
            '{"event": "session_revoked", "v": 1, "data": {"user_id": "bad", '
            '"session_id": "bad", "reason": "x"}}',
        ],
    )
    def test_garbage_raises_event_decode_error(self, text: str) -> None:
        with pytest.raises(EventDecodeError):
            decode(text)
