"""``tghub import-clients FILE --owner USER``: mailing clients from a CSV file, added by tghub
itself to a named user's workspace. Needs only the database, so it never starts a Redis.

Exit codes: 0 every row imported; 1 some rows were skipped (the report lists why); 2 nothing
could be imported (the file as a whole, an unknown owner) or the import stopped (the database
went away: the batches committed stay, and running it again imports the rest).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from domain.access import System
from domain.accounts import service as accounts
from domain.bootstrap import build_database
from domain.errors import DomainError, ExternalUnavailable, Invalid
from domain.mailing import service as mailing
from domain.mailing.importing import MAX_FILE_BYTES
from tghub.embedded import embedded_services

if TYPE_CHECKING:
    from pathlib import Path

    from domain.mailing.service import ImportReport
    from domain.settings import Settings

ACTOR = System("import-clients")
PREFIX = "tghub import-clients"
BAR_WIDTH = 30


class ProgressLine:
    """One line on a terminal, rewritten in place: ``[####----]  45% 4,500/10,000 rows``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = round(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {share:4.0%} {done:,}/{total:,} rows")
        self.stream.flush()
        self.shown = True

    def end(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def read_file(path: Path) -> bytes:
    """The file's bytes, one past the limit at most: the import refuses a larger file without
    this process holding all of it. OSError when it cannot be read."""
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def print_report(report: ImportReport, out: TextIO) -> None:
    out.write(f"rows: {report.rows}, imported: {report.imported}, skipped: {report.skipped}\n")
    for problem in report.problems:
        out.write(f"line {problem.line}: {problem.field}: {problem.message}\n")
    if report.unlisted:
        out.write(f"... and {report.unlisted} more problem(s), not listed\n")


def _failed(error: DomainError, path: Path) -> str:
    if isinstance(error, Invalid) and error.field_errors:
        messages = [m for found in error.field_errors.values() for m in found]
        return f"{PREFIX}: {path}: {' '.join(messages)}"
    if isinstance(error, ExternalUnavailable):
        return (
            f"{PREFIX}: {error.message} The rows imported so far stay; run it again for the rest."
        )
    return f"{PREFIX}: {error.message}"


async def import_clients(
    settings: Settings,
    path: Path,
    owner: str,
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    try:
        content = read_file(path)
    except OSError as exc:
        err.write(f"{PREFIX}: {path}: {exc.strerror or exc}\n")
        return 2
    progress = ProgressLine(err) if err.isatty() else None
    async with embedded_services(settings, with_redis=False) as resolved:
        engine, units = build_database(resolved)
        try:
            async with units() as uow:
                owner_id = await accounts.find_user_id(uow, actor=ACTOR, username=owner)
                if owner_id is None:
                    err.write(f"{PREFIX}: no user is named {owner!r} (--owner takes a username)\n")
                    return 2
                report = await mailing.import_clients(
                    uow, actor=ACTOR, content=content, owner_id=owner_id, on_progress=progress
                )
        except DomainError as exc:
            err.write(_failed(exc, path) + "\n")
            return 2
        finally:
            if progress is not None:
                progress.end()
            await engine.dispose()
    print_report(report, out)
    return 0 if report.skipped == 0 else 1
