"""Composition root of the API process: ``uvicorn --factory resolvers.app:create_app``."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from domain.accounts import service as accounts
from domain.bootstrap import Runtime, build_runtime
from domain.settings import Settings
from resolvers.health import healthz, readyz
from resolvers.rest import legacy_routes
from resolvers.root import GraphQLLimits, build_schema
from resolvers.view import GraphQLView

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"


async def ensure_configured_admin(runtime: Runtime) -> None:
    """TGHUB_ADMIN_USERNAME / TGHUB_ADMIN_PASSWORD create or update the admin at start."""
    settings = runtime.settings
    if settings.admin_username and settings.admin_password:
        async with runtime.uow() as uow:
            await accounts.ensure_admin(
                uow,
                runtime.auth.hasher,
                username=settings.admin_username,
                password=settings.admin_password.get_secret_value(),
            )


def graphql_view(settings: Settings) -> GraphQLView:
    limits = GraphQLLimits(
        max_depth=settings.graphql_max_depth,
        max_tokens=settings.graphql_max_tokens,
        max_aliases=settings.graphql_max_aliases,
        introspection=settings.graphql_allow_introspection,
    )
    return GraphQLView(
        build_schema(limits),
        allowed_origins=settings.cors_origins,
        max_subscriptions=settings.graphql_max_subscriptions,
    )


def cors(settings: Settings) -> Middleware:
    """The same origins setting also drives the websocket origin check (GraphQLView)."""
    return Middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["X-Request-ID"],
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Runtime]]:
        runtime = build_runtime(settings)
        await runtime.start()
        try:
            await ensure_configured_admin(runtime)
            yield {"runtime": runtime}
        finally:
            await runtime.stop()

    view = graphql_view(settings)
    routes = [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        *legacy_routes(),
    ]
    return Starlette(routes=routes, middleware=[cors(settings)], lifespan=lifespan)
