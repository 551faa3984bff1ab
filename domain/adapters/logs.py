"""Logging of every tghub process: one stderr handler, text or JSON lines, the context of the
request or job a line belongs to, and secrets masked before anything is written.

``configure_logging`` is the one setup, called where a process starts (``tghub`` and the
``uvicorn --factory`` app). It also takes over uvicorn's own loggers, so that with
``TGHUB_LOG_FORMAT=json`` every line on stderr is one JSON object.

The context (request id, route, user id, job id and kind) lives in a context variable: a
request or a job starts its own (``start_context``), the code that learns more adds to it
(``bind``), and every task started from then on inherits it. ``ContextFilter`` copies it onto
each record; both formats show it.

``RedactSecrets`` is defence in depth: the code never logs a secret (a test run fails if it
does), and a secret that slips through anyway (a library's message, an exception's text) is
masked by its shape or its name.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Mapping

LogFormat = Literal["text", "json"]

# Context fields, in the order both formats show them, and their short names in text lines.
CONTEXT_FIELDS = {
    "request_id": "req",
    "route": "route",
    "user_id": "user",
    "job_id": "job",
    "job_kind": "kind",
}
# uvicorn's loggers write through their own handlers (its colours, the access log on stdout);
# taken over, their records reach the root handler like everyone's.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(log_context)s %(message)s"
REDACTED = "[redacted]"

_context: ContextVar[Mapping[str, object]] = ContextVar(
    "tghub_log_context", default=MappingProxyType({})
)


# -- context -----------------------------------------------------------------------------------


def start_context(**fields: object) -> None:
    """This task's log context is ``fields`` alone (a request's or a job's first), nothing
    inherited. A server runs each request in a task of its own, so nothing needs undoing."""
    _context.set(_known(fields))


def bind(**fields: object) -> None:
    """Adds ``fields`` to this task's log context (None values are left out)."""
    _context.set({**_context.get(), **_known(fields)})


def context_value(name: str) -> str | None:
    value = _context.get().get(name)
    return None if value is None else str(value) or None


def _known(fields: Mapping[str, object]) -> dict[str, object]:
    unknown = fields.keys() - CONTEXT_FIELDS.keys()
    if unknown:
        raise ValueError(f"not log context fields: {sorted(unknown)}")
    return {name: value for name, value in fields.items() if value is not None}


class ContextFilter(logging.Filter):
    """Copies the log context onto each record as attributes (``record.request_id``); a value
    may be any object, read as text when the line is written (a route known only later)."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        for name in CONTEXT_FIELDS:
            value = context_value(name)
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


def record_context(record: logging.LogRecord) -> dict[str, str]:
    """The context fields a record carries (set by ContextFilter)."""
    fields = {name: getattr(record, name, None) for name in CONTEXT_FIELDS}
    return {name: str(value) for name, value in fields.items() if value is not None}


# -- secrets -----------------------------------------------------------------------------------

_CREDENTIAL_NAMES = (
    r"secret|password|passwd|api_?hash|session(?:_string)?|"
    r"token|access_token|refresh_token|bot_token|authorization"
)
_SHAPES = (
    # A JWT: base64url of '{"' starts its header.
    (re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]+"), REDACTED),
    # A Telegram bot token: the bot's id (kept, it names the bot) and its secret.
    (re.compile(r"\b(\d{6,}):[\w-]{30,}"), rf"\1:{REDACTED}"),
    # A session of the simulated Telegram, and anything as long as a Telethon StringSession.
    (re.compile(r"\bsim-[0-9a-f]{32}\b"), REDACTED),
    (re.compile(r"[A-Za-z0-9+/_-]{200,}={0,2}"), REDACTED),
    # Credentials after an HTTP auth scheme, as headers write it ("basic information" stays).
    (re.compile(r"\b(Bearer|Basic) [\w.+/=~-]{8,}"), rf"\1 {REDACTED}"),
    # name=value (query strings, forms, key=value messages).
    (re.compile(rf"\b({_CREDENTIAL_NAMES})=[^&\s\"',;)\]}}]+", re.IGNORECASE), rf"\1={REDACTED}"),
    # 'name': 'value' and "name": "value" (a dict's repr, JSON).
    (
        re.compile(
            rf"""(['"])({_CREDENTIAL_NAMES})\1(\s*:\s*)(['"])(?:(?!\4).)*\4""", re.IGNORECASE
        ),
        rf"\1\2\1\3\4{REDACTED}\4",
    ),
)


def redact(text: str) -> str:
    """``text`` with whatever looks like a secret masked; the rest as it was."""
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Masks secrets in a record's message (its arguments merged in), exception and stack
    text, before any formatter sees it."""

    _exceptions = logging.Formatter()

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken call: the formatter reports it, as logging does
            return True
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exceptions.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# -- formats -----------------------------------------------------------------------------------


class TextFormatter(logging.Formatter):
    """``<time> <LEVEL> <logger> [req=… user=…] <message>``; the brackets only with context."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    @override
    def format(self, record: logging.LogRecord) -> str:
        fields = record_context(record)
        shown = " ".join(f"{CONTEXT_FIELDS[name]}={value}" for name, value in fields.items())
        record.log_context = f" [{shown}]" if shown else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (ISO 8601, UTC), level, logger, message, the
    context fields, and ``exception`` / ``stack`` when the record has them. A fixed set of
    fields: attributes libraries add to records (uvicorn's ``color_message``) stay out."""

    @override
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": utc_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **record_context(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ensure_ascii: no character a line splitter could take for a line break survives.
        return json.dumps(entry, default=str)


def utc_timestamp(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def log_handler(handler: logging.Handler, log_format: LogFormat) -> logging.Handler:
    """``handler`` as tghub writes logs: context added, secrets masked, in ``log_format``."""
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactSecrets())
    handler.setFormatter(formatter(log_format))
    return handler


# -- the process -------------------------------------------------------------------------------


def configure_logging(level: str, log_format: LogFormat) -> bool:
    """Every record of the process, uvicorn's and Python's warnings included, to stderr in
    ``log_format``. Does nothing (False) when the root logger already has a handler: someone
    (a test runner, an embedding program) configured logging before us."""
    root = logging.getLogger()
    if root.handlers:
        return False
    root.addHandler(log_handler(logging.StreamHandler(sys.stderr), log_format))
    root.setLevel(level)
    take_over_uvicorn()
    logging.captureWarnings(True)
    return True


def take_over_uvicorn() -> None:
    """uvicorn's loggers without their own handlers, passing records to the root's. Their
    levels stay as uvicorn's ``--log-level`` set them; ``--no-access-log`` still holds
    (uvicorn then never logs a request)."""
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
