"""What a failed job's row says."""

from __future__ import annotations

from domain.errors import Conflict, Invalid
from workers.durable import readable


class TestReadable:
    def test_an_invalid_without_its_own_message_shows_its_fields(self) -> None:
        error = Invalid({"phone": ["Telegram knows no such phone."], "code": ["Wrong code."]})
        assert readable(error) == "Telegram knows no such phone. Wrong code."

    def test_a_message_of_its_own_is_kept(self) -> None:
        assert readable(Invalid({"a": ["x"]}, message="Bad world.")) == "Bad world."
        assert readable(Conflict("Request a login code first.")) == "Request a login code first."
