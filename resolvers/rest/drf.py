"""Django REST Framework conventions of the legacy services: bodies, errors, statuses.

The single table that maps domain errors to legacy HTTP responses lives here.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from starlette import responses
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from typing_extensions import override

from domain.accounts.errors import InvalidToken
from domain.errors import (
    Conflict,
    DomainError,
    ExternalUnavailable,
    Invalid,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from domain.messenger.errors import OwnMessage, PrivateChatImmutable
from domain.text import text_errors
from resolvers.jsontext import compact_json

Handler = Callable[[Request], Awaitable[Response]]


class JSONResponse(responses.JSONResponse):
    """Starlette's JSON answer, encoded by orjson (``resolvers.jsontext``), for every legacy
    route: the same bytes for a fraction of the CPU."""

    @override
    def render(self, content: Any) -> bytes:
        return compact_json(content)


STATUS: dict[type[DomainError], int] = {
    PrivateChatImmutable: 405,  # seed 001: a private chat has no PATCH
    OwnMessage: 403,  # seed 001's IsNotMessageSender permission
    Invalid: 400,
    Conflict: 400,
    Unauthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    RateLimited: 429,
    ExternalUnavailable: 503,
}


def _status(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_response(exc: DomainError) -> JSONResponse:
    body: Any = {"detail": exc.message}
    headers: dict[str, str] = {}
    if isinstance(exc, Invalid) and exc.field_errors:
        body = exc.field_errors
    elif isinstance(exc, InvalidToken):
        body = {"detail": exc.message, "code": exc.code}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(int(exc.retry_after) + 1)
    return JSONResponse(body, status_code=_status(exc), headers=headers)


def drf_view(handler: Handler) -> Handler:
    """Answer domain errors in the legacy error shape."""

    @wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except DomainError as exc:
            return error_response(exc)
        finally:
            # Starlette never closes a parsed form itself: release uploaded temporary files.
            await request.close()

    return wrapper


# The groups whose clients sign in with HTTP Basic (tghub's admins; the originals had none).
BASIC_CHALLENGE = 'Basic realm="tghub"'


def basic_view(handler: Handler) -> Handler:
    """``drf_view``, and a 401 that asks for HTTP Basic credentials (a browser then shows its
    login prompt; scripts send them with every request)."""
    answering = drf_view(handler)

    @wraps(handler)
    async def wrapper(request: Request) -> Response:
        response = await answering(request)
        if response.status_code == 401:
            response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
        return response

    return wrapper


async def read_body(request: Request) -> dict[str, Any]:
    """The request's fields from JSON, form or multipart, as DRF parsers would give them."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        try:
            form = await request.form()
        except HTTPException as exc:  # Starlette's answer to a malformed form body
            if exc.status_code == 413:  # the body limit, met while streaming
                raise
            raise Invalid({}, message=f"Form parse error - {exc.detail}") from exc
        return dict(form.items())
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        # UTF-8 only, as DRF's JSONParser: json.loads would guess UTF-16/32 from the bytes.
        # ValueError covers malformed JSON, bad UTF-8 and integers past Python's digit limit;
        # RecursionError is what deeply nested arrays or objects raise.
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise Invalid({}, message=f"JSON parse error - {exc}") from exc
    if not isinstance(data, dict):
        raise Invalid(
            {
                "non_field_errors": [
                    f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
                ]
            }
        )
    return data


def required_strings(data: dict[str, Any], *names: str) -> list[str]:
    """The named fields as strings, or Invalid listing each missing or blank one (DRF wording)."""
    errors: dict[str, list[str]] = {}
    for name in names:
        value = data.get(name)
        if value is None:
            errors[name] = ["This field is required."]
        elif not isinstance(value, str):
            errors[name] = ["Not a valid string."]
        elif not value:
            errors[name] = ["This field may not be blank."]
        elif unstorable := text_errors(value):
            # DRF's CharField refuses NUL; PostgreSQL and Redis take neither NUL nor bad UTF-8.
            errors[name] = unstorable
    if errors:
        raise Invalid(errors)
    return [data[name] for name in names]


def optional_string(data: dict[str, Any], name: str, default: str = "") -> str:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise Invalid.single(name, "Not a valid string.")
    if unstorable := text_errors(value):
        raise Invalid({name: unstorable})
    return value
