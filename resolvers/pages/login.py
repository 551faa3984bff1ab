"""``/login`` and ``/logout``: an admin's browser session over the accounts service (argon2,
the login rate limit and token families of the API's own login)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import RedirectResponse, Response

from domain.accounts import service
from domain.accounts.errors import InvalidCredentials
from domain.errors import DomainError, PermissionDenied, RateLimited
from resolvers.pages import html
from resolvers.pages.html import Html, render
from resolvers.pages.session import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    PageCaller,
    admin_session,
    clear_login_csrf_cookie,
    clear_session_cookie,
    login_csrf,
    safe_next,
    same_token,
    set_login_csrf_cookie,
    set_session_cookie,
)
from resolvers.pages.views import (
    admin_page,
    checked_form,
    error_headers,
    error_page,
    read_form,
    status_of,
    text_field,
)
from resolvers.permissions import client_address

if TYPE_CHECKING:
    from starlette.requests import Request

    from domain.bootstrap import Runtime

WRONG_CREDENTIALS = "Wrong username or password."
LOGIN_FORM_EXPIRED = (
    "This login form has expired (or cookies are off), so nothing was checked. "
    "Reload the page and sign in again."
)

_FORM = """{notice}
<form class="login" method="post" action="/login">
<input type="hidden" name="{csrf_field}" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label for="username">Username</label>
<input id="username" name="username" value="{username}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>"""


def _login_page(
    request: Request,
    *,
    next_path: str,
    username: str = "",
    message: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    csrf, is_new = login_csrf(request)
    notice = Html("")
    if message is not None:
        notice = render('<p class="notice error" role="alert">{message}</p>', message=message)
    body = render(
        _FORM,
        notice=notice,
        csrf_field=CSRF_FIELD,
        csrf=csrf,
        next=next_path,
        username=username,
    )
    response = html.page_response(html.document("Sign in", body), status_code, headers)
    if is_new:
        set_login_csrf_cookie(response, request, csrf)
    return response


async def login(request: Request) -> Response:
    try:
        if request.method == "POST":
            return await _sign_in(request)
        next_path = safe_next(request.query_params.get("next"))
        if await admin_session(request) is not None:
            return RedirectResponse(next_path, status_code=303)
        return _login_page(request, next_path=next_path)
    except DomainError as exc:  # the database or Redis down: a page, never a 500
        return error_page(request, exc)
    finally:
        await request.close()


async def _sign_in(request: Request) -> Response:
    form = await read_form(request)
    next_path = safe_next(form.get("next"))
    username = text_field(form, "username")
    if not same_token(form.get(CSRF_FIELD), request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _login_page(
            request, next_path=next_path, username=username, message=LOGIN_FORM_EXPIRED,
            status_code=403,
        )  # fmt: skip
    runtime: Runtime = request.state.runtime
    try:
        async with runtime.uow() as uow:
            session = await service.start_admin_session(
                uow,
                runtime.auth,
                username=username,
                password=text_field(form, "password"),
                client=client_address(request),
            )
    except (InvalidCredentials, PermissionDenied, RateLimited) as exc:
        message = WRONG_CREDENTIALS if isinstance(exc, InvalidCredentials) else exc.message
        return _login_page(
            request, next_path=next_path, username=username, message=message,
            status_code=status_of(exc), headers=error_headers(exc),
        )  # fmt: skip
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, request, session)
    clear_login_csrf_cookie(response, request)
    return response


@admin_page
async def logout(request: Request, caller: PageCaller) -> Response:
    """Ends the caller's session (its token family: the cookie, the dashboard's tokens and
    its open sockets with it)."""
    await checked_form(request, caller)
    runtime: Runtime = request.state.runtime
    async with runtime.uow() as uow:
        await service.logout(uow, runtime.auth, actor=caller.viewer)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response
