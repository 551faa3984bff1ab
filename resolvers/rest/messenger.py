"""Seed 001 (messenger) legacy routes: registration and JWT auth."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from domain.accounts import service
from resolvers.permissions import client_address
from resolvers.rest.drf import drf_view, optional_string, read_body, required_strings
from resolvers.rest.serializers import token_pair_json, user_json

if TYPE_CHECKING:
    from starlette.requests import Request

    from domain.bootstrap import Runtime


@drf_view
async def register(request: Request) -> JSONResponse:
    runtime: Runtime = request.state.runtime
    data = await read_body(request)
    username, password = required_strings(data, "username", "password")
    async with runtime.uow() as uow:
        user = await service.register_user(
            uow,
            runtime.auth,
            username=username,
            password=password,
            first_name=optional_string(data, "first_name"),
            last_name=optional_string(data, "last_name"),
            bio=optional_string(data, "bio") or None,
        )
    return JSONResponse(user_json(user, runtime.auth.clock.now()), status_code=201)


@drf_view
async def obtain_tokens(request: Request) -> JSONResponse:
    runtime: Runtime = request.state.runtime
    username, password = required_strings(await read_body(request), "username", "password")
    async with runtime.uow() as uow:
        pair = await service.login(
            uow,
            runtime.auth,
            username=username,
            password=password,
            client=client_address(request),
        )
    return JSONResponse(token_pair_json(pair))


@drf_view
async def refresh_tokens(request: Request) -> JSONResponse:
    runtime: Runtime = request.state.runtime
    (refresh,) = required_strings(await read_body(request), "refresh")
    async with runtime.uow() as uow:
        pair = await service.refresh_tokens(uow, runtime.auth, refresh_token=refresh)
    return JSONResponse(token_pair_json(pair))
