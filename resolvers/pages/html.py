"""HTML for the pages, with no template engine: ``render`` escapes every value it is given
unless it is already ``Html`` (markup built by these functions), so a value cannot end up
in the markup unescaped by forgetting to escape it."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from starlette.responses import HTMLResponse

from resolvers.pages import assets

if TYPE_CHECKING:
    from collections.abc import Iterable


class Html(str):
    """Markup that is safe as it is: built by ``render``/``join`` from escaped values."""

    __slots__ = ()


EMPTY = Html("")


def escape(value: object) -> Html:
    return value if isinstance(value, Html) else Html(html.escape(str(value), quote=True))


def render(template: str, /, **values: object) -> Html:
    """``template`` (``str.format`` fields, written by us) with every value escaped."""
    return Html(template.format(**{name: escape(value) for name, value in values.items()}))


def join(parts: Iterable[Html], separator: str = "\n") -> Html:
    return Html(separator.join(escape(part) for part in parts))


# Every page's headers: no script but our own files (no inline script, so markup that slipped
# through could run nothing), no framing, nothing cached (pages show a session's data).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

NAVIGATION = (("/dashboard", "Dashboard"), ("/logs", "Logs"), ("/admin", "Settings"))

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · tghub invites</title>
<link rel="icon" href="data:,">
{style}
{head}
</head>
<body>
<header class="bar">
<span class="brand">tghub invites</span>
<nav>{navigation}</nav>
{account}
</header>
<main>
<h1>{title}</h1>
{body}
</main>
{scripts}
</body>
</html>
"""

_SIGN_OUT = """<form class="sign-out" method="post" action="/logout">
<input type="hidden" name="csrf_token" value="{csrf}">
<span class="who">{username}</span> <button type="submit">Sign out</button>
</form>"""


def asset_tag(name: str) -> Html:
    """The tag loading one of the pages' pinned files (a stylesheet or a script)."""
    href, pin = assets.url(name), assets.integrity(name)
    if name.endswith(".css"):
        return render('<link rel="stylesheet" href="{href}" integrity="{pin}">', href=href, pin=pin)
    return render('<script src="{href}" integrity="{pin}" defer></script>', href=href, pin=pin)


def navigation(current: str) -> Html:
    links = (
        render(
            '<a href="{href}"{mark}>{label}</a>',
            href=href,
            label=label,
            mark=Html(' aria-current="page"') if href == current else Html(""),
        )
        for href, label in NAVIGATION
    )
    return join(links, " ")


def sign_out(username: str, csrf: str | None) -> Html:
    """The account corner: a sign-out form for a cookie session (a Bearer caller has no
    session of the pages to end)."""
    if csrf is None:
        return render('<span class="who">{username}</span>', username=username)
    return render(_SIGN_OUT, csrf=csrf, username=username)


def document(
    title: str,
    body: Html,
    *,
    current: str = "",
    account: Html = EMPTY,
    head: Html = EMPTY,
    scripts: Iterable[str] = (),
) -> Html:
    return render(
        _LAYOUT,
        title=title,
        style=asset_tag("pages.css"),
        head=head,
        navigation=navigation(current) if account else Html(""),
        account=account,
        body=body,
        scripts=join(asset_tag(name) for name in scripts),
    )


def page_response(
    content: Html, status_code: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    return HTMLResponse(
        str(content), status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
    )


def field_errors(messages: Iterable[str]) -> Html:
    """A field's messages, shown next to it."""
    items = [render('<li class="error">{message}</li>', message=m) for m in messages]
    return render('<ul class="errors">{items}</ul>', items=join(items)) if items else Html("")
