"""What every page shares: the admin check, the way to the login page, error pages, forms."""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from domain.errors import DomainError, Invalid, PermissionDenied, RateLimited, Unauthenticated
from resolvers.pages import html
from resolvers.pages.html import Html, render
from resolvers.pages.session import (
    ADMINS_ONLY_PAGES,
    CSRF_FIELD,
    SESSION_COOKIE,
    PageCaller,
    check_csrf,
    clear_session_cookie,
    page_caller,
)
from resolvers.rest.drf import STATUS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request

    PageHandler = Callable[[Request, PageCaller], Awaitable[Response]]
    Endpoint = Callable[[Request], Awaitable[Response]]

SAFE_METHODS = frozenset({"GET", "HEAD"})
MAX_FORM_FIELDS = 50

TITLES = {
    400: "Check the form",
    401: "Sign in",
    403: "Not allowed",
    404: "Not found",
    429: "Too many attempts",
    503: "Unavailable",
}


def status_of(exc: DomainError) -> int:
    """The legacy routes' table (resolvers/rest/drf.py), so pages and routes agree."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_headers(exc: DomainError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="pages"'
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(int(exc.retry_after) + 1)
    return headers


def error_page(request: Request, exc: DomainError, caller: PageCaller | None = None) -> Response:
    status = status_of(exc)
    account = Html("") if caller is None else html.sign_out(caller.username, caller.csrf)
    link = render('<p><a href="/login?next={next}">Sign in</a></p>', next=_here(request))
    body = render(
        '<p class="notice error" role="alert">{message}</p>{link}',
        message=exc.message,
        link=link if status == 401 else Html(""),
    )
    page = html.document(TITLES.get(status, "Something went wrong"), body, account=account)
    return html.page_response(page, status, error_headers(exc))


def _here(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


def to_login(request: Request) -> Response:
    """An anonymous page request: a browser's GET goes to the login page (and back here
    after it); anything else is refused, nothing done. A stale cookie is dropped."""
    if request.method in SAFE_METHODS:
        response: Response = RedirectResponse(
            f"/login?next={quote(_here(request), safe='/')}", status_code=303
        )
    else:
        response = error_page(request, Unauthenticated("Sign in first: your session has ended."))
    if SESSION_COOKIE in request.cookies:
        clear_session_cookie(response, request)
    return response


def admin_page(handler: PageHandler) -> Endpoint:
    """A page for signed-in admins: the handler gets the caller; domain errors become error
    pages (never a 500), and a parsed form is closed afterwards."""

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        caller = None
        try:
            caller = await page_caller(request)
            if caller is None:
                return to_login(request)
            if not caller.viewer.is_admin:
                raise PermissionDenied(ADMINS_ONLY_PAGES)
            return await handler(request, caller)
        except DomainError as exc:
            return error_page(request, exc, caller if caller and caller.viewer.is_admin else None)
        finally:
            await request.close()

    return endpoint


async def read_form(request: Request) -> FormData:
    """A posted form's fields; a body that is no form reads as an empty one (its fields are
    then reported missing), a malformed one is Invalid."""
    content_type = request.headers.get("content-type", "").lower()
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return FormData()
    try:
        return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    except HTTPException as exc:
        if exc.status_code == 413:  # the body limit, met while streaming
            raise
        raise Invalid({}, message=f"The form could not be read: {exc.detail}") from exc


async def checked_form(request: Request, caller: PageCaller) -> FormData:
    """A state-changing form: read, and refused (CsrfRefused) without the session's token."""
    form = await read_form(request)
    check_csrf(caller, form.get(CSRF_FIELD))
    return form


def text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
