"""Who is calling: the authentication every resolver shares (what they may do is the
services' to decide)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.accounts import service
from domain.accounts.rules import TokenType
from domain.errors import DomainError, Unauthenticated
from resolvers.logcontext import identified

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection

    from domain.accounts.service import Viewer
    from schema.context import Context


def require_viewer(context: Context) -> Viewer:
    """The authenticated viewer, or UNAUTHENTICATED (with why a presented token failed)."""
    if context.viewer is not None:
        return context.viewer
    raise context.auth_error or Unauthenticated()


def client_address(request: HTTPConnection) -> str:
    """The caller's address (uvicorn puts the proxy's X-Forwarded-For here behind nginx)."""
    return request.client.host if request.client else "unknown"


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate_context(context: Context, token: str) -> None:
    """Sets ``context.viewer``, or ``context.auth_error`` when the token is refused or cannot
    be checked (the unit of work turns a database outage into ExternalUnavailable)."""
    try:
        async with context.uow() as uow:
            context.viewer = identified(
                await service.authenticate_token(
                    uow, context.auth, token=token, expected=TokenType.ACCESS
                )
            )
    except DomainError as exc:
        context.auth_error = exc
