"""pytest plugin: no secret reaches a log line anywhere in a test run.

At session start every process of the run (each xdist worker, or the one process) adds two
handlers to the root logger, writing every record to a file of a session folder, once in
the text format and once as JSON (so both formats run over everything the suite logs). The
records arrive as the code logged them, *before* the redaction filter of a production
handler: a leak in tghub's code is found even where production would have masked it. tghub's
own loggers log at DEBUG, everyone else at INFO, except the tests' own HTTP client (httpx
logs each URL the tests request: the tests' requests, not tghub's logs).

Processes the tests start (``tests.processes``, the CLI runs) add their output to the folder
(``collect_file``, ``collect_output``); they log as production does, redaction included.

At session end the controller (after every xdist worker finished) greps every line for the
canaries of ``tests.canaries`` and for anything shaped like a JWT, a bot token or a simulated
Telegram session, and fails the run naming each file and line (the secret itself masked).
The folder is a temporary one, removed after a clean run; ``TGHUB_TEST_LOG_DIR`` names one
to keep (to read what a run logged).
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from domain.adapters.logs import ContextFilter, JsonFormatter, TextFormatter
from tests import canaries

if TYPE_CHECKING:
    from collections.abc import Iterator

    from _pytest.terminal import TerminalReporter

DIR_KEY = "tghub_log_dir"
KEEP_DIR = "TGHUB_TEST_LOG_DIR"
OUR_LOGGERS = ("tghub", "domain", "resolvers", "workers", "schema", "migrations")
CLIENT_LOGGERS = ("httpx", "httpcore")
SHAPES = {
    "a JWT": r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]+",
    "a bot token": r"\b\d{6,}:[\w-]{30,}",
    "a simulated Telegram session": r"\bsim-[0-9a-f]{32}\b",
}
SECRETS = re.compile(
    "|".join(
        [f"(?P<canary{i}>{re.escape(value)})" for i, value in enumerate(canaries.ALL.values())]
        + [f"(?P<shape{i}>{pattern})" for i, pattern in enumerate(SHAPES.values())]
    )
)
KINDS = {f"canary{i}": name for i, name in enumerate(canaries.ALL)} | {
    f"shape{i}": name for i, name in enumerate(SHAPES)
}
EXCERPT = 160


@dataclass
class Collector:
    """This process's part of the run: where its files go and the handlers writing them."""

    folder: Path | None = None
    keep: bool = False
    name: str = "main"
    handlers: list[logging.Handler] = field(default_factory=list)
    levels: dict[str, int] = field(default_factory=dict)
    numbers: Iterator[int] = field(default_factory=itertools.count)
    findings: list[str] = field(default_factory=list)

    def path(self, label: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{self.name}-{next(self.numbers)}-{label}"


_collector = Collector()


def collect_file(path: Path) -> None:
    """A log file a child process writes (open already): part of the grep. A hard link keeps
    its content even when the test's folder is removed before the session ends."""
    if _collector.folder is None:  # not under pytest (the benchmarks start processes too)
        return
    try:
        os.link(path, _collector.path(path.name))
    except OSError:  # another file system: read it where it is, if it is still there
        with (_collector.folder / f"{_collector.name}.paths").open("a") as paths:
            paths.write(f"{path}\n")


def collect_output(label: str, *texts: str) -> None:
    """What a finished child process printed: part of the grep."""
    if _collector.folder is not None:
        _collector.path(f"{label}.out").write_text("\n".join(texts))


# -- hooks -------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None:
        kept = os.environ.get(KEEP_DIR)
        _collector.keep = bool(kept)
        _collector.folder = Path(kept or tempfile.mkdtemp(prefix="tghub-test-logs-"))
        _collector.folder.mkdir(parents=True, exist_ok=True)
    else:
        _collector.folder = Path(workerinput[DIR_KEY])
        _collector.name = workerinput["workerid"]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, on the controller: each worker writes into the controller's folder."""
    node.workerinput[DIR_KEY] = str(_collector.folder)


def pytest_sessionstart(session: pytest.Session) -> None:
    root = logging.getLogger()
    for suffix, formatter in (("text", TextFormatter()), ("json", JsonFormatter())):
        handler = logging.FileHandler(_collector.path(f"{suffix}.log"), encoding="utf-8")
        handler.addFilter(ContextFilter())
        handler.setFormatter(formatter)
        root.addHandler(handler)
        _collector.handlers.append(handler)
    levels = {"": logging.INFO} | dict.fromkeys(OUR_LOGGERS, logging.DEBUG)
    levels |= dict.fromkeys(CLIENT_LOGGERS, logging.WARNING)
    for name, level in levels.items():
        logger = logging.getLogger(name)
        _collector.levels[name] = logger.level
        logger.setLevel(level)


def pytest_sessionfinish(session: pytest.Session) -> None:
    root = logging.getLogger()
    for handler in _collector.handlers:
        root.removeHandler(handler)
        handler.close()
    for name, level in _collector.levels.items():
        logging.getLogger(name).setLevel(level)
    if hasattr(session.config, "workerinput") or _collector.folder is None:
        return  # the controller greps, once every worker has finished
    _collector.findings = list(secrets_in(_collector.folder))
    if _collector.findings:
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif not _collector.keep:
        shutil.rmtree(_collector.folder, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    if not _collector.findings:
        return
    terminalreporter.section("secrets in the logs", sep="=", red=True, bold=True)
    for finding in _collector.findings:
        terminalreporter.line(finding)
    terminalreporter.line(f"{len(_collector.findings)} log lines hold a secret (the run fails)")


# -- the grep ----------------------------------------------------------------------------------


def secrets_in(folder: Path) -> Iterator[str]:
    """``file:line: what`` for every secret in the files of ``folder`` (each file once,
    however many links it has) and in the files its ``*.paths`` lists."""
    seen: set[tuple[int, int]] = set()
    for path in logged_files(folder):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if (stat.st_dev, stat.st_ino) in seen:
            continue
        seen.add((stat.st_dev, stat.st_ino))
        yield from secrets_in_file(path)


def logged_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.suffix == ".paths":
            yield from (Path(line) for line in path.read_text().splitlines() if line)
        else:
            yield path


def secrets_in_file(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            for match in SECRETS.finditer(line):
                kind = KINDS[match.lastgroup or ""]
                yield f"{path}:{number}: {kind} ({masked(match.group())}) in: {excerpt(line)}"


def masked(secret: str) -> str:
    return f"{secret[:4]}…, {len(secret)} characters"


def excerpt(line: str) -> str:
    """The line with every secret in it masked, cut to a readable length."""
    shown = SECRETS.sub(lambda match: masked(match.group()), line.strip())
    return shown if len(shown) <= EXCERPT else f"{shown[:EXCERPT]}…"
