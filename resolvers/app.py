"""Composition root of the API process: ``uvicorn --factory resolvers.app:create_app``."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from typing_extensions import override

from domain.access import System
from domain.accounts import service as accounts
from domain.adapters.logs import configure_logging, context_value
from domain.bootstrap import Runtime, build_runtime
from domain.mailing import service as mailing
from domain.messenger.rules import REQUEST_BODY_MAX
from domain.metrics import start_metrics
from domain.settings import Settings
from resolvers.centrifugo import centrifugo_endpoint
from resolvers.health import healthz, readyz
from resolvers.logcontext import REQUEST_ID_HEADER, new_request_id, start_request_context
from resolvers.metrics import HttpMetricsMiddleware, metrics_endpoint
from resolvers.pages.routes import page_routes
from resolvers.rest import legacy_routes
from resolvers.rest.invites import MaskSecretInAccessLog
from resolvers.rest.openapi import openapi_json
from resolvers.rest.openapi_ui import openapi_ui_routes
from resolvers.root import GraphQLLimits, build_schema
from resolvers.view import GraphQLView

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence

    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
http_log = logging.getLogger("tghub.http")

STATIC_DIR = Path(__file__).parent / "static"
INTERNAL_ERROR = "Internal server error."


async def ensure_configured_admin(runtime: Runtime) -> None:
    """TGHUB_ADMIN_USERNAME / TGHUB_ADMIN_PASSWORD create or update the admin at start."""
    settings = runtime.settings
    if settings.admin_username and settings.admin_password:
        async with runtime.uow() as uow:
            await accounts.ensure_admin(
                uow,
                runtime.auth.hasher,
                actor=System("configured admin"),
                username=settings.admin_username,
                password=settings.admin_password.get_secret_value(),
            )


async def ensure_mailing_guests(runtime: Runtime) -> None:
    """With the legacy group ``mailing`` open, its anonymous callers' shared workspace is
    made at start (its owner, a service user nobody signs in as)."""
    if mailing.GROUP in runtime.settings.legacy_open:
        async with runtime.uow() as uow:
            await mailing.ensure_guest_workspace(uow)


def graphql_view(settings: Settings) -> GraphQLView:
    limits = GraphQLLimits(
        max_depth=settings.graphql_max_depth,
        max_tokens=settings.graphql_max_tokens,
        max_aliases=settings.graphql_max_aliases,
        introspection=settings.graphql_allow_introspection,
        sandbox=settings.telegram_mode == "simulated",
        metrics=settings.metrics_enabled,
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
        expose_headers=[REQUEST_ID_HEADER],
    )


class RequestIdMiddleware:
    """Every HTTP answer names its request, and every log line of a request or websocket
    carries its id, route and (once known) user: the context is started here and left to
    end with the request's task (so the 500 handler, outside, still logs with it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        request_id = start_request_context(scope, Headers(scope=scope))
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault(REQUEST_ID_HEADER, request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)


TOO_LARGE = f"Request body is larger than {REQUEST_BODY_MAX // (1024 * 1024)} MB."


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with 413: a declared length before anything is
    read, a streamed (chunked) body as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, limit: int = REQUEST_BODY_MAX) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await JSONResponse({"detail": TOO_LARGE}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, TOO_LARGE)
            return message

        await self.app(scope, limited_receive, send)


class SocketsAroundMiddleware(Starlette):
    """Starlette, handing a websocket straight to its route.

    The middleware is for HTTP: metrics, CORS, the body limit and the error pages all let a
    websocket pass untouched, yet each kept a suspended call per open socket (about 5 KiB of a
    socket's 33). A socket gets here what the request-id middleware would have given it, its
    log context; a path no socket route matches goes the usual way (and is refused there).
    """

    def __init__(self, *, socket_routes: Sequence[WebSocketRoute], **options: Any) -> None:
        super().__init__(**options)
        self.socket_routes = tuple(socket_routes)

    @override
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            for route in self.socket_routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child_scope, app=self, router=self.router, route=route)
                    start_request_context(scope, Headers(scope=scope))
                    await route.app(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


class BareSocketEndpoint:
    """A ``func(websocket)`` endpoint as a plain ASGI app. Starlette wraps such a function in
    its exception-handling layer, which has no use for a socket (its handlers answer HTTP)
    and stays suspended, with its closures, for as long as the socket is open."""

    def __init__(self, endpoint: Callable[[WebSocket], Awaitable[None]]) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoint(WebSocket(scope, receive=receive, send=send))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """Anything no handler expected: logged under an id, which is all the client is told."""
    request_id = context_value("request_id") or new_request_id()
    http_log.error(
        "unexpected error in %s %s (request %s)",
        request.method,
        request.url.path,
        request_id,
        exc_info=exc,
    )
    return JSONResponse(
        {"detail": INTERNAL_ERROR, "request_id": request_id},
        status_code=500,
        headers={REQUEST_ID_HEADER: request_id},
    )


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client left before its request was read: nobody to answer, nothing went wrong."""
    http_log.info("client disconnected during %s %s", request.method, request.url.path)
    return Response(status_code=499)  # nginx's "client closed request"; never delivered


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (unknown path, wrong method) in DRF's JSON error shape."""
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    if exc.status_code in {204, 304}:  # bodiless statuses, as Starlette's default handler
        return Response(status_code=exc.status_code, headers=exc.headers)
    detail = exc.detail
    if exc.status_code == 405:
        detail = f'Method "{request.method}" not allowed.'
    elif exc.status_code == 404:
        detail = "Not found."
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


ACCESS_LOG = "uvicorn.access"


def mask_secrets_in_access_log() -> None:
    """Once per process, however many apps it creates: the logger outlives them."""
    access = logging.getLogger(ACCESS_LOG)
    if not any(isinstance(f, MaskSecretInAccessLog) for f in access.filters):
        access.addFilter(MaskSecretInAccessLog())


# Container allocations between two collections of the youngest generation (Python's default
# is 700). A GraphQL chat list leaves a few hundred objects in reference cycles per request
# (DataLoaders, the executor's memos), so at 700 the collector ran several times a request.
YOUNG_GENERATION_THRESHOLD = 5000


@contextmanager
def collector_tuned_for_serving() -> Iterator[None]:
    """While the app serves: what exists once it has started (modules, the schema, pools) is
    moved out of the collector's sight (``gc.freeze``), and the youngest generation is
    collected less often. About a seventh of a GraphQL chat list's CPU went to collections
    that traversed the same long-lived objects again and again (docs/perf.md). Both are
    undone when the app stops."""
    thresholds = gc.get_threshold()
    # No collection first: a full one costs a test run's processes, which start apps by the
    # hundred, far more than the little garbage of a start that it would free.
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    # `uvicorn --factory`: nobody configured logging yet (`tghub serve` and tests did).
    configure_logging(settings.log_level, settings.log_format)
    mask_secrets_in_access_log()
    start_metrics(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Runtime]]:
        runtime = build_runtime(settings)
        await runtime.start()
        try:
            await ensure_configured_admin(runtime)
            await ensure_mailing_guests(runtime)
            with collector_tuned_for_serving():
                yield {"runtime": runtime}
        finally:
            await runtime.stop()

    view = graphql_view(settings)
    socket_routes = [
        WebSocketRoute("/graphql", view),
        # Seed 001's apps connect the Centrifugo JavaScript client here.
        WebSocketRoute("/connection/websocket/", BareSocketEndpoint(centrifugo_endpoint)),
        WebSocketRoute("/connection/websocket", BareSocketEndpoint(centrifugo_endpoint)),
    ]
    routes = [
        Route("/graphql", view, methods=["GET", "POST"]),
        *socket_routes,
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        *openapi_ui_routes(),
        *(
            [Route("/metrics", metrics_endpoint, methods=["GET"])]
            if settings.metrics_enabled
            else []
        ),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        *legacy_routes(),
        *page_routes(),
    ]
    return SocketsAroundMiddleware(
        socket_routes=socket_routes,
        routes=routes,
        # HttpMetricsMiddleware outermost, so it counts every answer; RequestIdMiddleware
        # next, so CORS preflight answers carry an id too.
        middleware=[
            *([Middleware(HttpMetricsMiddleware)] if settings.metrics_enabled else []),
            Middleware(RequestIdMiddleware),
            cors(settings),
            Middleware(BodyLimitMiddleware),
        ],
        exception_handlers={
            Exception: unexpected_error,
            HTTPException: http_error,
            ClientDisconnect: client_gone,
        },
        lifespan=lifespan,
    )
