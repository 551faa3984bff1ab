"""``/admin``: the invite settings form of the original (its field names), and the accounts
inviting with their quotas and pauses."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.responses import RedirectResponse, Response

from domain.errors import Invalid
from domain.invites import rules as invite_rules
from domain.invites import service as invites
from domain.invites.service import SettingsValues
from domain.text import text_errors
from resolvers.pages import html
from resolvers.pages.html import Html, join, render
from resolvers.pages.session import CSRF_FIELD, PageCaller
from resolvers.pages.views import admin_page, checked_form, text_field

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.datastructures import FormData
    from starlette.requests import Request

    from domain.bootstrap import Runtime
    from domain.telegram.model import TelegramAccount

# The form's fields, as the original's form named them.
TEXT_FIELDS = ("channel_username", "failure_message")
NUMBER_FIELDS = ("queue_threshold", "pause_min_seconds", "pause_max_seconds")
FLAGS = ("only_message_bot", "invite_and_message")
FIELDS = TEXT_FIELDS + NUMBER_FIELDS + FLAGS
FALSE_WORDS = frozenset({"", "0", "false", "off", "no"})

_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,12}(?:[.,][0-9]{0,9})?|[.,][0-9]{1,9})")
NOT_A_WHOLE_NUMBER = "Enter a whole number (0 or more)."
NOT_SECONDS = "Enter a number of seconds (0 or more), such as 1 or 2.5."
SAVED = "Settings saved."
NOT_SAVED = "Nothing was saved: correct the fields marked below."


def _flag(form: FormData, name: str) -> bool:
    """A checkbox: sent (as ``on``, ``true``, ``1``…) when ticked, absent when not."""
    return text_field(form, name).strip().lower() not in FALSE_WORDS


def _read_number(text: str, *, whole: bool) -> float | None:
    text = text.strip()
    if whole:
        return int(text) if _INTEGER.fullmatch(text) else None
    if not _DECIMAL.fullmatch(text):
        return None
    number = float(text.replace(",", "."))
    return number if math.isfinite(number) else None


def read_settings(form: FormData) -> tuple[SettingsValues, dict[str, list[str]]]:
    """The submitted settings, and the fields that could not be read at all (those hold a
    stand-in value no rule objects to)."""
    unreadable: dict[str, list[str]] = {}
    texts = {name: text_field(form, name) for name in TEXT_FIELDS}
    for name, value in texts.items():
        if problems := text_errors(value):
            unreadable[name] = problems
    numbers: dict[str, float] = {}
    for name in NUMBER_FIELDS:
        whole = name == "queue_threshold"
        number = _read_number(text_field(form, name), whole=whole)
        if number is None:
            unreadable[name] = [NOT_A_WHOLE_NUMBER if whole else NOT_SECONDS]
        numbers[name] = number if number is not None else _stand_in(name)
    values = SettingsValues(
        channel_username="" if "channel_username" in unreadable else texts["channel_username"],
        failure_message="-" if "failure_message" in unreadable else texts["failure_message"],
        queue_threshold=int(numbers["queue_threshold"]),
        pause_min_seconds=numbers["pause_min_seconds"],
        pause_max_seconds=numbers["pause_max_seconds"],
        only_message_bot=_flag(form, "only_message_bot"),
        invite_and_message=_flag(form, "invite_and_message"),
    )
    return values, unreadable


def _stand_in(name: str) -> float:
    return invite_rules.MAX_PAUSE_SECONDS if name == "pause_max_seconds" else 0


def other_errors(values: SettingsValues, unreadable: dict[str, list[str]]) -> dict[str, list[str]]:
    """What the rules say of the fields that could be read, so one answer names every
    problem (the service is not called: it would store what passes)."""
    errors = dict(invite_rules.settings_errors(values))
    try:
        invite_rules.channel_username(values.channel_username)
    except Invalid as exc:
        errors |= exc.field_errors
    return {name: msgs for name, msgs in errors.items() if name not in unreadable}


# --- the page ----------------------------------------------------------------------------------

_FORM = """<form class="settings" method="post" action="/admin" novalidate>
<input type="hidden" name="{csrf_field}" value="{csrf}">
<label for="channel_username">Channel</label>
<input id="channel_username" name="channel_username" value="{channel_username}"
 placeholder="name, @name or https://t.me/name">
{channel_username_errors}
<label for="failure_message">Failure message
 <small>({{{{channel}}}} becomes the channel's invite link)</small></label>
<textarea id="failure_message" name="failure_message" rows="4">{failure_message}</textarea>
{failure_message_errors}
<label for="queue_threshold">Queue threshold</label>
<input id="queue_threshold" name="queue_threshold" inputmode="numeric" value="{queue_threshold}">
{queue_threshold_errors}
<label for="pause_min_seconds">Pause, minimum seconds</label>
<input id="pause_min_seconds" name="pause_min_seconds" inputmode="decimal"
 value="{pause_min_seconds}">
{pause_min_seconds_errors}
<label for="pause_max_seconds">Pause, maximum seconds</label>
<input id="pause_max_seconds" name="pause_max_seconds" inputmode="decimal"
 value="{pause_max_seconds}">
{pause_max_seconds_errors}
<label class="check"><input type="checkbox" name="only_message_bot"{only_message_bot}>
 Only send the failure message with the link (no invites)</label>
{only_message_bot_errors}
<label class="check"><input type="checkbox" name="invite_and_message"{invite_and_message}>
 Invite, then send the failure message too</label>
{invite_and_message_errors}
<button type="submit">Save</button>
</form>"""

_ACCOUNTS = """<h2 id="accounts">Accounts inviting</h2>
<table class="accounts">
<thead><tr><th>Account</th><th>Status</th><th>Invites left</th><th>Daily quota</th>
<th>Last used</th><th>Paused</th></tr></thead>
<tbody>{rows}</tbody>
</table>"""

_ACCOUNT_ROW = """<tr><td>{phone}</td><td>{status}</td><td>{left}</td><td>{quota}</td>
<td>{last_used}</td><td>{paused}</td></tr>"""


def shown_time(moment: datetime | None) -> str:
    return "—" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _shown_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _form_values(values: SettingsValues | FormData) -> dict[str, object]:
    """What the form shows: the stored settings, or exactly what was entered."""
    if isinstance(values, SettingsValues):
        shown: dict[str, object] = {
            "channel_username": values.channel_username,
            "failure_message": values.failure_message,
            "queue_threshold": values.queue_threshold,
            "pause_min_seconds": _shown_number(values.pause_min_seconds),
            "pause_max_seconds": _shown_number(values.pause_max_seconds),
        }
        ticked = {name: getattr(values, name) for name in FLAGS}
    else:
        shown = {name: text_field(values, name) for name in TEXT_FIELDS + NUMBER_FIELDS}
        ticked = {name: _flag(values, name) for name in FLAGS}
    checks = {name: Html(" checked") if on else Html("") for name, on in ticked.items()}
    return shown | checks


def settings_form(
    values: SettingsValues | FormData, errors: dict[str, list[str]], csrf: str | None
) -> Html:
    messages = {f"{name}_errors": html.field_errors(errors.get(name, [])) for name in FIELDS}
    return render(_FORM, csrf_field=CSRF_FIELD, csrf=csrf or "", **_form_values(values), **messages)


def accounts_table(accounts: Sequence[TelegramAccount], now: datetime) -> Html:
    if not accounts:
        return render('<h2 id="accounts">Accounts inviting</h2><p>{text}</p>', text=(
            "No Telegram account serves invites yet: add and sign in one (GraphQL "
            "addTelegramAccount)."
        ))  # fmt: skip
    rows = (
        render(
            _ACCOUNT_ROW,
            phone=account.phone,
            status=account.status.value,
            left=account.invites_left,
            quota=account.invite_quota,
            last_used=shown_time(account.invite_last_used_at),
            paused=_pause(account, now),
        )
        for account in accounts
    )
    return render(_ACCOUNTS, rows=join(rows))


def _pause(account: TelegramAccount, now: datetime) -> str:
    until = account.paused_until
    if until is None or until <= now:
        return "—"
    reason = f" ({account.pause_reason})" if account.pause_reason else ""
    return f"until {shown_time(until)}{reason}"


def _notice(text: str, kind: str) -> Html:
    return render('<p class="notice {kind}" role="status">{text}</p>', kind=kind, text=text)


def _unplaced(errors: dict[str, list[str]]) -> list[str]:
    """Messages about no field of the form (the whole input)."""
    return [m for name, msgs in errors.items() if name not in FIELDS for m in msgs]


async def _page(
    request: Request,
    caller: PageCaller,
    form: Html,
    notice: Html,
    status_code: int = 200,
) -> Response:
    runtime: Runtime = request.state.runtime
    async with runtime.uow() as uow:
        accounts = await invites.invite_accounts(uow, actor=caller.viewer)
    body = join([notice, form, accounts_table(accounts, runtime.auth.clock.now())])
    account = html.sign_out(caller.username, caller.csrf)
    document = html.document("Invite settings", body, current="/admin", account=account)
    return html.page_response(document, status_code)


@admin_page
async def admin(request: Request, caller: PageCaller) -> Response:
    if request.method == "POST":
        return await _save(request, caller)
    runtime: Runtime = request.state.runtime
    async with runtime.uow() as uow:
        stored = invite_rules.settings_values(await invites.get_settings(uow, actor=caller.viewer))
    saved = request.query_params.get("saved") == "1"
    notice = _notice(SAVED, "success") if saved else Html("")
    return await _page(request, caller, settings_form(stored, {}, caller.csrf), notice)


async def _save(request: Request, caller: PageCaller) -> Response:
    """Every field checked, nothing stored unless all pass; then back to the form (a reload
    does not post it again)."""
    form = await checked_form(request, caller)
    values, unreadable = read_settings(form)
    errors = unreadable | other_errors(values, unreadable) if unreadable else {}
    if not errors:
        runtime: Runtime = request.state.runtime
        try:
            async with runtime.uow() as uow:
                await invites.update_settings(uow, actor=caller.viewer, values=values)
        except Invalid as exc:
            errors = exc.field_errors or {"": [exc.message]}
    if not errors:
        return RedirectResponse("/admin?saved=1", status_code=303)
    notice = _notice(" ".join([NOT_SAVED, *_unplaced(errors)]), "error")
    return await _page(request, caller, settings_form(form, errors, caller.csrf), notice, 400)
