"""Log lines: the context a line belongs to, the two formats, and secrets masked.

Records are built and handled here without a logger, so nothing reaches the test run's own
log files (whose secret check would otherwise find the test's sample secrets).
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import logging
from datetime import UTC, datetime

import pytest
from typing_extensions import override

from domain.adapters.logs import (
    ContextFilter,
    LogFormat,
    RedactSecrets,
    bind,
    context_value,
    log_handler,
    redact,
    start_context,
)

# Sample secrets, none of them a canary of the test run.
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLW9mLWEtdG9rZW4"
BOT = "1234567890:AAHsample-secret-of-a-bot-0123456789"
SESSION = "sim-0123456789abcdef0123456789abcdef"


def record(
    message: str, *args: object, exc: BaseException | None = None, name: str = "tghub.test"
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord(name, logging.INFO, __file__, 1, message, args, exc_info)


def written(log_format: LogFormat, *records: logging.LogRecord) -> list[str]:
    """What a tghub handler writes for ``records``, line by line."""
    stream = io.StringIO()
    handler = log_handler(logging.StreamHandler(stream), log_format)
    for item in records:
        handler.handle(item)
    return stream.getvalue().splitlines()


def fresh() -> contextvars.Context:
    """A context with no log fields, as a new request's task starts."""
    context = contextvars.copy_context()
    context.run(start_context)
    return context


class TestContext:
    def test_a_started_context_holds_only_its_fields(self) -> None:
        def run() -> tuple[str | None, str | None]:
            start_context(job_id="j1")
            bind(user_id="u1")
            start_context(request_id="r1")
            return context_value("request_id"), context_value("user_id")

        assert fresh().run(run) == ("r1", None)

    def test_bound_fields_add_to_it_and_none_is_left_out(self) -> None:
        def run() -> dict[str, str | None]:
            start_context(request_id="r1")
            bind(user_id="u1", job_id=None)
            return {name: context_value(name) for name in ("request_id", "user_id", "job_id")}

        assert fresh().run(run) == {"request_id": "r1", "user_id": "u1", "job_id": None}

    def test_an_unknown_field_is_refused(self) -> None:
        with pytest.raises(ValueError, match="colour"):
            fresh().run(bind, colour="red")

    async def test_tasks_started_afterwards_inherit_it_and_their_own_stays_theirs(self) -> None:
        async def child() -> str | None:
            bind(user_id="child")
            return context_value("request_id")

        async def request() -> tuple[str | None, str | None]:
            start_context(request_id="r1")
            inherited = await asyncio.create_task(child())
            return inherited, context_value("user_id")

        assert await asyncio.create_task(request(), context=fresh()) == ("r1", None)

    def test_a_value_is_read_when_the_line_is_written(self) -> None:
        class Later:
            text = ""

            @override
            def __str__(self) -> str:
                return self.text

        later = Later()

        def run() -> list[str]:
            start_context(route=later)
            lines = written("json", record("before routing"))
            later.text = "/tasks/{task_id}"
            return lines + written("json", record("after routing"))

        before, after = (json.loads(line) for line in fresh().run(run))
        assert "route" not in before
        assert after["route"] == "/tasks/{task_id}"

    def test_the_filter_leaves_a_field_a_record_brings_itself(self) -> None:
        item = record("explicit")
        item.user_id = "given"

        def run() -> None:
            start_context(user_id="bound", request_id="r1")
            ContextFilter().filter(item)

        fresh().run(run)
        assert (getattr(item, "user_id", None), getattr(item, "request_id", None)) == (
            "given",
            "r1",
        )


class TestJsonFormat:
    def test_a_line_is_one_object_with_time_level_logger_message_and_context(self) -> None:
        def run() -> list[str]:
            start_context(request_id="r1", route="/graphql", user_id="u1")
            bind(job_id="j1", job_kind="jobs.noop")
            return written("json", record("hello %s\nsecond line", "Олег"))

        (line,) = fresh().run(run)
        entry = json.loads(line)
        moment = datetime.fromisoformat(entry.pop("timestamp"))
        assert moment.utcoffset() == UTC.utcoffset(None)
        assert abs((datetime.now(UTC) - moment).total_seconds()) < 3600
        assert entry == {
            "level": "INFO",
            "logger": "tghub.test",
            "message": "hello Олег\nsecond line",
            "request_id": "r1",
            "route": "/graphql",
            "user_id": "u1",
            "job_id": "j1",
            "job_kind": "jobs.noop",
        }

    def test_an_exception_is_a_field_of_the_same_line(self) -> None:
        try:
            raise RuntimeError("it broke")
        except RuntimeError as exc:
            item = record("failed", exc=exc)

        (line,) = fresh().run(written, "json", item)
        entry = json.loads(line)
        assert entry["message"] == "failed"
        assert entry["exception"].startswith("Traceback (most recent call last):")
        assert "RuntimeError: it broke" in entry["exception"]

    def test_attributes_libraries_add_stay_out(self) -> None:
        item = record("GET / 200")
        item.color_message = "\x1b[32mGET\x1b[0m"

        (line,) = fresh().run(written, "json", item)
        assert "color_message" not in json.loads(line)


class TestTextFormat:
    def test_the_context_shows_compactly_when_set(self) -> None:
        def run() -> list[str]:
            start_context(request_id="r1", user_id="u1")
            return written("text", record("hello"))

        (line,) = fresh().run(run)
        assert line.endswith(" INFO tghub.test [req=r1 user=u1] hello")

    def test_no_context_no_brackets(self) -> None:
        (line,) = fresh().run(written, "text", record("hello"))
        assert line.endswith(" INFO tghub.test hello")


class TestRedaction:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (f"token {JWT} refused", "token [redacted] refused"),
            (f"bot {BOT} checked", "bot 1234567890:[redacted] checked"),
            (f"session {SESSION} ended", "session [redacted] ended"),
            (
                "GET /webhook?phone=1&secret=abc HTTP/1.1",
                "GET /webhook?phone=1&secret=[redacted] HTTP/1.1",
            ),
            ("login password=hunter2 user=ivan", "login password=[redacted] user=ivan"),
            ("api_hash=0123abcd, api_id=5", "api_hash=[redacted], api_id=5"),
            (
                "{'username': 'ivan', 'password': 'hunter2'}",
                "{'username': 'ivan', 'password': '[redacted]'}",
            ),
            ('{"apiHash": "0123abcd", "apiId": 5}', '{"apiHash": "[redacted]", "apiId": 5}'),
            ("Authorization: Bearer abc.def.ghi", "Authorization: Bearer [redacted]"),
            ("Basic dXNlcjpwYXNz sent", "Basic [redacted] sent"),
            ("x" * 250, "[redacted]"),
        ],
    )
    def test_secrets_are_masked_and_the_rest_kept(self, text: str, expected: str) -> None:
        assert redact(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "job 0123456789abcdef0123456789abcdef (jobs.noop) crashed",
            "Telegram account +79990000100 paused for 30 s: FloodWait",
            "unexpected error in POST /api/chats/42/ (request r1)",
            "bot 5001:**** checked",
            "the basic information is missing; a bearer of bad news",
        ],
    )
    def test_useful_messages_are_left_alone(self, text: str) -> None:
        assert redact(text) == text

    def test_arguments_exception_and_stack_are_masked_before_formatting(self) -> None:
        try:
            raise ValueError(f"refused {JWT}")
        except ValueError as exc:
            item = record("bot %s failed", BOT, exc=exc)
        item.stack_info = f"Stack (most recent call last):\n  session={SESSION}"

        for log_format in ("text", "json"):
            output = "\n".join(fresh().run(written, log_format, item))
            for secret in (JWT, BOT, SESSION):
                assert secret not in output
            assert "1234567890:[redacted] failed" in output

    def test_a_broken_call_is_left_for_logging_to_report(self) -> None:
        item = record("%d phones", "many")

        assert RedactSecrets().filter(item)
        assert item.msg == "%d phones"
