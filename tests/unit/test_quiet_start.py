"""The embedded default's quiet start: chatter to the log file, then the banner."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import pytest

from domain.adapters.simulated.sandbox import DEMO_WORLD
from domain.settings import Settings
from tghub.banner import banner, browser_host, world_summary
from tghub.logs import chatter_to

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """A console handler on the root logger, as ``logging.basicConfig`` installs one."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


class TestChatterTo:
    def test_the_servers_chatter_goes_to_the_file_and_only_their_warnings_to_the_console(
        self, tmp_path: Path, console: io.StringIO
    ) -> None:
        path = tmp_path / "data" / "embedded.log"
        with chatter_to(path):
            logging.getLogger("pgserver").info("initdb said a lot")
            logging.getLogger("alembic.runtime.migration").info("Running upgrade 0001")
            logging.getLogger("arq.worker").warning("a job went wrong")
            logging.getLogger("tghub").warning("tghub's own word")

        written = path.read_text()
        assert "initdb said a lot" in written
        assert "Running upgrade 0001" in written
        assert "a job went wrong" in written
        assert "tghub's own word" not in written
        shown = console.getvalue()
        assert "initdb" not in shown
        assert "Running upgrade" not in shown
        assert "a job went wrong" in shown
        assert "tghub's own word" in shown

    def test_afterwards_the_loggers_are_as_they_were(
        self, tmp_path: Path, console: io.StringIO
    ) -> None:
        pgserver = logging.getLogger("pgserver")
        level, handlers = pgserver.level, list(pgserver.handlers)
        with chatter_to(tmp_path / "embedded.log"):
            pass
        pgserver.warning("after the servers stopped")

        assert (pgserver.level, pgserver.handlers) == (level, handlers)
        assert "after the servers stopped" in console.getvalue()
        assert "after the servers stopped" not in (tmp_path / "embedded.log").read_text()


class TestBanner:
    def test_names_the_demo_worlds_bots_channels_and_login_codes(self) -> None:
        summary = world_summary(DEMO_WORLD)

        assert summary.startswith("the demo world: 6 users")
        assert "10,000 people (phones +79991000000 to +79991009999)" in summary
        assert "bots @demo_bot" in summary
        assert "channels @demo_channel" in summary
        assert "+79990000100 (login code 12345)" in summary

    def test_a_configured_admin_is_named_instead_of_the_command(self) -> None:
        settings = Settings(admin_username="boss", telegram_mode="telethon")

        text = banner(settings, host="127.0.0.1", port=8000, embedded=False)

        assert "'boss' (TGHUB_ADMIN_USERNAME" in text
        assert "createadmin" not in text
        assert "real Telegram" in text
        assert "embedded.log" not in text

    @pytest.mark.parametrize(
        ("host", "shown"),
        [
            ("0.0.0.0", "127.0.0.1"),  # noqa: S104 - a host name, nothing is bound
            ("::", "[::1]"),
            ("::1", "[::1]"),
            ("example.org", "example.org"),
        ],
    )
    def test_the_url_is_one_a_local_browser_opens(self, host: str, shown: str) -> None:
        assert browser_host(host) == shown
