"""``/logs``: the recent invite log lines (the text of ``/api/logs``), filtered by status,
phone, account and period, with the CSV export a link away."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from domain.errors import Invalid
from domain.invites import service as invites
from domain.invites.service import InviteStatus, LogFilter
from domain.text import text_errors
from resolvers.pages import html
from resolvers.pages.html import Html, join, render
from resolvers.pages.views import admin_page

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.datastructures import QueryParams
    from starlette.requests import Request
    from starlette.responses import Response

    from domain.bootstrap import Runtime
    from domain.invites.model import InviteLog
    from domain.telegram.model import TelegramAccount
    from resolvers.pages.session import PageCaller

DEFAULT_LIMIT = 200
MAX_PHONE_PART = 32
CSV_EXPORT = "/api/logs/csv"
NOT_A_TIME = "Give a UTC time as YYYY-MM-DDTHH:MM (seconds optional)."


@dataclass
class LogQuery:
    """The filter as entered (shown back in the form) and as read."""

    statuses: list[InviteStatus] = field(default_factory=list)
    phone: str = ""
    account: str = ""
    since: str = ""
    until: str = ""
    limit: int = DEFAULT_LIMIT
    errors: dict[str, list[str]] = field(default_factory=dict)
    log_filter: LogFilter = field(default_factory=LogFilter)


def _time(text: str) -> datetime | None:
    """``datetime-local``'s ``2026-01-31T09:30`` (read as UTC) or ISO 8601 with an offset."""
    try:
        moment = datetime.fromisoformat(text.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # no time, or one UTC cannot hold (year 1 at +05:00)
        return None


def read_query(params: QueryParams) -> LogQuery:
    query = LogQuery()
    for raw in params.getlist("status"):
        try:
            query.statuses.append(InviteStatus(raw.strip().lower()))
        except ValueError:
            query.errors.setdefault("status", []).append(f"{raw!r} is no status.")
    query.phone = params.get("phone", "").strip()
    if text_errors(query.phone) or len(query.phone) > MAX_PHONE_PART:
        query.errors["phone"] = [f"A phone number or a part of one (up to {MAX_PHONE_PART})."]
    query.account = params.get("account", "").strip()
    account_id = None
    if query.account:
        try:
            account_id = uuid.UUID(query.account)
        except ValueError:
            query.errors["account"] = ["Choose an account from the list."]
    bounds: dict[str, datetime | None] = {}
    for name in ("since", "until"):
        text = params.get(name, "").strip()
        setattr(query, name, text)
        bounds[name] = _time(text) if text else None
        if text and bounds[name] is None:
            query.errors[name] = [NOT_A_TIME]
    query.log_filter = LogFilter(
        statuses=query.statuses or None,
        phone=query.phone or None,
        account_id=account_id,
        since=bounds["since"],
        until=bounds["until"],
    )
    return query


# --- the page ----------------------------------------------------------------------------------

_FILTER = """<form class="filter" method="get" action="/logs">
<fieldset><legend>Status</legend>{statuses}</fieldset>
{status_errors}
<label for="phone">Phone contains</label>
<input id="phone" name="phone" value="{phone}" inputmode="tel">
{phone_errors}
<label for="account">Account</label>
<select id="account" name="account"><option value="">any</option>{accounts}</select>
{account_errors}
<label for="since">From (UTC)</label>
<input id="since" name="since" type="datetime-local" step="1" value="{since}">
{since_errors}
<label for="until">Until (UTC)</label>
<input id="until" name="until" type="datetime-local" step="1" value="{until}">
{until_errors}
<button type="submit">Show</button> <a href="/logs">Clear</a>
</form>
<p class="export"><a href="{csv}" download>Download every log row as CSV</a></p>"""

_LINE = '<li class="log status-{status}" data-log-id="{id}"><code>{line}</code></li>'


def _status_boxes(chosen: Sequence[InviteStatus]) -> Html:
    return join(
        (
            render(
                '<label class="check"><input type="checkbox" name="status" value="{value}"'
                "{checked}> {value}</label>",
                value=status.value,
                checked=Html(" checked") if status in chosen else Html(""),
            )
            for status in InviteStatus
        ),
        " ",
    )


def _account_options(accounts: Sequence[TelegramAccount], chosen: str) -> Html:
    return join(
        render(
            '<option value="{id}"{selected}>{phone}</option>',
            id=account.id,
            phone=account.phone,
            selected=Html(" selected") if str(account.id) == chosen else Html(""),
        )
        for account in accounts
    )


def filter_form(query: LogQuery, accounts: Sequence[TelegramAccount]) -> Html:
    errors = {
        f"{name}_errors": html.field_errors(query.errors.get(name, []))
        for name in ("status", "phone", "account", "since", "until")
    }
    return render(
        _FILTER,
        statuses=_status_boxes(query.statuses),
        phone=query.phone,
        accounts=_account_options(accounts, query.account),
        since=query.since,
        until=query.until,
        csv=CSV_EXPORT,
        **errors,
    )


def log_lines(rows: Sequence[InviteLog]) -> Html:
    if not rows:
        return Html('<p class="empty">No log rows match.</p>')
    lines = (
        render(_LINE, status=row.status.value, id=row.id, line=invites.log_line(row))
        for row in rows
    )
    return render(
        '<p>{count} rows, oldest first.</p><ol class="log-lines">{lines}</ol>',
        count=len(rows),
        lines=join(lines),
    )


@admin_page
async def logs(request: Request, caller: PageCaller) -> Response:
    query = read_query(request.query_params)
    runtime: Runtime = request.state.runtime
    rows: list[InviteLog] = []
    async with runtime.uow() as uow:
        accounts = await invites.invite_accounts(uow, actor=caller.viewer)
        if not query.errors:
            try:
                rows = await invites.recent_logs(
                    uow, actor=caller.viewer, limit=query.limit, log_filter=query.log_filter
                )
            except Invalid as exc:
                query.errors |= exc.field_errors
    body = join([filter_form(query, accounts), log_lines(rows)])
    account = html.sign_out(caller.username, caller.csrf)
    document = html.document("Invite logs", body, current="/logs", account=account)
    return html.page_response(document, 400 if query.errors else 200)
