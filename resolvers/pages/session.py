"""Who is calling a page: an admin's browser session (the ``tghub_session`` cookie, with a
CSRF token for every form it posts), or the API's Bearer token (a header no other site can
make a browser send, so no CSRF token is asked of it)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from domain.accounts import service
from domain.accounts.errors import InvalidToken
from domain.accounts.rules import TokenType
from domain.errors import PermissionDenied
from resolvers.logcontext import identified
from resolvers.permissions import bearer_token

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection, Request
    from starlette.responses import Response

    from domain.accounts.service import AdminSession, Viewer
    from domain.bootstrap import Runtime

SESSION_COOKIE = "tghub_session"
# The login form's own CSRF token (no session exists yet): a random value in a cookie of
# the login path that the form must repeat, so no other site can sign a browser in.
LOGIN_CSRF_COOKIE = "tghub_login_csrf"
LOGIN_PATH = "/login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
DEFAULT_NEXT = "/dashboard"
MAX_NEXT = 2000


class CsrfRefused(PermissionDenied):
    code = "csrf_refused"
    default_message = (
        "This form's security token is missing or wrong, so nothing was done. "
        "Reload the page and try again."
    )


ADMINS_ONLY_PAGES = "These pages are for tghub admins; this account is not an admin."


@dataclass(frozen=True)
class PageCaller:
    """The signed-in caller of a page, and the CSRF token of their cookie session (None for a
    Bearer caller)."""

    viewer: Viewer
    csrf: str | None

    @property
    def username(self) -> str:
        return self.viewer.user.username


async def admin_session(request: HTTPConnection) -> AdminSession | None:
    """The live admin session of the request's cookie; None without one (no cookie, a
    session that ended, a forged or stale cookie alike)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    runtime: Runtime = request.state.runtime
    try:
        async with runtime.uow() as uow:
            session = await service.authenticate_admin_session(uow, runtime.auth, token=raw)
    except InvalidToken:
        return None
    identified(session.viewer)
    return session


async def cookie_viewer(request: HTTPConnection) -> Viewer | None:
    """The admin of the request's page session cookie, for the read-only legacy routes the
    original dashboard calls with no credentials of its own; None without a live one."""
    session = await admin_session(request)
    return None if session is None else session.viewer


async def page_caller(request: Request) -> PageCaller | None:
    """A Bearer token wins over the cookie (a refused token raises InvalidToken); None when
    the caller has neither."""
    token = bearer_token(request.headers.get("authorization"))
    if token is not None:
        runtime: Runtime = request.state.runtime
        async with runtime.uow() as uow:
            viewer = await service.authenticate_token(
                uow, runtime.auth, token=token, expected=TokenType.ACCESS
            )
        return PageCaller(identified(viewer), csrf=None)
    session = await admin_session(request)
    return None if session is None else PageCaller(session.viewer, csrf=session.csrf)


def same_token(submitted: object, expected: str) -> bool:
    return isinstance(submitted, str) and secrets.compare_digest(
        submitted.encode(), expected.encode()
    )


def check_csrf(caller: PageCaller, submitted: object) -> None:
    """A cookie session's state-changing request must carry the session's CSRF token."""
    if caller.csrf is not None and not same_token(submitted, caller.csrf):
        raise CsrfRefused


def is_https(request: HTTPConnection) -> bool:
    """Behind a proxy, uvicorn's ``--proxy-headers`` makes this the client's scheme."""
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, session: AdminSession) -> None:
    runtime: Runtime = request.state.runtime
    remaining = (session.expires_at - runtime.auth.clock.now()).total_seconds()
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=max(0, int(remaining)),
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=is_https(request), httponly=True, samesite="lax"
    )


def login_csrf(request: Request) -> tuple[str, bool]:
    """The login form's token: the cookie's, or a new one (True: the cookie must be set)."""
    current = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if 20 <= len(current) <= 100 and current.isascii():
        return current, False
    return secrets.token_urlsafe(32), True


def set_login_csrf_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path=LOGIN_PATH,
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


def clear_login_csrf_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        LOGIN_CSRF_COOKIE, path=LOGIN_PATH, secure=is_https(request), httponly=True, samesite="lax"
    )


def safe_next(raw: object) -> str:
    """Where to go after signing in: a path of this site only (``/logs?status=failed``);
    anything else (another site, ``//host``, ``/\\host``, a scheme, control characters, the
    login pages themselves) goes to the dashboard, so the login page redirects nowhere else."""
    if not isinstance(raw, str) or not raw.startswith("/") or len(raw) > MAX_NEXT:
        return DEFAULT_NEXT
    if raw.startswith("//") or "\\" in raw or any(ord(c) < 0x21 or ord(c) == 0x7F for c in raw):
        return DEFAULT_NEXT
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or parts.path in {LOGIN_PATH, "/logout"}:
        return DEFAULT_NEXT
    return raw
