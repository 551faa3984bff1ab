"""Settings come from TGHUB_* variables, with comma-separated lists."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.settings import Settings


class TestSettings:
    def test_defaults_select_the_embedded_servers(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("TGHUB_DATABASE_URL", raising=False)
        monkeypatch.delenv("TGHUB_REDIS_URL", raising=False)
        settings = Settings()
        assert settings.is_embedded
        assert settings.access_token_ttl == 3600
        assert settings.refresh_token_ttl == 86400

    def test_origins_and_legacy_groups_are_comma_separated(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("TGHUB_CORS_ORIGINS", "https://a.example, https://b.example")
        monkeypatch.setenv("TGHUB_LEGACY_OPEN", "bots,invites")
        settings = Settings()
        assert settings.cors_origins == ["https://a.example", "https://b.example"]
        assert settings.legacy_open == ["bots", "invites"]

    def test_unknown_legacy_group_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TGHUB_LEGACY_OPEN", "messenger")
        with pytest.raises(ValidationError):
            Settings()

    def test_logs_are_text_unless_json_is_asked_for(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("TGHUB_LOG_FORMAT", raising=False)
        assert Settings().log_format == "text"
        monkeypatch.setenv("TGHUB_LOG_FORMAT", "json")
        assert Settings().log_format == "json"

    def test_an_unknown_log_format_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TGHUB_LOG_FORMAT", "xml")
        with pytest.raises(ValidationError, match="'text' or 'json'"):
            Settings()

    def test_url_passwords_are_not_shown_in_repr(self) -> None:
        settings = Settings(
            database_url="postgresql://app:pg-secret@db:5432/app",
            redis_url="redis://:redis-secret@cache:6379/0",
        )
        for text in (repr(settings), str(settings)):
            assert "pg-secret" not in text
            assert "redis-secret" not in text
            assert "postgresql://app:***@db:5432/app" in text

    def test_secret_key_is_not_shown_in_repr(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TGHUB_SECRET_KEY", "a-very-secret-signing-key-of-some-length")
        assert "a-very-secret" not in repr(Settings())
