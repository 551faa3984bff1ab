"""A mailing's state as the API shows it, a daytime window's times without an offset, and which
progress news a subscriber who read the progress itself first passes over."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta

import pytest

from domain.mailing import rules
from domain.mailing.events import MailingProgress
from domain.mailing.rules import MailingState

AT = datetime(2030, 1, 1, 12, tzinfo=UTC)


class TestState:
    @pytest.mark.parametrize(
        ("started", "finished", "cancelled", "state"),
        [
            (False, False, False, MailingState.SCHEDULED),
            (True, False, False, MailingState.RUNNING),
            (True, True, False, MailingState.FINISHED),
            # A cancel sets finished_at too; before the start or while running alike.
            (False, True, True, MailingState.CANCELLED),
            (True, True, True, MailingState.CANCELLED),
        ],
        ids=["scheduled", "running", "finished", "cancelled before its start", "cancelled"],
    )
    def test_from_the_dispatch_timestamps(
        self, started: bool, finished: bool, cancelled: bool, state: MailingState
    ) -> None:
        found = rules.mailing_state(started=started, finished=finished, cancelled=cancelled)
        assert found is state


class TestDaytimeOffsets:
    """Both ends and emptiness: tests/unit/mailing/test_rules.py."""

    @pytest.mark.parametrize(
        ("start", "end"),
        [(time(9, tzinfo=UTC), time(21)), (time(9), time(21, tzinfo=UTC))],
        ids=["start", "end"],
    )
    def test_a_time_with_an_offset_is_refused(self, start: time, end: time) -> None:
        assert rules.daytime_errors(start, end) == {"daytime": [rules.DAYTIME_OFFSET]}


def progress(**fields: object) -> MailingProgress:
    values: dict[str, object] = {
        "mailing_id": 1,
        "total": 3,
        "pending": 3,
        "sent": 0,
        "failed": 0,
        "expired": 0,
        "first_sent_at": None,
        "last_sent_at": None,
        "started": True,
        "finished": False,
        "cancelled": False,
    }
    return MailingProgress(**(values | fields))  # type: ignore[arg-type]


class TestSupersedes:
    def test_the_same_news_again_is_no_news(self) -> None:
        assert not progress().supersedes(progress())

    def test_fewer_pending_is_newer(self) -> None:
        later = progress(pending=2, sent=1, first_sent_at=AT, last_sent_at=AT)
        assert later.supersedes(progress())
        assert not progress().supersedes(later)

    def test_a_later_stage_is_newer_whatever_the_counts(self) -> None:
        scheduled = progress(total=0, pending=0, started=False)
        ended = progress(pending=0, expired=3, finished=True, cancelled=True)

        assert progress().supersedes(scheduled)
        assert ended.supersedes(progress())
        assert not scheduled.supersedes(progress())
        assert not progress().supersedes(ended)

    def test_the_same_pending_with_other_counts_may_be_newer(self) -> None:
        """A send recorded after a cancel expired it (sent wins), or a client deleted with its
        delivery: nothing tells which came first, so it is passed on."""
        before = progress(pending=1, sent=1, expired=1, last_sent_at=AT)
        after = dataclasses.replace(
            before, sent=2, expired=0, last_sent_at=AT + timedelta(seconds=1)
        )

        assert after.supersedes(before)
