"""Driving the pages as a browser does: the login form, the session cookie, the CSRF field."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from domain.invites.model import InviteLog
from domain.invites.rules import InviteStatus
from resolvers.pages.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.api.rest.factories import PASSWORD, create_admin

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

_HIDDEN = r'name="{name}" value="([^"]*)"'


def hidden(page: str, name: str) -> str:
    """The value of a form's hidden field on a page."""
    found = re.search(_HIDDEN.format(name=re.escape(name)), page)
    assert found is not None, f"no field {name} on the page"
    return html.unescape(found.group(1))


def field_value(page: str, name: str) -> str:
    """An input's value (``id`` = ``name``) as the page shows it."""
    found = re.search(rf'<input id="{re.escape(name)}"[^>]*?\svalue="([^"]*)"', page, re.S)
    assert found is not None, f"no input {name} on the page"
    return html.unescape(found.group(1))


async def login_form(http: httpx.AsyncClient, next_path: str | None = None) -> str:
    params = {"next": next_path} if next_path is not None else {}
    response = await http.get("/login", params=params)
    assert response.status_code == 200, response.text
    return response.text


async def sign_in(
    http: httpx.AsyncClient,
    username: str,
    password: str = PASSWORD,
    *,
    next_path: str | None = None,
) -> httpx.Response:
    """Opens the login page (its CSRF cookie and field) and posts the form, with ``next_path``
    as it is (a browser could send anything) instead of the page's own field."""
    page = await login_form(http)
    form = {
        "csrf_token": hidden(page, "csrf_token"),
        "next": hidden(page, "next") if next_path is None else next_path,
        "username": username,
        "password": password,
    }
    return await http.post("/login", data=form)


async def signed_in_admin(http: httpx.AsyncClient, runtime: Runtime) -> str:
    """An admin signed in on ``http`` (its cookie jar holds the session); the page's CSRF
    token."""
    admin = await create_admin(runtime)
    response = await sign_in(http, admin.username)
    assert response.status_code == 303, response.text
    assert SESSION_COOKIE in http.cookies
    return await page_csrf(http)


async def page_csrf(http: httpx.AsyncClient) -> str:
    page = await http.get("/admin")
    assert page.status_code == 200, page.text
    return hidden(page.text, "csrf_token")


def forget_login_form(http: httpx.AsyncClient) -> None:
    http.cookies.delete(LOGIN_CSRF_COOKIE)


async def add_log(
    runtime: Runtime,
    phone: str,
    status: InviteStatus = InviteStatus.INVITED,
    *,
    at: datetime | None = None,
    account_id: uuid.UUID | None = None,
    account_name: str | None = "+79990000100",
    channel: str = "test_channel",
    reason: str | None = None,
) -> int:
    """A log row as the dispatcher writes one (the scene of a page test)."""
    async with runtime.uow() as uow:
        row = InviteLog(
            task_id=uuid.uuid4(),
            account_id=account_id,
            account_name=account_name,
            channel_username=channel,
            phone=phone,
            status=status,
            reason=reason,
            created_at=at or datetime.now(UTC),
        )
        uow.session.add(row)
        await uow.session.flush()
        await uow.commit()
        return row.id
