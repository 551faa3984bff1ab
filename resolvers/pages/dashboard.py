"""``/dashboard``: the live invite dashboard. The page is a frame; its script
(``/static/pages/dashboard.js``) reads the data with GraphQL queries and follows
``inviteEvents`` over graphql-transport-ws, as the signed-in admin: it asks
``POST /dashboard/token`` for an access token of the admin's own session (the cookie and the
page's CSRF token), and again whenever the socket closes for an ended token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response

from domain.accounts import service
from domain.errors import DomainError, PermissionDenied, Unauthenticated
from resolvers.pages import assets, html
from resolvers.pages.html import join, render
from resolvers.pages.session import ADMINS_ONLY_PAGES, CSRF_HEADER, check_csrf, page_caller
from resolvers.pages.views import admin_page, error_headers, status_of

if TYPE_CHECKING:
    from starlette.requests import Request

    from domain.bootstrap import Runtime
    from resolvers.pages.session import PageCaller

TOKEN_PATH = "/dashboard/token"  # noqa: S105 - a path, not a secret
DOCUMENTS = "dashboard.graphql"

_BODY = """<div id="dashboard" data-csrf="{csrf}" data-token-url="{token_url}"
 data-documents="{documents}" data-documents-integrity="{documents_integrity}">
<p id="connection" class="connection" role="status">Connecting…</p>
<div id="queue-alert" class="notice alert" role="alert" hidden></div>
<p id="last-alert" class="last-alert" role="status" hidden></p>
<section class="stats" aria-label="Counts">
{stats}
<div class="stat" id="queue"><span class="label">In the queue</span>
<span id="queue-length" class="value">–</span>
<span class="hint">threshold <span id="queue-threshold">–</span></span></div>
</section>
<section aria-labelledby="history-title">
<h2 id="history-title">History</h2>
<div class="period" role="group" aria-label="Period">
<button type="button" data-period="DAY" aria-pressed="true">Last 24 hours</button>
<button type="button" data-period="WEEK" aria-pressed="false">Last 7 days</button>
</div>
<div id="history-chart" class="chart"></div>
</section>
<section aria-labelledby="accounts-title">
<h2 id="accounts-title">Accounts</h2>
<table class="accounts"><thead><tr><th>Account</th><th>Status</th><th>Invites left</th>
<th>Daily quota</th><th>Last used</th><th>Paused</th></tr></thead>
<tbody id="accounts-body"></tbody></table>
</section>
<section aria-labelledby="logs-title">
<h2 id="logs-title">Newest log rows</h2>
<p><a href="/logs">All logs, filtered</a> · <a href="/api/logs/csv" download>CSV</a></p>
<table class="logs"><thead><tr><th>Time (UTC)</th><th>Status</th><th>Phone</th>
<th>Account</th><th>Channel</th><th>Reason</th></tr></thead>
<tbody id="logs-body"></tbody></table>
</section>
</div>
<noscript>The dashboard needs JavaScript; <a href="/logs">the logs page</a> does not.</noscript>"""


_STAT = """<div class="stat"><span class="label">{label}</span>
<span id="count-{status}" class="value">–</span></div>"""
STAT_LABELS = {
    "invited": "Invited",
    "link_sent": "Link sent",
    "failed": "Failed",
    "skipped": "Skipped",
}


@admin_page
async def dashboard(request: Request, caller: PageCaller) -> Response:
    body = render(
        _BODY,
        csrf=caller.csrf or "",
        stats=join(render(_STAT, status=s, label=label) for s, label in STAT_LABELS.items()),
        token_url=TOKEN_PATH,
        documents=assets.url(DOCUMENTS),
        documents_integrity=assets.integrity(DOCUMENTS),
    )
    document = html.document(
        "Invite dashboard",
        body,
        current="/dashboard",
        account=html.sign_out(caller.username, caller.csrf),
        scripts=["dashboard.js"],
    )
    return html.page_response(document)


NO_STORE = {"Cache-Control": "no-store"}


async def dashboard_token(request: Request) -> Response:
    """A fresh access token of the caller's own session, for the dashboard's GraphQL calls
    and socket. A cookie session must send its CSRF token in ``X-CSRF-Token`` (a header no
    other site can add, and only a page of ours can read the token from)."""
    try:
        caller = await page_caller(request)
        if caller is None:
            raise Unauthenticated("Sign in first: your session has ended.")
        if not caller.viewer.is_admin:
            raise PermissionDenied(ADMINS_ONLY_PAGES)
        check_csrf(caller, request.headers.get(CSRF_HEADER))
        runtime: Runtime = request.state.runtime
        async with runtime.uow() as uow:
            token = await service.issue_access_token(uow, runtime.auth, actor=caller.viewer)
    except DomainError as exc:
        headers = NO_STORE | error_headers(exc)
        return JSONResponse({"detail": exc.message}, status_of(exc), headers=headers)
    return JSONResponse({"accessToken": token}, headers=NO_STORE)
