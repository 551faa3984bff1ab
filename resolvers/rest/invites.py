"""Legacy 004 (Telegram Invite) routes: the webhook that queues phones, and the read-only
``/api/...`` routes its dashboard polls (docs/rest.md, "004 Invites").

Handlers authenticate and translate; the rules (phones, the queue, stats, history, logs) are
``domain.invites.service``'s.
"""

from __future__ import annotations

import csv
import hmac
import io
import logging
import re
from datetime import UTC
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from starlette.responses import PlainTextResponse, Response, StreamingResponse
from typing_extensions import override

from domain.errors import Invalid, RateLimited, Unauthenticated
from domain.invites import rules
from domain.invites import service as invites
from domain.invites.model import InviteStatus
from resolvers.pages.session import cookie_viewer
from resolvers.permissions import client_address
from resolvers.rest import fields
from resolvers.rest.auth import require_group_access
from resolvers.rest.drf import JSONResponse, basic_view
from resolvers.rest.forms import read_form
from resolvers.rest.tracking_csv import safe_cell

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Sequence

    from starlette.requests import Request

    from domain.access import Actor
    from domain.bootstrap import Runtime
    from domain.invites.model import InviteLog
    from domain.invites.service import Accepted
    from domain.telegram.model import TelegramAccount
    from resolvers.rest.forms import Form

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Webhook-Secret"  # noqa: S105 - names, not secrets
SECRET_PARAM = "secret"  # noqa: S105
WRONG_SECRET = "Invalid webhook secret."  # noqa: S105
TOO_MANY_CALLS = "Too many webhook calls; try again later."
BOTH_FORMS = "Send phone or phones, not both."
CSV_COLUMNS = (
    "id",
    "task_id",
    "account_name",
    "channel_username",
    "phone",
    "status",
    "reason",
    "created_at",
)
CSV_FILENAME = "invite_logs.csv"
# Rows read per short transaction while the CSV streams: memory stays one batch whatever the
# log's size, and no transaction stays open while a slow client reads.
CSV_BATCH = 1000
# Cells that are E.164 phones (a log row's phone, an account's name) go out as they are: they
# cannot hold a formula, and the quote that defuses formulas would change the number.
_PHONE_CELL = re.compile(r"\+[0-9]{1,15}")


def request_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.state.runtime
    return runtime


# -- who is calling ----------------------------------------------------------------------------


async def invites_reader(request: Request) -> Actor:
    """The actor of the read-only ``/api/...`` routes: an admin (a Bearer token or HTTP
    Basic); anyone as ``Guest("invites")`` once the operator opened the group. The one place
    these routes authenticate, so another way in (a page's session) is added here alone.

    Without an Authorization header, the admin of a live page session (the pages' cookie):
    the original dashboard, served on tghub's origin, calls these routes with no
    credentials of its own. Only here, on reads: the webhook (which changes things, even
    over GET) never takes the cookie, so no other site can make a browser queue phones."""
    if "authorization" not in request.headers:
        viewer = await cookie_viewer(request)
        if viewer is not None:
            return viewer
    return await require_group_access(request, invites.GROUP, allow_basic=True)


def presented_secret(request: Request) -> str | None:
    """The webhook secret the caller sent: the header, else the query parameter."""
    header = request.headers.get(SECRET_HEADER)
    if header is not None:
        return header
    return request.query_params.get(SECRET_PARAM)


def secret_matches(request: Request, presented: str) -> bool:
    """Compared in constant time; no secret configured (or an empty one) matches nothing."""
    configured = request_runtime(request).settings.invite_webhook_secret
    expected = configured.get_secret_value() if configured is not None else ""
    if not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


async def webhook_caller(request: Request) -> Actor:
    """A caller presenting the shared secret is ``invites.WEBHOOK`` (a wrong one is refused,
    whatever else it sends, like a bad token); otherwise as the read routes: an admin, or a
    guest when the group is open."""
    presented = presented_secret(request)
    if presented is None:
        return await require_group_access(request, invites.GROUP, allow_basic=True)
    if not secret_matches(request, presented):
        raise Unauthenticated(WRONG_SECRET)
    return invites.WEBHOOK


def without_secret(target: str) -> str:
    """A request target (``/webhook?phone=…&secret=…``) with the secret's value masked; the
    rest kept as sent. A parameter is the secret when its decoded name is (``s%65cret``)."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    pairs = []
    for pair in query.split("&"):
        name, _, _ = pair.partition("=")
        pairs.append(f"{name}=***" if unquote_plus(name) == SECRET_PARAM else pair)
    return f"{path}?{'&'.join(pairs)}"


class MaskSecretInAccessLog(logging.Filter):
    """uvicorn's access log writes each request's target with its query string: a webhook
    call's ``?secret=`` is masked there (installed by ``resolvers.app``)."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                without_secret(arg) if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


async def limit_webhook_calls(request: Request) -> None:
    """Every call counts against its client address's budget a minute, before anything else
    (so guessing the secret is slowed too)."""
    runtime = request_runtime(request)
    retry_after = await runtime.auth.limiter.hit(
        f"invite-webhook:{client_address(request)}",
        limit=runtime.settings.invite_webhook_per_minute,
        window_seconds=60,
    )
    if retry_after is not None:
        raise RateLimited(retry_after, TOO_MANY_CALLS)


# -- the webhook -------------------------------------------------------------------------------


def _absent(value: object) -> bool:
    """No phone, as the original's ``if not phone``: missing, null or blank text."""
    return value is None or (isinstance(value, str) and not value.strip())


def _phones_field(form: Form) -> object:
    """``phones``: a JSON array, or the repeated form field."""
    if "phones" in form.lists:
        return form.lists["phones"]
    return form.data.get("phones")


def requested_phones(form: Form, request: Request) -> tuple[list[object], bool] | None:
    """The phones the call names and whether it is a batch; None when it names none. The
    body decides; ``?phone=`` only when the body names no phone (as the original read it)."""
    single, many = form.data.get("phone"), _phones_field(form)
    if not _absent(single) and many is not None:
        raise Invalid({"non_field_errors": [BOTH_FORMS]})
    if many is not None:
        if not isinstance(many, list):
            kind = type(many).__name__
            raise Invalid.single("phones", f'Expected a list of items but got type "{kind}".')
        return many, True
    if _absent(single):
        single = request.query_params.get("phone")
    return None if _absent(single) else ([single], False)


def _shown(raw: object) -> object:
    """An item that is no phone, as the answer names it: a number or (shortened) text as sent,
    anything else null."""
    if isinstance(raw, str):
        return raw if len(raw) <= 64 else raw[:64] + "…"
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return raw
    return None


def accepted_json(accepted: Accepted, phones: Sequence[object]) -> dict[str, Any]:
    return {
        "status": "queued",
        "queued": accepted.queued,
        "already_queued": accepted.waiting,
        "invalid": [
            {"index": index, "phone": _shown(phones[index]), "error": error}
            for index, error in sorted(accepted.problems.items())
        ],
    }


def refused(accepted: Accepted, batch: bool) -> JSONResponse:
    """Nothing was queued because no item is a phone: a single phone's error under ``phone``;
    a batch's under ``phones`` by position, as DRF's ListField names its items' errors."""
    if not batch:
        return JSONResponse({"phone": [accepted.problems[0]]}, status_code=400)
    by_index = {str(index): [error] for index, error in sorted(accepted.problems.items())}
    return JSONResponse({"phones": by_index}, status_code=400)


@basic_view
async def webhook(request: Request) -> Response:
    await limit_webhook_calls(request)
    actor = await webhook_caller(request)
    named = requested_phones(await read_form(request), request)
    if named is None:
        return JSONResponse({"status": "ignored"})
    phones, batch = named
    runtime = request_runtime(request)
    # Committed before the answer (nothing lost after it), in one statement: the queue's
    # insert commits by itself (docs/perf.md, "P7").
    async with runtime.ingest_uow() as uow:
        accepted = await invites.accept_phones(
            uow, actor=actor, phones=phones, region=runtime.settings.invite_default_region
        )
    if not accepted.accepted:
        return refused(accepted, batch)
    log.info(
        "webhook: %d phones queued, %d already queued, %d invalid",
        len(accepted.queued),
        len(accepted.waiting),
        len(accepted.problems),
    )
    return JSONResponse(accepted_json(accepted, phones))


# -- the dashboard's reads ---------------------------------------------------------------------


@basic_view
async def health(request: Request) -> Response:
    """Open to anyone: the original's liveness answer (tghub's own probes are /healthz and
    /readyz)."""
    return JSONResponse({"status": "ok"})


@basic_view
async def queue_length(request: Request) -> Response:
    actor = await invites_reader(request)
    async with request_runtime(request).uow() as uow:
        length = await invites.queue_length(uow, actor=actor)
    return JSONResponse({"queue_length": length})


@basic_view
async def stats(request: Request) -> Response:
    actor = await invites_reader(request)
    async with request_runtime(request).uow() as uow:
        found = await invites.stats(uow, actor=actor)
    counts = {status.value: found.counts.get(status, 0) for status in InviteStatus}
    return JSONResponse({**counts, "queue_length": found.queue_length})


@basic_view
async def stats_history(request: Request) -> Response:
    actor = await invites_reader(request)
    period = rules.history_period(request.query_params.get("period"))
    runtime = request_runtime(request)
    async with runtime.uow() as uow:
        buckets = await invites.history(
            uow, actor=actor, period=period, now=runtime.auth.clock.now()
        )
    return JSONResponse([{"timestamp": b.label, "count": b.count} for b in buckets])


def _limit(request: Request) -> int:
    """``?limit=`` (the service checks its range); blank or absent: the default."""
    raw = request.query_params.get("limit", "")
    if not raw.strip():
        return invites.DEFAULT_RECENT
    parsed = fields.to_integer(raw)
    if parsed is None:
        raise Invalid.single("limit", fields.NOT_INTEGER)
    return parsed


@basic_view
async def logs(request: Request) -> Response:
    """The newest log rows as text lines, oldest first and newest last."""
    actor = await invites_reader(request)
    limit = _limit(request)
    async with request_runtime(request).uow() as uow:
        rows = await invites.recent_logs(uow, actor=actor, limit=limit)
    text = "".join(f"{invites.log_line(row)}\n" for row in rows)
    return PlainTextResponse(text)


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if _PHONE_CELL.fullmatch(text) else safe_cell(text)


def csv_row(row: InviteLog) -> list[str]:
    values = (
        row.id,
        row.task_id,
        row.account_name,
        row.channel_username,
        row.phone,
        row.status.value,
        row.reason,
        row.created_at.astimezone(UTC).isoformat(),
    )
    return [csv_cell(value) for value in values]


def csv_lines(rows: Iterable[Sequence[str]]) -> str:
    """RFC 4180: quoted where needed, CRLF line ends."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


async def _log_batch(runtime: Runtime, actor: Actor, after: int) -> list[InviteLog]:
    async with runtime.uow() as uow:
        return await invites.log_batch(uow, actor=actor, after=after, size=CSV_BATCH)


async def _csv_stream(runtime: Runtime, actor: Actor, first: list[InviteLog]) -> AsyncIterator[str]:
    yield csv_lines([CSV_COLUMNS])
    batch = first
    while batch:
        yield csv_lines(csv_row(row) for row in batch)
        if len(batch) < CSV_BATCH:
            return
        batch = await _log_batch(runtime, actor, batch[-1].id)


@basic_view
async def logs_csv(request: Request) -> Response:
    """Every log row by id, streamed a batch at a time. The first batch is read before the
    answer starts, so a refusal is still an error status rather than a cut download."""
    actor = await invites_reader(request)
    runtime = request_runtime(request)
    first = await _log_batch(runtime, actor, 0)
    media_type = "text/csv; charset=utf-8"
    headers = {"Content-Disposition": f'attachment; filename="{CSV_FILENAME}"'}
    if request.method == "HEAD":
        return Response(media_type=media_type, headers=headers)
    stream = _csv_stream(runtime, actor, first)
    return StreamingResponse(stream, media_type=media_type, headers=headers)


def account_json(account: TelegramAccount) -> dict[str, Any]:
    last_used = account.invite_last_used_at
    return {
        "name": account.phone,
        "last_used": None if last_used is None else last_used.astimezone(UTC).isoformat(),
        "invites_left": account.invites_left,
    }


@basic_view
async def accounts(request: Request) -> Response:
    """The accounts serving invites, by phone (signed in or not)."""
    actor = await invites_reader(request)
    async with request_runtime(request).uow() as uow:
        found = await invites.invite_accounts(uow, actor=actor)
    return JSONResponse([account_json(account) for account in found])
