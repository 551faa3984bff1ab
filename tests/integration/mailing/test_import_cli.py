"""``tghub import-clients FILE --owner USER`` as a real process against the test database:
its report, its exit codes, its progress bar on a terminal."""

from __future__ import annotations

import asyncio
import os
import pty
import subprocess
import sys
from typing import TYPE_CHECKING

from sqlalchemy import select

from domain.mailing.importing import MAX_FILE_BYTES
from domain.mailing.model import Client
from tests.api.rest.factories import create_user
from tests.integration.mailing.scene import PHONE_MESSAGE
from tests.integration.test_cli import ROOT, run_tghub

if TYPE_CHECKING:
    import uuid
    from pathlib import Path

    from domain.bootstrap import Runtime
    from domain.settings import Settings


async def phones_of(runtime: Runtime, owner_id: uuid.UUID) -> list[str]:
    async with runtime.uow() as uow:
        found = await uow.session.scalars(
            select(Client.phone_number).where(Client.owner_id == owner_id)
        )
        return sorted(found)


async def import_clients(
    settings: Settings, path: Path, owner: str
) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        run_tghub, "import-clients", str(path), "--owner", owner, settings=settings
    )


class TestReport:
    async def test_every_row_imported_is_exit_0(
        self, settings: Settings, runtime: Runtime, tmp_path: Path
    ) -> None:
        owner = await create_user(runtime)
        path = tmp_path / "clients.csv"
        path.write_text("phone_number,tag\n79000000001,vip\n79000000002,\n")

        result = await import_clients(settings, path, owner.username)

        assert result.returncode == 0, result.stderr
        assert result.stdout == "rows: 2, imported: 2, skipped: 0\n"
        assert result.stderr == ""  # no terminal: no progress bar
        assert await phones_of(runtime, owner.id) == ["79000000001", "79000000002"]

    async def test_skipped_rows_are_listed_and_exit_1(
        self, settings: Settings, runtime: Runtime, tmp_path: Path
    ) -> None:
        owner = await create_user(runtime)
        path = tmp_path / "clients.csv"
        path.write_text(
            "phone_number,timezone\n79000000001,\n89000000002,UTC\n79000000001,\n"
            "79000000003,Nowhere\n"
        )

        result = await import_clients(settings, path, owner.username)

        assert result.returncode == 1, result.stderr
        assert result.stdout.splitlines() == [
            "rows: 4, imported: 1, skipped: 3",
            f"line 3: phone_number: {PHONE_MESSAGE}",
            "line 4: phone_number: Duplicate of line 2.",
            'line 5: timezone: "Nowhere" is not a valid choice.',
        ]
        assert await phones_of(runtime, owner.id) == ["79000000001"]

        again = await import_clients(settings, path, owner.username)
        assert again.returncode == 1
        assert "line 2: phone_number: client with this phone number already exists." in (
            again.stdout.splitlines()
        )


class TestRefusals:
    async def test_an_unknown_owner_is_exit_2(
        self, settings: Settings, runtime: Runtime, tmp_path: Path
    ) -> None:
        path = tmp_path / "clients.csv"
        path.write_text("phone_number\n79000000001\n")

        result = await import_clients(settings, path, "nobody-here")

        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr == (
            "tghub import-clients: no user is named 'nobody-here' (--owner takes a username)\n"
        )

    async def test_a_file_wrong_as_a_whole_is_exit_2_and_imports_nothing(
        self, settings: Settings, runtime: Runtime, tmp_path: Path
    ) -> None:
        owner = await create_user(runtime)
        path = tmp_path / "clients.csv"
        path.write_bytes(b"phone_number,tag\n79000000001,ok\n79000000002," + b"\xcf\xf0\xe8\n")

        result = await import_clients(settings, path, owner.username)

        assert result.returncode == 2
        assert result.stderr == (
            f"tghub import-clients: {path}: The file is not UTF-8 text (line 3, byte 45): save "
            'it as CSV in UTF-8 (in Excel: "CSV UTF-8").\n'
        )
        assert await phones_of(runtime, owner.id) == []

    async def test_a_file_over_the_limit_is_exit_2(
        self, settings: Settings, runtime: Runtime, tmp_path: Path
    ) -> None:
        owner = await create_user(runtime)
        path = tmp_path / "clients.csv"
        with path.open("wb") as handle:
            handle.write(b"phone_number\n")
            handle.truncate(MAX_FILE_BYTES + 1)  # the rest NUL bytes, never read

        result = await import_clients(settings, path, owner.username)

        assert result.returncode == 2
        assert result.stderr == f"tghub import-clients: {path}: The file is larger than 20 MB.\n"

    async def test_a_missing_file_is_exit_2(self, settings: Settings, tmp_path: Path) -> None:
        path = tmp_path / "missing.csv"
        result = await import_clients(settings, path, "anyone")
        assert result.returncode == 2
        assert result.stderr == f"tghub import-clients: {path}: No such file or directory\n"

    async def test_the_owner_is_required(self, settings: Settings, tmp_path: Path) -> None:
        result = await asyncio.to_thread(
            run_tghub, "import-clients", str(tmp_path / "x.csv"), settings=settings
        )
        assert result.returncode == 2  # argparse's usage error
        assert "--owner" in result.stderr


def run_on_a_terminal(settings: Settings, *args: str) -> tuple[int, str, str]:
    """Runs ``tghub`` with its stderr on a pseudo-terminal: (exit code, stdout, terminal)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGHUB_")}
    env.update(TGHUB_DATABASE_URL=str(settings.database_url), TGHUB_DATA_DIR=str(settings.data_dir))
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tghub", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
    )
    os.close(terminal)
    shown = b""
    while True:  # until the process closes its end (EIO on Linux, or an empty read)
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    stdout, _ = process.communicate(timeout=120)
    return process.returncode, stdout, shown.decode()


class TestProgress:
    async def test_a_terminal_sees_a_progress_bar_to_the_last_row(
        self, settings: Settings, runtime: Runtime, tmp_path: Path
    ) -> None:
        owner = await create_user(runtime)
        path = tmp_path / "clients.csv"
        path.write_text("phone_number\n" + "".join(f"79{n:09d}\n" for n in range(5000)))

        code, stdout, terminal = await asyncio.to_thread(
            run_on_a_terminal, settings, "import-clients", str(path), "--owner", owner.username
        )

        assert code == 0, terminal
        assert stdout == "rows: 5000, imported: 5000, skipped: 0\n"
        updates = terminal.replace("\r\n", "\n").split("\r")
        assert [u.split("] ")[-1].strip() for u in updates if u] == [
            "40% 2,000/5,000 rows",
            "80% 4,000/5,000 rows",
            "100% 5,000/5,000 rows",
        ]
        assert terminal.endswith("\n")
