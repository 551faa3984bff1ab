"""The baseline for ``graphql_overhead.py``: ``{ viewer { id } }`` without GraphQL.

A plain Starlette app, served the same way as the real one
(``uvicorn --factory tests.bench.plain_viewer:create_app``), whose ``POST /viewer`` does the
work the GraphQL endpoint does for that query: it parses the JSON body, reads the Bearer token,
authenticates it with the same domain service through a runtime built the same way (in the
lifespan), and answers with the same JSON, Relay global ID included.
"""

from __future__ import annotations

import base64
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from domain.accounts import service
from domain.accounts.rules import TokenType
from domain.bootstrap import Runtime, build_runtime
from domain.errors import DomainError
from domain.settings import Settings
from resolvers.permissions import bearer_token

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request


def relay_id(type_name: str, node_id: object) -> str:
    """What Strawberry's ``relay.to_base64`` produces."""
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


async def viewer(request: Request) -> JSONResponse:
    body = await request.json()
    if not isinstance(body, dict):
        return JSONResponse({"error": "expected a JSON object"}, status_code=400)
    runtime: Runtime = request.state.runtime
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return JSONResponse({"data": {"viewer": None}})
    async with runtime.uow() as uow:
        try:
            found = await service.authenticate_token(
                uow, runtime.auth, token=token, expected=TokenType.ACCESS
            )
        except DomainError:
            return JSONResponse({"error": "invalid token"}, status_code=401)
    return JSONResponse({"data": {"viewer": {"id": relay_id("User", found.user.id)}}})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Runtime]]:
        runtime = build_runtime(settings)
        await runtime.start()
        try:
            yield {"runtime": runtime}
        finally:
            await runtime.stop()

    return Starlette(routes=[Route("/viewer", viewer, methods=["POST"])], lifespan=lifespan)
