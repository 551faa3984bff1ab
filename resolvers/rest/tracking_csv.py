"""tghub additions to legacy 000 (not in the original service): a tracked user's online
history as CSV downloads, for a window of at most ``rules.MAX_WINDOW``.

Authentication and errors are the seeonline routes' own (their helpers, not copies); the
sessions and totals are ``domain.tracking.service``'s.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC
from typing import TYPE_CHECKING

from starlette.responses import Response

from domain.errors import Invalid
from domain.tracking import rules
from domain.tracking import service as tracking
from resolvers.rest import fields
from resolvers.rest.seeonline import path_integer, request_actor, request_runtime, seeonline_view

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from starlette.requests import Request

# A cell a spreadsheet would read as a formula starts with one of these (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """The text of a cell, a leading formula character defused with a quote."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def seconds_text(seconds: float) -> str:
    """Seconds to the microsecond, without trailing zeros: ``600``, ``0.25``."""
    return f"{seconds:.6f}".rstrip("0").rstrip(".")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """RFC 4180: quoted where needed, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def csv_download(text: str, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(
        text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
    )


def _window(request: Request) -> tuple[datetime, datetime]:
    """``from`` and ``to``, both required (a date alone is its midnight, no offset is UTC),
    or Invalid naming each bad one."""
    params = dict(request.query_params)
    errors: fields.Errors = {}
    bounds: list[datetime] = []
    for name in ("from", "to"):
        try:
            bound = fields.query_datetime(params, name, name)
        except Invalid as exc:
            errors.update(exc.field_errors)
            continue
        if bound is None:
            errors[name] = [fields.REQUIRED]
        else:
            bounds.append(bound)
    fields.check(errors)
    start, end = bounds
    fields.check(rules.window_errors(start, end))
    return start, end


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@seeonline_view
async def online_sessions(request: Request) -> Response:
    actor = await request_actor(request)
    tracked_id = path_integer(request, "tracked_id")
    start, end = _window(request)
    async with request_runtime(request).uow() as uow:
        sessions = await tracking.online_sessions(
            uow, actor=actor, tracked_user_id=tracked_id, start=start, end=end
        )
    rows = [(_utc(s.started_at), _utc(s.ended_at), seconds_text(s.seconds)) for s in sessions]
    text = csv_text(("start", "end", "duration_seconds"), rows)
    return csv_download(text, f"online-sessions-{tracked_id}.csv")


@seeonline_view
async def daily_online_totals(request: Request) -> Response:
    """Every UTC day the window touches has its row, a day without a session as 0."""
    actor = await request_actor(request)
    tracked_id = path_integer(request, "tracked_id")
    start, end = _window(request)
    async with request_runtime(request).uow() as uow:
        totals = await tracking.daily_online_totals(
            uow, actor=actor, tracked_user_id=tracked_id, start=start, end=end
        )
    days = rules.window_days(start, end)
    rows = [(day.isoformat(), seconds_text(totals.get(day, 0.0))) for day in days]
    text = csv_text(("date", "online_seconds"), rows)
    return csv_download(text, f"daily-online-totals-{tracked_id}.csv")
