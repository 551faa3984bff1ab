"""Who is calling a legacy route: Bearer tokens everywhere, HTTP Basic where a group used it."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from domain.access import Guest
from domain.accounts import service
from domain.accounts.errors import InvalidCredentials
from domain.accounts.rules import TokenType
from domain.errors import PermissionDenied, Unauthenticated
from resolvers.logcontext import identified
from resolvers.permissions import bearer_token, client_address

if TYPE_CHECKING:
    from starlette.requests import Request

    from domain.access import Actor
    from domain.accounts.service import Viewer
    from domain.bootstrap import Runtime
    from domain.settings import LegacyGroup


MALFORMED_BASIC = "Invalid basic header. Credentials not correctly base64 encoded."


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(username, password)``; None unless the scheme is Basic; a malformed one raises (DRF)."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCredentials(MALFORMED_BASIC) from exc
    username, sep, password = decoded.partition(":")
    # PostgreSQL text cannot hold NUL: such a name could only fail the lookup with a 500.
    if not sep or "\x00" in username:
        raise InvalidCredentials(MALFORMED_BASIC)
    return username, password


async def request_viewer(request: Request, *, allow_basic: bool = False) -> Viewer | None:
    """The caller, None when anonymous; a presented but bad credential raises."""
    runtime: Runtime = request.state.runtime
    header = request.headers.get("authorization")
    token = bearer_token(header)
    async with runtime.uow() as uow:
        if token is not None:
            return identified(
                await service.authenticate_token(
                    uow, runtime.auth, token=token, expected=TokenType.ACCESS
                )
            )
        credentials = basic_credentials(header) if allow_basic else None
        if credentials is not None:
            user = await service.authenticate(
                uow,
                runtime.auth,
                username=credentials[0],
                password=credentials[1],
                client=client_address(request),
            )
            return identified(service.Viewer(user=user, session_id=None))
    return None


async def require_group_access(
    request: Request, group: LegacyGroup, *, allow_basic: bool = False
) -> Actor:
    """The actor of a legacy group's route: the caller; an anonymous caller is a ``Guest``
    when the operator opened the group, and is refused otherwise. Admins always pass; a
    closed group refuses everyone else before any work (the services check again)."""
    runtime: Runtime = request.state.runtime
    viewer = await request_viewer(request, allow_basic=allow_basic)
    is_open = group in runtime.settings.legacy_open
    if viewer is None:
        if not is_open:
            raise Unauthenticated
        return Guest(group)
    if not (is_open or viewer.is_admin):
        raise PermissionDenied
    return viewer


async def require_user_or_guest(request: Request, group: LegacyGroup) -> Actor:
    """The actor of a legacy group whose services keep each user's rows apart (``mailing``):
    any signed-in caller (a token; the services show a user their own rows, admins
    everyone's); an anonymous caller is the group's ``Guest`` when the operator opened it,
    and is refused otherwise. A presented but bad token is refused, open or not."""
    viewer = await request_viewer(request)
    if viewer is not None:
        return viewer
    runtime: Runtime = request.state.runtime
    if group not in runtime.settings.legacy_open:
        raise Unauthenticated
    return Guest(group)


async def require_user(request: Request) -> Viewer:
    """The signed-in caller (a token); UNAUTHENTICATED for anyone else."""
    viewer = await request_viewer(request)
    if viewer is None:
        raise Unauthenticated
    return viewer


async def require_admin(request: Request, *, allow_basic: bool = False) -> Viewer:
    """A signed-in admin; UNAUTHENTICATED for an anonymous caller, PERMISSION_DENIED for
    anyone else."""
    viewer = await request_viewer(request, allow_basic=allow_basic)
    if viewer is None:
        raise Unauthenticated
    if not viewer.is_admin:
        raise PermissionDenied
    return viewer
