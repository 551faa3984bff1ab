"""The GraphQL endpoint: context per request, websocket auth, the offline GraphiQL page."""

from __future__ import annotations

import functools
import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry import UNSET
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from typing_extensions import override

from domain.adapters.logs import context_value
from domain.jobs import service as jobs
from resolvers.jsontext import graphql_json
from resolvers.loaders import Loaders
from resolvers.logcontext import REQUEST_ID_HEADER, new_request_id
from resolvers.permissions import authenticate_context, bearer_token
from resolvers.sharing import next_message_json
from resolvers.uploads import with_files
from resolvers.websocket import SessionBoundHandler
from schema.context import Context

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cross_web import AsyncHTTPRequestAdapter
    from starlette.websockets import WebSocket
    from strawberry.types.unset import UnsetType

    from domain.bootstrap import Runtime
    from domain.jobs.schedule import Schedule
    from domain.settings import Settings
    from resolvers.root import Schema

GRAPHIQL_HTML = Path(__file__).parent / "static" / "graphiql" / "index.html"


_schedules: dict[int, tuple[Settings, Schedule]] = {}


def schedule_of(settings: Settings) -> Schedule:
    """The scheduled jobs of these settings, built once per runtime rather than per request
    (every websocket kept its own copy: seven jobs, their crons and texts)."""
    kept = _schedules.get(id(settings))
    if kept is None or kept[0] is not settings:
        if len(_schedules) >= 16:  # runtimes come and go in tests: keep the last few
            _schedules.clear()
        kept = _schedules[id(settings)] = (settings, jobs.scheduled_jobs(settings))
    return kept[1]


class GraphQLView(GraphQL[Context, None]):
    # Re-checks each operation's token and closes the socket when its session ends.
    graphql_transport_ws_handler_class = SessionBoundHandler

    def __init__(
        self, schema: Schema, *, allowed_origins: Sequence[str], max_subscriptions: int
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=max_subscriptions,
            allowed_origins=allowed_origins,
            multipart_uploads_enabled=True,  # the GraphQL multipart request spec (uploads)
        )

    @override
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        runtime: Runtime = request.state.runtime
        context = Context(
            request=request,
            response=response,
            uow=runtime.uow,
            auth=runtime.auth,
            events=runtime.bus,
            loaders=Loaders(runtime.uow, runtime.secrets, runtime.auth.clock),
            secrets=runtime.secrets,
            messenger=runtime.messenger,
            schedule=schedule_of(runtime.settings),
            sandbox=runtime.sandbox,
            invite_region=runtime.settings.invite_default_region,
            # The id the request's log lines carry (RequestIdMiddleware).
            request_id=context_value("request_id") or new_request_id(),
        )
        if isinstance(response, Response):
            response.headers[REQUEST_ID_HEADER] = context.request_id
        if isinstance(request, Request):
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                context.token = token
                await authenticate_context(context, token)
        return context

    @override
    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        token = _token_from_params(context.connection_params)
        if token is None:
            raise ConnectionRejectionError(
                {"message": "Authentication credentials were not provided."}
            )
        context.token = token
        await authenticate_context(context, token)
        if context.viewer is None:
            raise ConnectionRejectionError({"message": "Token is invalid or expired"})
        return cast("UnsetType", UNSET)

    @override
    async def run(  # one body for both of Strawberry's overloads
        self, request: Any, context: Any = UNSET, root_value: Any = UNSET
    ) -> Any:
        # Strawberry never closes a parsed form: uploads would keep their temporary files.
        try:
            return await super().run(request, context, root_value)
        finally:
            if isinstance(request, Request):
                await request.close()

    @override
    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        try:
            form = await request.get_form_data()
        except ValueError as exc:
            raise HTTPException(400, "Unable to parse the multipart body") from exc
        operations, files_map = (
            self.parse_json(field) if isinstance(field, str | bytes) else field
            for field in (form.form.get("operations", "{}"), form.form.get("map", "{}"))
        )
        result: dict[str, str] = with_files(operations, files_map, form.files)
        return result

    @override
    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(_graphiql_page())

    @override
    def encode_json(self, data: object) -> str | bytes:
        # A subscription result shared between sockets is encoded once (resolvers.sharing).
        # Text, not bytes: a socket sends bytes as a binary frame.
        shared = next_message_json(data)
        return shared if shared is not None else graphql_json(data).decode()

    @override
    def decode_json(self, data: str | bytes) -> object:
        # Strawberry turns only JSONDecodeError into its 400 (HTTP) or close 4400 (websocket).
        # Deep nesting raises RecursionError; bad UTF-8 and integers past Python's digit limit
        # raise ValueError: the same bad input, which would otherwise be a 500.
        try:
            return super().decode_json(data)
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as exc:
            raise json.JSONDecodeError(f"{type(exc).__name__}: {exc}", "", 0) from exc


@functools.cache
def _graphiql_page() -> str:
    return GRAPHIQL_HTML.read_text()


def _token_from_params(params: dict[str, Any] | None) -> str | None:
    """Accepts ``{"Authorization": "Bearer …"}`` (GraphiQL headers) or ``{"authToken": …}``."""
    if not isinstance(params, dict):
        return None
    for key in ("Authorization", "authorization"):
        if isinstance(params.get(key), str):
            return bearer_token(params[key])
    token = params.get("authToken") or params.get("token")
    return token if isinstance(token, str) and token else None
