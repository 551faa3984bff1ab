"""Reading a CSV file of mailing clients, pure: the bytes decoded, the header checked, each
row checked by the client rules (``rules.client_errors``, word for word) and against the
rows before it, every problem told with its line in the file.

What is wrong with the file as a whole (not UTF-8, empty, too large, no ``phone_number``
column, an unknown column, a line too long to be a client's, broken quoting) is ``Invalid``
on ``file``, raised when the file is opened, before any row is used: such a file imports
nothing. What is wrong with a row is a
``Problem`` of that row, which is skipped; the other rows are imported.

Lines are the file's physical lines, 1-based, the header's included: a row is told by the
line it starts on, and a quoted value holding line breaks counts each of its lines (the
``csv`` module's ``line_num``), so the numbers are the ones an editor shows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.errors import Invalid
from domain.mailing import rules

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

MB = 1024 * 1024
# Larger files are refused whole (a client row is about 30 bytes: 20 MB is ~600,000 rows).
MAX_FILE_BYTES = 20 * MB
# A client's row is at most ~700 characters (a 255-character tag, every quote doubled); a
# longer physical line is no client list, and refusing it up front bounds what one row may
# make the parser hold.
MAX_LINE_CHARS = 4096
# Every skipped row is counted; the first this many problems are listed (the rest counted),
# so a file of nothing but bad rows cannot make the report, or the answer, unbounded.
MAX_LISTED_PROBLEMS = 10_000
# A problem's message is at most this long (a timezone's is echoed, as the legacy API did).
MAX_MESSAGE_CHARS = 300

PHONE, TAG, TIMEZONE = "phone_number", "tag", "timezone"
COLUMNS = (PHONE, TAG, TIMEZONE)
# The field of a problem that concerns the row as a whole (more values than columns).
ROW = "row"
# Tried in this order on the header line: spreadsheets in many locales (Russian Excel among
# them) save CSV with semicolons.
DELIMITERS = (",", ";", "\t")

FILE = "file"
EMPTY = "The submitted file is empty."
NOT_UTF8 = (
    "The file is not UTF-8 text (line {line}, byte {offset}): save it as CSV in UTF-8 "
    '(in Excel: "CSV UTF-8").'
)
ZIP = "The file is a ZIP archive (an Excel workbook?), not CSV text: save it as CSV UTF-8."
NUL = "The file holds NUL bytes, which CSV text never has (is it UTF-16?): save it as CSV UTF-8."
TOO_LARGE = f"The file is larger than {MAX_FILE_BYTES // MB} MB."
LINE_TOO_LONG = f"Line {{line}} is longer than {MAX_LINE_CHARS} characters: not a client list."
BROKEN = 'The row on line {line} is not valid CSV ({reason}): check its quotes (").'
UTF8_BOM = b"\xef\xbb\xbf"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row (or a value of it) was not imported: its first line, the CSV column (or
    ``row``) and the message."""

    line: int
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class NewClient:
    """A row that passed the rules and is the first of its phone in the file."""

    line: int
    phone_number: str
    tag: str
    timezone: str

    @property
    def operator_code(self) -> str:
        return rules.operator_code(self.phone_number)


@dataclass(frozen=True)
class Chunk:
    """Consecutive rows of the file: those to insert, the problems of the others, and how
    many rows (blank lines aside) it held."""

    clients: list[NewClient]
    problems: list[Problem]
    rows: int


@dataclass
class ImportReport:
    """What an import did: rows read (blank lines aside), imported, skipped (each skipped row
    has at least one problem), and the problems in line order, the first
    ``MAX_LISTED_PROBLEMS`` listed and the rest only counted (``unlisted``)."""

    rows: int = 0
    imported: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    unlisted: int = 0
    max_listed: int = MAX_LISTED_PROBLEMS

    def add(self, chunk: Chunk, inserted: Iterable[str]) -> None:
        """Counts a chunk once its clients were offered to the database: those whose phone
        is not in ``inserted`` were already clients of the owner (a conflict skipped them)."""
        taken = set(inserted)
        existing = [
            Problem(c.line, PHONE, rules.PHONE_TAKEN)
            for c in chunk.clients
            if c.phone_number not in taken
        ]
        self.rows += chunk.rows
        self.imported += len(chunk.clients) - len(existing)
        self.skipped += chunk.rows - len(chunk.clients) + len(existing)
        # Sorted by line only (stable): a row's own problems keep the order of the columns.
        self._list(sorted(chunk.problems + existing, key=lambda problem: problem.line))

    def _list(self, problems: list[Problem]) -> None:
        room = max(self.max_listed - len(self.problems), 0)
        self.problems.extend(problems[:room])
        self.unlisted += max(len(problems) - room, 0)


def _refused(message: str) -> Invalid:
    return Invalid({FILE: [message]}, message=message)


def decode(content: bytes) -> str:
    """The file's text: UTF-8, with or without a byte order mark; Invalid on ``file`` for
    anything else (cp1251 is not guessed: any bytes decode as it, so a wrong guess would
    store garbled tags without a word)."""
    if len(content) > MAX_FILE_BYTES:
        raise _refused(TOO_LARGE)
    if content.startswith(ZIP_MAGIC):
        raise _refused(ZIP)
    if b"\x00" in content:
        raise _refused(NUL)
    body = content.removeprefix(UTF8_BOM)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        offset = exc.start + 1 + len(content) - len(body)
        raise _refused(NOT_UTF8.format(line=line, offset=offset)) from None
    if not text.strip():
        raise _refused(EMPTY)
    return text


def _lines(text: str) -> io.StringIO:
    # newline="": lines end at \n, \r\n or \r, kept as they are, as the csv module expects.
    return io.StringIO(text, newline="")


def _count_lines(text: str) -> int:
    """The number of physical lines; Invalid on ``file`` at the first one too long."""
    count = 0
    for count, line in enumerate(_lines(text), 1):
        if len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
            raise _refused(LINE_TOO_LONG.format(line=count))
    return count


def _quoted(names: Iterable[str]) -> str:
    """Column names as a message shows them: cut short, nothing that moves a terminal's
    cursor."""
    shown = ("".join(c if c.isprintable() else "?" for c in name[:40]) for name in names)
    return ", ".join(f'"{name}"' for name in shown)


@dataclass(frozen=True)
class Header:
    """Where each known column is (by index) and which delimiter the file uses."""

    line: int
    delimiter: str
    columns: dict[str, int]
    width: int


def _header_cells(text: str) -> tuple[int, list[str]]:
    """The first line that is not blank, and its number."""
    for number, line in enumerate(_lines(text), 1):
        if line.strip():
            return number, [line]
    raise _refused(EMPTY)  # pragma: no cover - decode refuses a blank file first


def _read_header(text: str) -> Header:
    number, first = _header_cells(text)
    firsts: list[str] = []
    for delimiter in DELIMITERS:
        cells = next(csv.reader(first, delimiter=delimiter, skipinitialspace=True), [])
        names = [cell.strip().lower() for cell in cells]
        if PHONE in names:
            return _header(number, delimiter, names)
        firsts += names[:1]
    if any(rules.PHONE_PATTERN.fullmatch(name) for name in firsts):
        message = f"Line {number} holds a phone number; the first line must be the header"
    else:
        message = f'The header (line {number}) has no "{PHONE}" column'
    raise _refused(f"{message} ({_expected()}).")


def _expected() -> str:
    return f'the columns are "{PHONE}", and optionally "{TAG}" and "{TIMEZONE}"'


def _header(number: int, delimiter: str, names: list[str]) -> Header:
    # A column without a name (a spreadsheet's trailing empty column) is not read.
    named = [name for name in names if name]
    if unknown := [name for name in dict.fromkeys(named) if name not in COLUMNS]:
        raise _refused(f"Unknown column(s) {_quoted(unknown)} on line {number}: {_expected()}.")
    if repeated := [name for name in dict.fromkeys(named) if named.count(name) > 1]:
        raise _refused(f"The column(s) {_quoted(repeated)} appear twice on line {number}.")
    columns = {name: index for index, name in enumerate(names) if name}
    return Header(number, delimiter, columns, len(names))


def _is_row(cells: list[str]) -> bool:
    """A blank line (or a line of empty values) is no row."""
    return any(cell.strip() for cell in cells)


def _bounded(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[: MAX_MESSAGE_CHARS - 1] + "…"


class ClientFile:
    """A CSV file of clients, read through once before any row is used (the header, every
    record parsed, the rows counted), so that a file wrong as a whole is refused before the
    first row is imported; then read again in chunks of rows, once."""

    def __init__(self, content: bytes) -> None:
        """Invalid on ``file`` for what is wrong with the file as a whole."""
        self._text = decode(content)
        self.lines = _count_lines(self._text)
        self.header = _read_header(self._text)
        self.rows = sum(1 for _, cells in self._records() if _is_row(cells))
        # The line each phone was first read on, among the rows to insert.
        self._first_line: dict[str, int] = {}

    def chunks(self, size: int) -> Iterator[Chunk]:
        """The rows after the header, ``size`` rows (blank lines aside) at a time."""
        clients: list[NewClient] = []
        problems: list[Problem] = []
        rows = 0
        for line, cells in self._records():
            if not _is_row(cells):
                continue
            rows += 1
            self._check(line, cells, clients, problems)
            if rows == size:
                yield Chunk(clients, problems, rows)
                clients, problems, rows = [], [], 0
        if rows:
            yield Chunk(clients, problems, rows)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """Each record after the header with the line it starts on. Strict: a quote left
        open, text after a closing quote or a value past the csv module's field size limit
        is Invalid on ``file`` (what follows a broken quote cannot be trusted)."""
        reader = csv.reader(
            _lines(self._text),
            delimiter=self.header.delimiter,
            skipinitialspace=True,
            strict=True,
        )
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _refused(BROKEN.format(line=start, reason=exc)) from None
            if start > self.header.line:
                yield start, cells

    def _check(
        self, line: int, cells: list[str], clients: list[NewClient], problems: list[Problem]
    ) -> None:
        header = self.header
        if len(cells) > header.width and any(cell.strip() for cell in cells[header.width :]):
            message = f"This row has {len(cells)} values; the header has {header.width} columns."
            problems.append(Problem(line, ROW, message))
            return
        values = {
            name: cells[index].strip() if index < len(cells) else ""
            for name, index in header.columns.items()
        }
        phone, tag = values[PHONE], values.get(TAG, "")
        timezone = values.get(TIMEZONE) or rules.DEFAULT_TIMEZONE  # empty: the default
        errors = rules.client_errors(phone_number=phone, tag=tag, timezone=timezone)
        if errors:
            problems.extend(
                Problem(line, name, _bounded(message))
                for name in COLUMNS
                for message in errors.get(name, ())
            )
            return
        first = self._first_line.setdefault(phone, line)
        if first != line:
            problems.append(Problem(line, PHONE, f"Duplicate of line {first}."))
            return
        clients.append(NewClient(line, phone, tag, timezone))
