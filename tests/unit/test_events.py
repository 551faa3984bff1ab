"""Events serialise to JSON text once and decode back to the same value."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from domain.accounts.events import PresenceChanged, SessionRevoked
from domain.events import Event, EventDecodeError, decode, encode
from domain.jobs.events import JobChanged
from domain.messenger.events import MessageEvent, MessagesReadAll

if TYPE_CHECKING:
    from collections.abc import Callable


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


def _every_event_type() -> set[type[Event]]:
    found: set[type[Event]] = set()
    pending = list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending += cls.__subclasses__()
    return found


MESSAGE_ID = str(uuid.uuid4())
# One of each event the subscriptions stream, and the ids a client re-queries by once it learns
# that events were lost (pub/sub is at-most-once): every one must survive the round trip.
SAMPLES: dict[type[Event], tuple[Event, Callable[[Any], list[object]]]] = {
    SessionRevoked: (
        SessionRevoked(user_id=uuid.uuid4(), session_id=uuid.uuid4(), reason="logout"),
        lambda e: [e.user_id, e.session_id],
    ),
    PresenceChanged: (
        PresenceChanged(user_id=uuid.uuid4(), online=True, last_online_at=datetime.now(UTC)),
        lambda e: [e.user_id],
    ),
    JobChanged: (
        JobChanged(job_id=uuid.uuid4().hex, kind="jobs.noop", status="queued", attempts=0),
        lambda e: [e.job_id],
    ),
    MessageEvent: (
        MessageEvent(
            kind="delete",
            chat_id=uuid.uuid4(),
            message={"id": MESSAGE_ID, "text": "as it was"},
            recipients=[str(uuid.uuid4())],
        ),
        lambda e: [e.chat_id, e.message["id"]],
    ),
    MessagesReadAll: (
        MessagesReadAll(
            chat_id=uuid.uuid4(),
            user_id=uuid.uuid4(),
            message_ids=[MESSAGE_ID],
            recipients=[str(uuid.uuid4())],
        ),
        lambda e: [e.chat_id, e.user_id, *e.message_ids],
    ),
}


class TestRequeryIds:
    def test_every_event_type_has_a_sample_here(self) -> None:
        # A new event type must say here which ids a client re-queries it by.
        assert _every_event_type() == set(SAMPLES)

    @pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda kind: kind.name)
    def test_the_ids_survive_the_round_trip(self, kind: type[Event]) -> None:
        event, ids_of = SAMPLES[kind]
        ids = ids_of(decode(encode(event)))
        assert ids == ids_of(event)
        assert all(ids)
