"""Seed 003 (mailing) legacy routes: registration and simplejwt-style token endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from domain.accounts import service
from domain.accounts.rules import UsernamePolicy
from resolvers.rest.drf import drf_view, read_body, required_strings

if TYPE_CHECKING:
    from starlette.requests import Request

    from domain.bootstrap import Runtime


@drf_view
async def register(request: Request) -> JSONResponse:
    runtime: Runtime = request.state.runtime
    username, password = required_strings(await read_body(request), "username", "password")
    async with runtime.uow() as uow:
        user = await service.register_user(
            uow,
            runtime.auth,
            username=username,
            password=password,
            policy=UsernamePolicy.DJANGO,
        )
    return JSONResponse({"username": user.username}, status_code=201)


@drf_view
async def verify_token(request: Request) -> JSONResponse:
    """200 ``{}`` for a live token of either type (a revoked family is not live)."""
    runtime: Runtime = request.state.runtime
    (token,) = required_strings(await read_body(request), "token")
    async with runtime.uow() as uow:
        await service.verify_token(uow, runtime.auth, token=token)
    return JSONResponse({})
