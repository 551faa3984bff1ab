"""Secrets at rest: encryption with key rotation."""

from __future__ import annotations

import pytest

from domain.adapters.secrets import FernetBox
from domain.errors import SecretUnreadable


class TestFernetBox:
    def test_round_trip_without_the_plaintext_in_the_token(self) -> None:
        box = FernetBox(["a passphrase that is long enough"])
        token = box.encrypt("1:session-secret")
        assert "session-secret" not in token
        assert box.decrypt(token) == "1:session-secret"

    def test_a_new_first_key_still_reads_what_the_old_key_wrote(self) -> None:
        old = FernetBox(["old key"])
        token = old.encrypt("api-hash")
        rotated = FernetBox(["new key", "old key"])
        assert rotated.decrypt(token) == "api-hash"
        again = rotated.rotate(token)
        assert FernetBox(["new key"]).decrypt(again) == "api-hash"

    def test_a_token_no_key_opens_is_unreadable(self) -> None:
        token = FernetBox(["one key"]).encrypt("secret")
        with pytest.raises(SecretUnreadable):
            FernetBox(["another key"]).decrypt(token)
        with pytest.raises(SecretUnreadable):
            FernetBox(["another key"]).decrypt("not a token at all")

    def test_at_least_one_key(self) -> None:
        with pytest.raises(ValueError, match="at least one"):
            FernetBox([])
