"""The legacy REST contract, declared once per route: the routes are built from it, the
OpenAPI document (``resolvers.rest.openapi``) is generated from it, and with the setting
``check_contract`` every answer a handler gives is validated against it.

An ``Endpoint`` is one path with an ``Operation`` per method. Request and answer shapes are
pydantic types (``Shape`` models, lists of them, plain types); pydantic writes their JSON
Schema. Request bodies and queries are read by the DRF-compatible readers of
``resolvers.rest.fields`` (their lenient parsing and legacy messages are part of the contract);
the declared shapes document what those readers accept, and the schemathesis run over the
document checks that the two agree.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, wraps
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import Receive, Scope, Send

    from domain.bootstrap import Runtime

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
CSV = "text/csv"
TEXT = "text/plain"
ANY = "*/*"  # an answer whose media type varies (a stored file's own): any matches

PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")

Handler = Callable[["Request"], Awaitable[Response]]


class Shape(BaseModel):
    """A JSON object of the contract. Keys it does not declare fail the check: the document
    names every key an answer carries."""

    model_config = ConfigDict(extra="forbid")


class System(enum.Enum):
    """The original services, each a tag of the document (their seed numbers in docs/rest.md)."""

    SEEONLINE = "SeeOnline (000)"
    MESSENGER = "Messenger (001)"
    BOTS = "Bots and channels (002)"
    MAILING = "Mailing (003)"
    INVITES = "Invites (004)"


class Auth(enum.Enum):
    """How a caller may prove who they are; the values name the document's security schemes."""

    BEARER = "bearer"
    BASIC = "basic"
    WEBHOOK_SECRET = "webhookSecret"  # noqa: S105 - a scheme's name
    WEBHOOK_SECRET_QUERY = "webhookSecretQuery"  # noqa: S105
    PAGE_SESSION = "pageSession"


@dataclass(frozen=True)
class Answer:
    """One status an operation answers with; ``shape`` None means no body."""

    status: int
    description: str
    shape: Any = None
    media_type: str = JSON
    headers: Mapping[str, str] = field(default_factory=dict)  # name -> description


class Detail(Shape):
    """DRF's error body: a message, and a code for token errors."""

    detail: str
    code: str | None = None


# DRF's 400: the bad fields with their messages (``non_field_errors`` for the whole body; a
# list's items by position), or ``detail`` for a body that could not be parsed.
FieldErrors = dict[str, list[str] | dict[str, list[str]] | str]
INVALID = Answer(400, "The request is invalid: each bad field with its messages.", FieldErrors)
# Sign-ins fail too often from the caller's address: a login route's, or HTTP Basic's
# (only failed checks count, so a client sending the right password is never limited).
LOGIN_LIMITED = Answer(
    429,
    "Too many failed sign-ins from this address.",
    Detail,
    headers={"Retry-After": "Seconds to wait."},
)


@dataclass(frozen=True)
class Operation:
    """One method of an endpoint. ``auth`` empty: anyone may call it. ``path`` gives the
    path parameters' types (a string by default)."""

    summary: str
    answers: tuple[Answer, ...]
    auth: tuple[Auth, ...] = (Auth.BEARER,)
    query: type[Shape] | None = None
    body: Any = None
    body_media: tuple[str, ...] = (JSON, FORM, MULTIPART)
    path: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    # Answers every operation of this kind can give, added to the declared ones (see below).
    standard_answers: bool = True
    # The answer to a body or query its readers refuse: DRF's 400, unless the system had
    # other conventions (seed 002 was FastAPI: 422).
    refused: Answer = INVALID

    def all_answers(self, path_template: str) -> dict[int, Answer]:
        answers = {answer.status: answer for answer in self.answers}
        if self.standard_answers:
            for answer in _standard_answers(self, path_template):
                answers.setdefault(answer.status, answer)
        return answers


def _standard_answers(operation: Operation, path_template: str) -> list[Answer]:
    """What the shared machinery answers whatever the handler: the legacy error shapes."""
    answers = []
    if operation.body is not None or operation.query is not None:
        answers.append(operation.refused)
    if operation.auth:
        answers.append(Answer(401, "No credentials, or bad ones.", Detail))
        answers.append(Answer(403, "The caller may not do this.", Detail))
    if Auth.BASIC in operation.auth:
        answers.append(LOGIN_LIMITED)
    if "{" in path_template:
        answers.append(Answer(404, "Nothing at this path.", Detail))
    if operation.body is not None:
        answers.append(Answer(413, "The body is over the size limit.", Detail))
    answers.append(Answer(503, "A store tghub depends on is unavailable; retry later.", Detail))
    return answers


@dataclass(frozen=True)
class Endpoint:
    """A legacy path, its handler and its operations. ``twin``: the path also answers
    without its trailing slash (legacy clients call both; neither redirects, since many
    clients turn a redirected POST into a GET)."""

    path: str
    handler: Handler
    operations: Mapping[str, Operation]
    system: System
    twin: bool = True

    @property
    def methods(self) -> list[str]:
        return list(self.operations)

    @property
    def paths(self) -> list[str]:
        if self.twin and self.path.endswith("/"):
            return [self.path, self.path.rstrip("/")]
        return [self.path]

    def routes(self) -> list[BaseRoute]:
        handler = checked(self)
        return [Route(path, handler, methods=self.methods) for path in self.paths]


def path_key(template: str) -> str:
    """A path with its parameters' names left out: templates that differ only in those names
    match the same requests (and OpenAPI holds them as one path)."""
    return PATH_PARAMETER.sub("{}", template)


def routes(endpoints: list[Endpoint]) -> list[BaseRoute]:
    """The endpoints' routes in table order. A path answers for itself, as Django's URL table
    did: after the last endpoint of a template, a route refuses every method none of them
    declares (405), so such a request never falls through to a later template that also
    matches it (``PATCH /api/user/offline/`` is no ``PATCH /api/user/{user_id}/``)."""
    sharing: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        sharing.setdefault(path_key(endpoint.path), []).append(endpoint)
    built: list[BaseRoute] = []
    for endpoint in endpoints:
        built += endpoint.routes()
        same = sharing[path_key(endpoint.path)]
        if endpoint is same[-1]:
            allowed = {method for each in same for method in each.methods}
            if "GET" in allowed:
                allowed.add("HEAD")  # Starlette answers HEAD with GET's route
            built += [NotAllowed(path, allowed) for path in endpoint.paths]
    return built


class NotAllowed(Route):
    """Every method on ``path`` refused with 405 and the methods that are allowed."""

    def __init__(self, path: str, allowed: set[str]) -> None:
        # An ASGI app rather than a request function: Starlette routes every method to it.
        super().__init__(path, _Refuse(", ".join(sorted(allowed))))


class _Refuse:
    def __init__(self, allow: str) -> None:
        self.allow = allow

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise HTTPException(405, headers={"Allow": self.allow})


# --- the check ---------------------------------------------------------------------------------


class ContractBroken(Exception):
    """An answer the contract does not declare: a bug in the handler or in the declaration."""


@cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def check_answer(endpoint: Endpoint, method: str, response: Response) -> None:
    """Raise ContractBroken unless the answer's status, media type and body are declared."""
    # HEAD is GET without its body, unless the endpoint declares a HEAD of its own.
    declared = "GET" if method == "HEAD" and "HEAD" not in endpoint.operations else method
    operation = endpoint.operations[declared]
    answer = operation.all_answers(endpoint.path).get(response.status_code)
    where = f"{method} {endpoint.path} answered {response.status_code}"
    if answer is None:
        raise ContractBroken(f"{where}, a status the contract does not declare")
    body: bytes | None = getattr(response, "body", None)  # None: a streamed answer
    if answer.shape is None:
        if body:
            raise ContractBroken(f"{where} with a body where the contract declares none")
        return
    media_type = response.headers.get("content-type", "").split(";")[0]
    if answer.media_type not in (ANY, media_type):
        raise ContractBroken(f"{where} as {media_type!r}, declared {answer.media_type!r}")
    if answer.media_type == JSON and method != "HEAD" and body is not None:
        try:
            _adapter(answer.shape).validate_json(body, strict=True)
        except ValidationError as exc:
            raise ContractBroken(f"{where} with a body off its shape: {exc}") from exc


def checked(endpoint: Endpoint) -> Handler:
    """The handler, its answers validated against the contract when the setting says so."""
    handler = endpoint.handler

    @wraps(handler)
    async def checking(request: Request) -> Response:
        response = await handler(request)
        runtime: Runtime = request.state.runtime
        if runtime.settings.check_contract:
            check_answer(endpoint, request.method, response)
        return response

    return checking
