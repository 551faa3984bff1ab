"""What the log lines of a request say about it: its id, the route it matched, who it is.

The id is the caller's ``X-Request-ID`` when it is a sane one (a proxy's, say, so one id
follows the request through both logs), otherwise a new one; the route is the matched route's
path template, never the raw path (ids in paths would make every line unique); the user is
set where a request authenticates (``identified``).
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from typing_extensions import override

from domain.adapters.logs import bind, start_context

if TYPE_CHECKING:
    from starlette.datastructures import Headers
    from starlette.types import Scope

    from domain.accounts.service import Viewer

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators, as request ids are (uuids, nginx's hex, trace ids):
# nothing that could break a log line or forge another one.
SANE_REQUEST_ID = re.compile(r"[\w.:=+/-]{1,128}", re.ASCII)


def new_request_id() -> str:
    """The same form as the GraphQL context's id: 32 hex digits."""
    return uuid.uuid4().hex


def request_id_of(headers: Headers) -> str:
    given = headers.get(REQUEST_ID_HEADER, "")
    return given if SANE_REQUEST_ID.fullmatch(given) else new_request_id()


class RouteTemplate:
    """The path template of the route a request matched (``/tasks/{task_id}``), read when a
    line is written: Starlette's router records the route in the scope after the middleware
    that starts the context has run."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    @override
    def __str__(self) -> str:
        return str(getattr(self._scope.get("route"), "path", ""))


def start_request_context(scope: Scope, headers: Headers) -> str:
    """A request's log context, fresh: its id (returned) and its route."""
    request_id = request_id_of(headers)
    start_context(request_id=request_id, route=RouteTemplate(scope))
    return request_id


def identify(user_id: uuid.UUID) -> None:
    """The request's (or socket's) user, named on every log line from now on."""
    bind(user_id=user_id)


def identified(viewer: Viewer) -> Viewer:
    """``viewer``, identified (above)."""
    identify(viewer.user.id)
    return viewer
