"""Events serialise to JSON text once and decode back to the same value."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.accounts.events import AccountChanged, PresenceChanged, SessionRevoked
from domain.bots.events import BotChannelEvent
from domain.events import Event, EventDecodeError, decode, encode
from domain.invites.events import InviteLogged, QueueAlert, QueueLengthChanged
from domain.jobs.events import JobChanged
from domain.mailing.events import MailingProgress
from domain.messenger.cards import MessageCard, UserCard
from domain.messenger.events import MessageEvent, MessagesReadAll
from domain.tracking.events import OnlineStatusChanged, StatusUpdate

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


NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def user_card(username: str, *, last_online_at: datetime | None = None) -> UserCard:
    return UserCard(
        id=uuid.uuid4(),
        username=username,
        first_name=username.title(),
        last_name="",
        bio=None,
        avatar=f"{uuid.uuid4().hex}/{username}.png",
        role="user",
        last_online_at=last_online_at,
        online=last_online_at is not None,
        deleted=False,
    )


def message_card(*, sender: UserCard | None, readers: tuple[UserCard, ...] = ()) -> MessageCard:
    return MessageCard(
        id=uuid.uuid4(),
        chat_id=uuid.uuid4(),
        text="hello",
        voice=None,
        files=(f"{uuid.uuid4().hex}/a.pdf", f"{uuid.uuid4().hex}/b.png"),
        sender=sender,
        was_read_by=readers,
        created_at=NOW,
        updated_at=NOW + timedelta(seconds=1),
    )


class TestCompactItems:
    def test_travel_as_arrays_of_their_fields(self) -> None:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        event = OnlineStatusChanged(updates=(StatusUpdate(7, None, at, "hidden"),))

        assert json.loads(encode(event))["data"] == {
            "updates": [[7, None, "2026-01-01T00:00:00+00:00", "hidden"]]
        }
        assert decode(encode(event)) == event


class TestMessageEvent:
    def test_a_message_event_round_trips_with_its_nested_cards(self) -> None:
        readers = (user_card("olga", last_online_at=NOW), user_card("petr"))
        card = message_card(sender=user_card("ivan", last_online_at=NOW), readers=readers)
        event = MessageEvent(kind="read", chat_id=card.chat_id, message=card)

        decoded = decode(encode(event))

        assert decoded == event
        assert isinstance(decoded, MessageEvent)
        assert decoded.message.was_read_by == readers
        assert decoded.message.created_at == NOW  # aware, to the microsecond

    def test_a_vanished_sender_and_no_readers_round_trip(self) -> None:
        event = MessageEvent(kind="delete", chat_id=uuid.uuid4(), message=message_card(sender=None))

        assert decode(encode(event)) == event

    def test_the_recipients_route_the_event_but_stay_off_the_wire(self) -> None:
        recipients = tuple(uuid.uuid4() for _ in range(100))
        card = message_card(sender=user_card("ivan"))
        event = MessageEvent(
            kind="create", chat_id=card.chat_id, message=card, recipients=recipients
        )

        text = encode(event)

        assert event.channels == tuple(f"user:{member}" for member in recipients)
        assert not any(str(member) in text for member in recipients)
        assert "recipients" not in json.loads(text)["data"]

    def test_a_read_all_carries_no_recipients_either(self) -> None:
        recipients = (uuid.uuid4(), uuid.uuid4())
        event = MessagesReadAll(
            chat_id=uuid.uuid4(),
            user_id=recipients[0],
            message_ids=(uuid.uuid4(),),
            recipients=recipients,
        )

        text = encode(event)

        assert str(recipients[1]) not in text
        assert decode(text) == event

    def test_a_decoded_event_is_published_nowhere(self) -> None:
        card = message_card(sender=None)
        event = MessageEvent(
            kind="create", chat_id=card.chat_id, message=card, recipients=(uuid.uuid4(),)
        )

        assert decode(encode(event)).channels == ()


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
            # Another version of a known event: its fields may mean something else.
            f'{{"event": "session_revoked", "v": 9, "data": {{"user_id": "{uuid.uuid4()}", '
            f'"session_id": "{uuid.uuid4()}", "reason": "x"}}}}',
            # A required value missing, or of the wrong type.
            f'{{"event": "session_revoked", "v": 1, "data": {{"user_id": null, '
            f'"session_id": "{uuid.uuid4()}", "reason": "x"}}}}',
            f'{{"event": "session_revoked", "v": 1, "data": {{"user_id": "{uuid.uuid4()}", '
            f'"session_id": "{uuid.uuid4()}", "reason": 7}}}}',
            # A nested card that is not an object.
            f'{{"event": "message_event", "v": 2, "data": {{"kind": "create", '
            f'"chat_id": "{uuid.uuid4()}", "message": "not a card"}}}}',
            # A compact item (an array of its fields) too short, or an object.
            '{"event": "online_status_changed", "v": 1, "data": {"updates": [[7, true]]}}',
            '{"event": "online_status_changed", "v": 1, "data": {"updates": '
            '[{"tracked_user_id": 7, "is_online": true, "observed_at": "2026-01-01T00:00:00",'
            ' "hidden_reason": null}]}}',
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


MESSAGE_ID = uuid.uuid4()
# One of each event the subscriptions stream, and the ids a client re-queries by once it learns
# that events were lost (pub/sub is at-most-once): every one must survive the round trip.
SAMPLES: dict[type[Event], tuple[Event, Callable[[Any], list[object]]]] = {
    SessionRevoked: (
        SessionRevoked(user_id=uuid.uuid4(), session_id=uuid.uuid4(), reason="logout"),
        lambda e: [e.user_id, e.session_id],
    ),
    AccountChanged: (AccountChanged(user_id=uuid.uuid4()), lambda e: [e.user_id]),
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
            message=message_card(sender=user_card("ivan")),
            recipients=(uuid.uuid4(),),
        ),
        lambda e: [e.chat_id, e.message.id],
    ),
    MessagesReadAll: (
        MessagesReadAll(
            chat_id=uuid.uuid4(),
            user_id=uuid.uuid4(),
            message_ids=(MESSAGE_ID,),
            recipients=(uuid.uuid4(),),
        ),
        lambda e: [e.chat_id, e.user_id, *e.message_ids],
    ),
    OnlineStatusChanged: (
        OnlineStatusChanged(
            updates=(
                StatusUpdate(tracked_user_id=7, is_online=True, observed_at=NOW),
                StatusUpdate(8, None, NOW + timedelta(seconds=1), "hidden"),
            )
        ),
        lambda e: [u.tracked_user_id for u in e.updates],
    ),
    BotChannelEvent: (
        BotChannelEvent(
            what="post_published",
            link_id=3,
            channel_id=-1001234567890,
            status="active",
            message_id=42,
        ),
        lambda e: [e.link_id, e.channel_id, e.message_id],
    ),
    MailingProgress: (
        MailingProgress(
            mailing_id=7,
            total=3,
            pending=1,
            sent=1,
            failed=1,
            expired=0,
            first_sent_at=datetime(2030, 1, 1, 9, tzinfo=UTC),
            last_sent_at=datetime(2030, 1, 1, 9, 5, tzinfo=UTC),
            started=True,
            finished=False,
            cancelled=False,
        ),
        lambda e: [e.mailing_id, e.first_sent_at, e.last_sent_at],
    ),
    InviteLogged: (
        InviteLogged(
            id=11,
            task_id=uuid.uuid4(),
            account_id=uuid.uuid4(),
            account_name="+79990000100",
            channel_username="demo",
            phone="+79991234567",
            status="invited",
            reason=None,
            created_at=datetime(2030, 1, 1, 9, tzinfo=UTC),
        ),
        lambda e: [e.id, e.task_id, e.account_id, e.created_at],
    ),
    QueueLengthChanged: (QueueLengthChanged(queue_length=3, threshold=2), lambda e: []),
    QueueAlert: (
        QueueAlert(queue_length=3, threshold=2, at=datetime(2030, 1, 1, 9, tzinfo=UTC)),
        lambda e: [e.at],
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
