"""Pure rules of the messenger aggregate: limits, private pairs, read markers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.messenger import rules
from domain.text import NUL_MESSAGE, UNENCODABLE_MESSAGE

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

TOO_LONG_TEXT = "Ensure this field has no more than 500 characters."
NO_CONTENT = "A message needs text, files or a voice recording."


class TestTextFieldErrors:
    @pytest.mark.parametrize("text", [None, "", "hi", "a" * 500, "я" * 500, "😀" * 500])
    def test_up_to_500_characters_pass(self, text: str | None) -> None:
        assert rules.text_field_errors(text) == []

    @pytest.mark.parametrize("text", ["a" * 501, "я" * 501])
    def test_501_characters_are_refused(self, text: str) -> None:
        assert rules.text_field_errors(text) == [TOO_LONG_TEXT]

    def test_null_characters_are_refused(self) -> None:
        assert rules.text_field_errors("hi\x00") == [NUL_MESSAGE]

    def test_lone_surrogates_are_refused(self) -> None:
        assert rules.text_field_errors("hi\ud800") == [UNENCODABLE_MESSAGE]


class TestHasText:
    @pytest.mark.parametrize("text", [None, "", " ", "   ", "\n\t ", "\u00a0"])
    def test_nothing_or_whitespace_alone_is_no_text(self, text: str | None) -> None:
        assert not rules.has_text(text)

    @pytest.mark.parametrize("text", ["a", "  a  ", "\n.\n"])
    def test_any_visible_character_is_text(self, text: str) -> None:
        assert rules.has_text(text)


class TestMessageErrors:
    @pytest.mark.parametrize(
        ("text", "files", "voice"),
        [
            ("hi", 0, False),
            ("a" * 500, 5, False),
            (None, 1, False),
            (None, 5, False),
            ("   ", 3, False),
            (None, 0, True),
            ("", 0, True),
            ("   ", 0, True),
        ],
    )
    def test_a_sendable_message_has_no_errors(
        self, text: str | None, files: int, voice: bool
    ) -> None:
        assert rules.message_errors(text, files, voice) == {}

    @pytest.mark.parametrize("text", [None, "", "   ", "\n\t"])
    def test_a_message_without_text_files_or_voice_is_refused(self, text: str | None) -> None:
        assert rules.message_errors(text, 0, False) == {"non_field_errors": [NO_CONTENT]}

    def test_six_files_are_refused(self) -> None:
        assert rules.message_errors("hi", 6, False) == {
            "files": ["Ensure this field has no more than 5 elements."]
        }

    def test_501_characters_are_refused_as_text_not_as_no_content(self) -> None:
        assert rules.message_errors("a" * 501, 0, False) == {"text": [TOO_LONG_TEXT]}

    @pytest.mark.parametrize(("text", "files"), [("hi", 0), (None, 1), ("hi", 2)])
    def test_a_voice_recording_goes_alone(self, text: str | None, files: int) -> None:
        assert rules.message_errors(text, files, True) == {
            "voice": ["A voice message carries neither text nor files."]
        }

    def test_every_broken_field_is_reported_at_once(self) -> None:
        errors = rules.message_errors("a" * 501, 6, True)
        assert set(errors) == {"text", "files", "voice"}


class TestTitleErrors:
    @pytest.mark.parametrize("title", [None, "", "   "])
    def test_a_missing_title_is_refused_only_when_required(self, title: str | None) -> None:
        assert rules.title_errors(title, required=True) == ["This field is required."]
        assert rules.title_errors(title, required=False) == []

    def test_255_characters_pass_and_256_are_refused(self) -> None:
        assert rules.title_errors("t" * 255, required=True) == []
        assert rules.title_errors("t" * 256, required=True) == [
            "Ensure this field has no more than 255 characters."
        ]

    def test_null_characters_are_refused(self) -> None:
        assert rules.title_errors("Team\x00", required=False) == [NUL_MESSAGE]


class TestGroupMemberErrors:
    def test_an_empty_list_is_refused(self) -> None:
        assert rules.group_member_errors([]) == ["This list may not be empty."]

    def test_one_member_passes(self) -> None:
        assert rules.group_member_errors([uuid.uuid4()]) == []

    def test_100_members_pass_and_101_are_refused(self) -> None:
        ids = [uuid.uuid4() for _ in range(101)]
        assert rules.group_member_errors(ids[:100]) == []
        assert rules.group_member_errors(ids) == [
            "Ensure this field has no more than 100 elements."
        ]

    def test_repeated_ids_count_once(self) -> None:
        ids = [uuid.uuid4() for _ in range(100)]
        assert rules.group_member_errors(ids + ids[:10]) == []


class TestPrivateKey:
    def test_is_the_same_whoever_creates_the_chat(self) -> None:
        a, b = uuid.uuid4(), uuid.uuid4()
        assert rules.private_key(a, b) == rules.private_key(b, a)

    def test_names_both_users_smaller_first(self) -> None:
        a = uuid.UUID("00000000-0000-4000-8000-000000000001")
        b = uuid.UUID("ffffffff-0000-4000-8000-000000000002")
        assert rules.private_key(b, a) == f"{a}:{b}"

    def test_differs_between_pairs(self) -> None:
        a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        assert rules.private_key(a, b) != rules.private_key(a, c)

    def test_fits_its_column(self) -> None:
        assert len(rules.private_key(uuid.uuid4(), uuid.uuid4())) <= 80


class TestGroupMembers:
    def test_the_creator_comes_first_then_the_members_in_the_given_order(self) -> None:
        creator, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        assert rules.group_members(creator, [b, a]) == [creator, b, a]

    def test_the_creator_named_among_the_members_is_listed_once_and_first(self) -> None:
        creator, a = uuid.uuid4(), uuid.uuid4()
        assert rules.group_members(creator, [a, creator]) == [creator, a]

    def test_repeated_members_are_listed_once(self) -> None:
        creator, a = uuid.uuid4(), uuid.uuid4()
        assert rules.group_members(creator, [a, a, a]) == [creator, a]


class TestAdvanceMarker:
    def test_a_first_read_sets_the_marker(self) -> None:
        assert rules.advance_marker(None, NOW) == NOW

    def test_reading_a_newer_message_moves_it_forward(self) -> None:
        later = NOW + timedelta(microseconds=1)
        assert rules.advance_marker(NOW, later) == later

    def test_reading_an_older_message_unreads_nothing(self) -> None:
        assert rules.advance_marker(NOW, NOW - timedelta(days=1)) == NOW

    def test_reading_the_same_message_again_changes_nothing(self) -> None:
        assert rules.advance_marker(NOW, NOW) == NOW


class TestHasRead:
    def test_a_marker_at_the_message_has_read_it(self) -> None:
        assert rules.has_read(uuid.uuid4(), NOW, sender=uuid.uuid4(), sent_at=NOW)

    def test_a_marker_past_the_message_has_read_it(self) -> None:
        marker = NOW + timedelta(hours=1)
        assert rules.has_read(uuid.uuid4(), marker, sender=uuid.uuid4(), sent_at=NOW)

    def test_a_marker_a_microsecond_before_has_not(self) -> None:
        marker = NOW - timedelta(microseconds=1)
        assert not rules.has_read(uuid.uuid4(), marker, sender=uuid.uuid4(), sent_at=NOW)

    def test_no_marker_has_read_nothing(self) -> None:
        assert not rules.has_read(uuid.uuid4(), None, sender=uuid.uuid4(), sent_at=NOW)

    def test_nobody_reads_their_own_message(self) -> None:
        me = uuid.uuid4()
        assert not rules.has_read(me, NOW + timedelta(days=1), sender=me, sent_at=NOW)

    def test_a_message_whose_sender_vanished_can_be_read(self) -> None:
        assert rules.has_read(uuid.uuid4(), NOW, sender=None, sent_at=NOW)


class TestSearchWords:
    @pytest.mark.parametrize("search", [None, "", "   ", ",", " , ,\t"])
    def test_no_words_means_no_filter(self, search: str | None) -> None:
        assert rules.search_words(search) == []

    def test_whitespace_and_commas_separate_words(self) -> None:
        assert rules.search_words(" ivan ,petrov,,\tteam\nchat ") == [
            "ivan",
            "petrov",
            "team",
            "chat",
        ]

    def test_wildcard_characters_stay_in_the_words(self) -> None:
        # Escaping them is the query's business (domain.text.contains_pattern).
        assert rules.search_words("50% off_sale \\") == ["50%", "off_sale", "\\"]


class TestDisplayName:
    def test_full_name_when_there_is_one(self) -> None:
        assert rules.display_name("Ivan", "Petrov", "ivan", deleted=False) == "Ivan Petrov"

    @pytest.mark.parametrize(
        ("first", "last", "shown"), [("Ivan", "", "Ivan"), ("", "Petrov", "Petrov")]
    )
    def test_one_name_alone_has_no_stray_space(self, first: str, last: str, shown: str) -> None:
        assert rules.display_name(first, last, "ivan", deleted=False) == shown

    def test_the_username_without_names(self) -> None:
        assert rules.display_name("", "", "ivan", deleted=False) == "ivan"

    def test_a_deleted_user_shows_the_placeholder_whatever_remains(self) -> None:
        assert rules.display_name("Ivan", "Petrov", "ivan", deleted=True) == (
            "Удалённый Пользователь"
        )
