"""A websocket follows its session: every operation re-checks the token, and the socket closes
with 4403 when the session is revoked or the access token expires (and stays open while the
event bus has lost Redis: only its subscriptions end then).

A socket's context is built once, at the handshake, and authenticated once, at
``connection_init``. Left alone, a socket would keep its viewer (and its DataLoader caches)
for as long as it stays open, across a logout, a refresh or a deactivation.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sys
from typing import TYPE_CHECKING

from graphql import GraphQLError, GraphQLSyntaxError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected
from strawberry.extensions import SchemaExtension
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.graphql import OperationType
from typing_extensions import override

from domain.adapters.logs import bind
from domain.errors import ExternalUnavailable
from domain.metrics import websocket_open
from resolvers.accounts import session_revocation
from resolvers.loaders import Loaders
from resolvers.logcontext import new_request_id
from resolvers.permissions import authenticate_context
from schema.context import Context

if TYPE_CHECKING:
    import uuid
    from collections.abc import AsyncIterator
    from datetime import datetime

    from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
        ConnectionInitMessage,
        Message,
        SubscribeMessage,
    )

log = logging.getLogger(__name__)

FORBIDDEN = 4403
GUARD_TASK = "websocket-session-guard"
# How long a revoked socket lets its operations finish (so accountEvents tells the client
# why) before it closes; operations that outlive this end with the socket.
REVOCATION_NOTICE_SECONDS = 1.0
# While the bus (or the database) is unavailable the guard tries again this often, doubling.
GUARD_RETRY_START = 0.5
GUARD_RETRY_CAP = 5.0


class WebsocketOperationAuth(SchemaExtension):
    """Runs each operation on a websocket with its own context, authenticated afresh.

    The re-check refuses new operations after a logout, a revocation, a refresh rotation or a
    deactivation; fresh loaders keep DataLoader caches per operation, not per connection.
    HTTP contexts are built per request already and pass through untouched, except that a
    subscription over plain HTTP (which would run as a query and fail inside) is refused.
    """

    @override
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        on_socket = isinstance(getattr(context, "request", None), WebSocket)
        if on_socket and isinstance(context, Context):
            self.execution_context.context = await operation_context(context)
        elif self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            raise GraphQLError(
                "Subscriptions are served over a websocket (graphql-transport-ws) at /graphql.",
                extensions={"code": "BAD_REQUEST"},
            )
        yield


async def operation_context(connection: Context) -> Context:
    """A copy of the socket's context for one operation, its viewer checked again now; the
    operation's log lines carry its own request id (the one its errors report)."""
    context = dataclasses.replace(
        connection,
        loaders=Loaders(connection.uow, connection.secrets, connection.auth.clock),
        request_id=new_request_id(),
        viewer=None,
        auth_error=None,
    )
    bind(request_id=context.request_id)
    if connection.token is not None:
        await authenticate_context(context, connection.token)
    return context


class SessionBoundHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws whose socket closes (4403) when its session ends.

    After ``connection_ack`` a guard task waits for the session's revocation (a
    ``SessionRevoked`` event, or one already committed) and for the access token's expiry.
    The guard lives and dies with the connection: ``shutdown`` runs however it ends.
    """

    _guard: asyncio.Task[None] | None = None
    _closing = False

    @override
    async def handle(self) -> None:
        # The socket was accepted just before; it is open until this returns.
        with websocket_open(GRAPHQL_TRANSPORT_WS_PROTOCOL):
            await super().handle()

    @override
    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        self._forget_init_timeout()
        viewer = self.context.viewer
        if not self.connection_acknowledged or viewer is None or self._guard is not None:
            return
        # A token always names its session (only HTTP Basic viewers have none).
        if viewer.session_id is not None:
            guard = self._guard_session(viewer.user.id, viewer.session_id, viewer.expires_at)
            self._guard = asyncio.create_task(guard, name=GUARD_TASK)

    @override
    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # The sockets of an app send the same few documents: each operation keeps its text
        # for as long as it runs, so they share one copy (unused copies go, as any string).
        payload = message.get("payload")
        if isinstance(payload, dict) and type(payload.get("query")) is str:
            payload["query"] = sys.intern(payload["query"])
        await super().handle_subscribe(message)

    def _forget_init_timeout(self) -> None:
        # Strawberry cancels its connection_init timeout task but keeps it (and its
        # CancelledError with a traceback) for as long as the socket stays open.
        waiting = self.connection_init_timeout_task
        if waiting is None or not self.connection_init_received:
            return
        if waiting.done():
            self.connection_init_timeout_task = None
        else:
            waiting.add_done_callback(self._init_timeout_ended)

    def _init_timeout_ended(self, task: asyncio.Task[None]) -> None:
        if self.connection_init_timeout_task is task:
            self.connection_init_timeout_task = None

    @staticmethod
    @override
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        # A document that does not parse is answered like one that does not validate: an
        # ``error`` message for that operation; Strawberry would close the whole socket.
        if isinstance(error, GraphQLSyntaxError):
            return None
        return BaseGraphQLTransportWSHandler._get_pre_execution_close_reason(error)

    @override
    async def shutdown(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            await asyncio.wait([self._guard])
        await super().shutdown()

    @override
    async def send_message(self, message: Message) -> None:
        # Once the guard closes the socket, operations still streaming end with it quietly.
        if not self._closing:
            await super().send_message(message)

    async def _guard_session(
        self, user_id: uuid.UUID, session_id: uuid.UUID, expires_at: datetime | None
    ) -> None:
        try:
            reason = await self._session_end(user_id, session_id, expires_at)
            if reason == "revoked":
                await self._let_operations_finish()
            if reason is not None:
                await self._close(FORBIDDEN, f"Session {reason}")
        except Exception:
            log.exception("session guard of a websocket failed; closing it")
            await self._close(1011, "Internal error")

    async def _session_end(
        self, user_id: uuid.UUID, session_id: uuid.UUID, expires_at: datetime | None
    ) -> str | None:
        """``revoked`` or ``expired`` once the session ends; None if the bus stops."""
        seconds = None
        if expires_at is not None:
            seconds = (expires_at - self.context.auth.clock.now()).total_seconds()
        try:
            async with asyncio.timeout(seconds) as deadline:
                revoked = await self._revocation(user_id, session_id)
        except TimeoutError:
            if not deadline.expired():
                raise
            return "expired"
        return None if revoked is None else "revoked"

    async def _revocation(self, user_id: uuid.UUID, session_id: uuid.UUID) -> str | None:
        """``session_revocation``, listening again whenever the bus loses Redis.

        The socket stays open meanwhile: its operations re-check the session each time, and
        each new listening reads the database first, so a revocation published while the bus
        was down still closes the socket, only later.
        """
        loop, delay = asyncio.get_running_loop(), GUARD_RETRY_START
        while True:
            listening_since = loop.time()
            try:
                return await session_revocation(
                    self.context, user_id=user_id, session_id=session_id
                )
            except ExternalUnavailable:
                if loop.time() - listening_since > GUARD_RETRY_CAP:
                    delay = GUARD_RETRY_START  # it listened a while: this is a new outage
                await asyncio.sleep(delay)
                delay = min(delay * 2, GUARD_RETRY_CAP)

    async def _let_operations_finish(self) -> None:
        running = [op.task for op in self.operations.values() if op.task is not None]
        if running:
            await asyncio.wait(running, timeout=REVOCATION_NOTICE_SECONDS)

    async def _close(self, code: int, reason: str) -> None:
        self._closing = True
        with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected):  # client left
            await self.websocket.close(code=code, reason=reason)
