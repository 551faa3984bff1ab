"""The API's metrics: HTTP requests (a middleware), GraphQL operations (a schema extension),
and ``/metrics``, which serves every process's samples (``domain.metrics``).

Label values are bounded, whatever clients send: the route is the route's template
(``/api/chat/{chat_id}/``) or ``<unmatched>``, the method one of HTTP's or ``<other>``, and
an operation's name comes from its parsed document, the first ``MAX_OPERATION_NAMES``
distinct names of a process only (``<other>`` beyond, and for overlong names).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from graphql import get_operation_ast
from starlette.responses import Response
from starlette.routing import Mount
from strawberry.extensions import SchemaExtension
from typing_extensions import override

from domain.errors import ExternalUnavailable
from domain.metrics import metrics, render
from resolvers.rest.auth import require_admin
from resolvers.rest.drf import drf_view

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
    from strawberry.types import ExecutionContext

    from domain.bootstrap import Runtime

log = logging.getLogger(__name__)

UNMATCHED = "<unmatched>"
OTHER = "<other>"
ANONYMOUS = "<anonymous>"
# A document that does not parse, or names no operation it holds.
INVALID = "<invalid>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Known operations (codegen/operations/ and the dashboard's) number about 120.
MAX_OPERATION_NAMES = 200
MAX_NAME_LENGTH = 64


def route_template(scope: Scope) -> str:
    """The template of the route that answered (the router leaves it in the scope)."""
    route = scope.get("route")
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def method_label(method: str) -> str:
    return method if method in METHODS else OTHER


class HttpMetricsMiddleware:
    """Counts every HTTP request, and its time, by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # What the client gets when the app raises before answering: the error handler's 500.
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            labels = (method_label(scope["method"]), route_template(scope), str(status))
            recorded = metrics()
            recorded.http_requests.labels(*labels).inc()
            recorded.http_duration.labels(*labels).observe(time.perf_counter() - started)


class OperationNames:
    """The names an operation label may take in this process: the first ``cap`` distinct
    ones seen, each at most ``MAX_NAME_LENGTH`` long; ``<other>`` stands for the rest."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._admitted: set[str] = set()

    def label(self, name: str) -> str:
        if name in self._admitted:
            return name
        if len(name) > MAX_NAME_LENGTH or len(self._admitted) >= self._cap:
            return OTHER
        self._admitted.add(name)
        return name


OPERATION_NAMES = OperationNames(MAX_OPERATION_NAMES)


def operation_labels(context: ExecutionContext) -> tuple[str, str]:
    """``(name, type)`` of the operation the document and the request's name select."""
    document = context.graphql_document
    operation = None if document is None else get_operation_ast(document, context.operation_name)
    if operation is None:
        return INVALID, "unknown"
    kind = operation.operation.value
    if operation.name is None:
        return ANONYMOUS, kind
    return OPERATION_NAMES.label(operation.name.value), kind


class GraphQLMetrics(SchemaExtension):
    """Counts each operation once it finishes, by name, type and outcome: ``error`` when it
    raised or any of its results carried errors (a mutation's error union member is data,
    so ``ok``); a subscription counts when it ends."""

    @override
    def on_operation(self) -> Iterator[None]:
        raised = False
        try:
            yield
        except Exception:
            raised = True
            raise
        finally:
            context = self.execution_context
            name, kind = operation_labels(context)
            outcome = "error" if raised or context.pre_execution_errors else "ok"
            metrics().graphql_operations.labels(name, kind, outcome).inc()


@drf_view
async def metrics_endpoint(request: Request) -> Response:
    """Every process's samples on this host, for admins (HTTP Basic too), or for anyone
    with ``TGHUB_METRICS_OPEN``; the job queue's lengths are read from Redis now."""
    runtime: Runtime = request.state.runtime
    if not runtime.settings.metrics_open:
        await require_admin(request, allow_basic=True)
    try:
        queued: dict[str, int] | None = await runtime.queue.lengths()
    except ExternalUnavailable:
        log.warning("job queue lengths unavailable for /metrics (Redis does not answer)")
        queued = None
    # Reading every process's files is blocking work.
    body, content_type = await asyncio.to_thread(render, request.headers.get("accept"), queued)
    return Response(body, headers={"Content-Type": content_type})
