"""Pure rules of the accounts aggregate."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.accounts import rules
from domain.accounts.rules import (
    FamilyState,
    RefreshVerdict,
    TokenClaims,
    TokenType,
    UsernamePolicy,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def family(
    *, generation: int = 3, revoked: bool = False, ttl: int = 3600, rotated_ago: float = 10
) -> FamilyState:
    return FamilyState(
        generation=generation,
        current_jti="current",
        expires_at=NOW + timedelta(seconds=ttl),
        revoked=revoked,
        previous_jti="previous",
        rotated_at=NOW - timedelta(seconds=rotated_ago),
    )


def claims(token_type: TokenType, *, generation: int = 3, jti: str = "current") -> TokenClaims:
    return TokenClaims(uuid.uuid4(), uuid.uuid4(), generation, token_type, jti)


class TestUsernameErrors:
    @pytest.mark.parametrize("name", ["ivan", "Ivan2", "a", "A" * 20])
    def test_strict_accepts_latin_letters_and_digits(self, name: str) -> None:
        assert rules.username_errors(name, UsernamePolicy.STRICT) == []

    @pytest.mark.parametrize("name", ["2ivan", "iv an", "ivan_p", "иван", "A" * 21, "ivan!"])
    def test_strict_refuses_everything_else(self, name: str) -> None:
        assert rules.username_errors(name, UsernamePolicy.STRICT)

    @pytest.mark.parametrize("name", ["ivan.petrov", "ivan@mail.ru", "user_1", "a+b-c"])
    def test_django_policy_accepts_what_django_accepted(self, name: str) -> None:
        assert rules.username_errors(name, UsernamePolicy.DJANGO) == []

    @pytest.mark.parametrize("name", ["has space", "a" * 151, "semi;colon"])
    def test_django_policy_refuses_other_characters_and_length(self, name: str) -> None:
        assert rules.username_errors(name, UsernamePolicy.DJANGO)

    def test_blank_is_refused_by_both_policies(self) -> None:
        for policy in UsernamePolicy:
            assert rules.username_errors("", policy) == ["This field may not be blank."]


class TestPasswordErrors:
    def test_eight_mixed_characters_pass(self) -> None:
        assert rules.password_errors("secret12") == []

    def test_short_password_is_refused(self) -> None:
        assert "at least 8 characters" in rules.password_errors("abc12")[0]

    def test_all_digit_password_is_refused(self) -> None:
        assert rules.password_errors("1234567890") == ["This password is entirely numeric."]

    def test_overlong_password_is_refused(self) -> None:
        assert rules.password_errors("x" * 129)


class TestRegistrationErrors:
    def test_collects_every_bad_field(self) -> None:
        errors = rules.registration_errors(
            username="1bad",
            password="short",
            first_name="Ivan1",
            last_name="P" * 21,
            policy=UsernamePolicy.STRICT,
        )
        assert set(errors) == {"username", "password", "first_name", "last_name"}

    def test_null_characters_are_refused_in_every_field(self) -> None:
        errors = rules.registration_errors(
            username="iv\x00an",
            password="secret\x00123",
            first_name="I\x00",
            last_name="P\x00",
            bio="hi\x00",
            policy=UsernamePolicy.DJANGO,
        )
        assert errors == {
            field: ["Null characters are not allowed."]
            for field in ("username", "password", "first_name", "last_name", "bio")
        }

    def test_cyrillic_names_are_letters(self) -> None:
        errors = rules.registration_errors(
            username="ivan",
            password="secret123",
            first_name="Иван",
            last_name="Петров",
            policy=UsernamePolicy.STRICT,
        )
        assert errors == {}


class TestJudgeRefresh:
    def test_current_token_rotates(self) -> None:
        verdict = rules.judge_refresh(family(), claims(TokenType.REFRESH), NOW)
        assert verdict is RefreshVerdict.ROTATE

    def test_older_generation_is_reuse(self) -> None:
        verdict = rules.judge_refresh(family(), claims(TokenType.REFRESH, generation=2), NOW)
        assert verdict is RefreshVerdict.REUSED

    def test_revoked_family_is_dead_even_for_old_tokens(self) -> None:
        old = claims(TokenType.REFRESH, generation=1)
        assert rules.judge_refresh(family(revoked=True), old, NOW) is RefreshVerdict.DEAD

    def test_expired_family_is_dead(self) -> None:
        verdict = rules.judge_refresh(family(ttl=-1), claims(TokenType.REFRESH), NOW)
        assert verdict is RefreshVerdict.DEAD

    def test_same_generation_with_other_jti_is_dead_not_reuse(self) -> None:
        forged = claims(TokenType.REFRESH, jti="other")
        assert rules.judge_refresh(family(), forged, NOW) is RefreshVerdict.DEAD

    def test_the_token_rotated_just_before_is_in_grace(self) -> None:
        previous = claims(TokenType.REFRESH, generation=2, jti="previous")
        verdict = rules.judge_refresh(family(rotated_ago=29.9), previous, NOW, grace=30)
        assert verdict is RefreshVerdict.GRACE

    def test_grace_ends_with_its_window(self) -> None:
        previous = claims(TokenType.REFRESH, generation=2, jti="previous")
        verdict = rules.judge_refresh(family(rotated_ago=30), previous, NOW, grace=30)
        assert verdict is RefreshVerdict.REUSED

    def test_no_grace_when_it_is_off(self) -> None:
        previous = claims(TokenType.REFRESH, generation=2, jti="previous")
        assert rules.judge_refresh(family(rotated_ago=0), previous, NOW) is RefreshVerdict.REUSED

    def test_only_the_last_rotated_token_is_in_grace(self) -> None:
        older = claims(TokenType.REFRESH, generation=1, jti="previous")
        verdict = rules.judge_refresh(family(rotated_ago=1), older, NOW, grace=30)
        assert verdict is RefreshVerdict.REUSED

    def test_a_forged_previous_jti_is_reuse(self) -> None:
        forged = claims(TokenType.REFRESH, generation=2, jti="forged")
        verdict = rules.judge_refresh(family(rotated_ago=1), forged, NOW, grace=30)
        assert verdict is RefreshVerdict.REUSED

    def test_a_revoked_family_has_no_grace(self) -> None:
        previous = claims(TokenType.REFRESH, generation=2, jti="previous")
        verdict = rules.judge_refresh(family(revoked=True), previous, NOW, grace=30)
        assert verdict is RefreshVerdict.DEAD


class TestTokenIsLive:
    def test_access_of_current_generation_is_live(self) -> None:
        assert rules.token_is_live(family(), claims(TokenType.ACCESS), NOW)

    def test_access_of_previous_generation_is_dead(self) -> None:
        assert not rules.token_is_live(family(), claims(TokenType.ACCESS, generation=2), NOW)

    def test_access_of_revoked_family_is_dead(self) -> None:
        assert not rules.token_is_live(family(revoked=True), claims(TokenType.ACCESS), NOW)

    def test_refresh_is_live_only_while_it_would_rotate(self) -> None:
        assert rules.token_is_live(family(), claims(TokenType.REFRESH), NOW)
        assert not rules.token_is_live(family(), claims(TokenType.REFRESH, generation=2), NOW)


class TestClaims:
    def test_build_then_parse_round_trips(self) -> None:
        original = claims(TokenType.ACCESS)
        raw = rules.build_claims(original, issued_at=NOW, ttl_seconds=60)
        assert raw["exp"] - raw["iat"] == 60
        expiring = dataclasses.replace(original, expires_at=NOW + timedelta(seconds=60))
        assert rules.parse_claims(raw) == expiring

    @pytest.mark.parametrize("missing", ["sub", "sid", "gen", "token_type", "jti", "exp"])
    def test_parse_refuses_claims_tghub_did_not_issue(self, missing: str) -> None:
        raw = rules.build_claims(claims(TokenType.ACCESS), issued_at=NOW, ttl_seconds=60)
        del raw[missing]
        assert rules.parse_claims(raw) is None

    def test_parse_refuses_unknown_token_type(self) -> None:
        raw = rules.build_claims(claims(TokenType.ACCESS), issued_at=NOW, ttl_seconds=60)
        raw["token_type"] = "id"
        assert rules.parse_claims(raw) is None


class TestIsOnline:
    def test_active_within_five_minutes_is_online(self) -> None:
        assert rules.is_online(NOW - timedelta(minutes=4, seconds=59), NOW)

    def test_five_minutes_ago_is_offline(self) -> None:
        assert not rules.is_online(NOW - timedelta(minutes=5), NOW)

    def test_never_seen_is_offline(self) -> None:
        assert not rules.is_online(None, NOW)
