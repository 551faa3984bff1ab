"""Centrifugo-compatible realtime socket for seed 001's single-page apps.

Those apps run centrifuge-js against ``/connection/websocket`` and speak Centrifugo's JSON
client protocol (v2): commands up as JSON objects, several per frame separated by newlines;
replies (matched by ``id``) and pushes down; ``{}`` as the server's ping and the client's pong.
This endpoint serves the part of that protocol the apps use - connect, subscribe to the user's
own channel, unsubscribe, token refresh and pings - from the event bus, so tghub replaces the
Centrifugo server without the apps changing. Error and close codes are Centrifugo's, because
the clients decide by them whether to fetch a new token, resubscribe or reconnect.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import json
import logging
import math
import types
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from starlette.status import WS_1008_POLICY_VIOLATION
from starlette.websockets import WebSocketDisconnect, WebSocketDisconnected
from strawberry.http.websocket_origin import is_same_origin, normalize_origin

from domain.accounts.errors import InvalidToken, TokenExpired
from domain.accounts.events import SessionRevoked
from domain.accounts.service import authenticate_realtime_token
from domain.errors import ExternalUnavailable
from domain.metrics import websocket_open
from resolvers.events import KeyClock, decoded, key_clock
from resolvers.logcontext import identify
from resolvers.rest.serializers import publication

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence

    from starlette.types import Message
    from starlette.websockets import WebSocket

    from domain.accounts.rules import RealtimeClaims
    from domain.bootstrap import Runtime

    Handler = Callable[["Connection", "Command"], Awaitable[dict[str, Any] | None]]

log = logging.getLogger(__name__)

VERSION = "tghub"
# The protocol's name in the metrics (its clients ask for no websocket subprotocol).
PROTOCOL = "centrifugo"
# What the socket raises when the peer is gone: nothing to report, only to stop.
CLIENT_GONE = (WebSocketDisconnect, WebSocketDisconnected)


@dataclass(frozen=True)
class Timing:
    """Centrifugo's ping cadence; a module setting (``TIMING``) so tests can shorten it."""

    ping_interval: float = 25  # Centrifugo's default; sent to the client in the connect reply
    # A connected client answers every ping, so one silent for ping_interval + pong_timeout
    # missed a pong (or is gone without a close): "no pong", and it reconnects.
    pong_timeout: float = 10
    stale_delay: float = 10  # how long a socket may stay open without a successful connect


TIMING = Timing()


@dataclass(frozen=True)
class Close:
    """A Centrifugo disconnect, sent as the websocket close code and reason. Codes 3500-3999
    are terminal (the client does not reconnect); the others make it reconnect."""

    code: int
    reason: str


SHUTDOWN = Close(3001, "shutdown")
INTERNAL = Close(3004, "internal server error")
NO_PONG = Close(3012, "no pong")
INVALID_TOKEN = Close(3500, "invalid token")
BAD_REQUEST = Close(3501, "bad request")
STALE = Close(3502, "stale")
# Centrifugo's "slow": a client that does not read its frames as fast as they come.
SLOW = Close(3008, "slow")
INSUFFICIENT_STATE = Close(3010, "insufficient state")
# Frames a socket may owe before it counts as slow (Centrifugo's own bound is 1 MB of them).
BACKLOG_LIMIT = 256


class Disconnect(Exception):
    """Ends the connection with a Centrifugo disconnect."""

    def __init__(self, close: Close) -> None:
        super().__init__(close.reason)
        self.close = close


@dataclass(frozen=True)
class ReplyError:
    """A Centrifugo error reply to one command; the connection stays open."""

    code: int
    message: str
    temporary: bool = False

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.temporary:
            body["temporary"] = True
        return body


INTERNAL_ERROR = ReplyError(100, "internal server error", temporary=True)
PERMISSION_DENIED = ReplyError(103, "permission denied")
METHOD_NOT_FOUND = ReplyError(104, "method not found")
ALREADY_SUBSCRIBED = ReplyError(105, "already subscribed")
NOT_AVAILABLE = ReplyError(108, "not available")
# centrifuge-js and centrifuge-python fetch a new token (get_token) on this code, and only on it.
TOKEN_EXPIRED = ReplyError(109, "token expired")


class CommandError(Exception):
    def __init__(self, error: ReplyError) -> None:
        super().__init__(error.message)
        self.error = error


class Command(NamedTuple):
    id: int
    method: str
    params: dict[str, Any]


def encode(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


# --- protocol parsing ------------------------------------------------------------------------


def parse_command(line: str) -> Command | None:
    """One command of a frame; None for ``{}``, the client's pong. Anything that is not a
    well-formed command is Centrifugo's "bad request" disconnect."""
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        raise Disconnect(BAD_REQUEST) from None
    if value == {}:
        return None
    if not isinstance(value, dict):
        raise Disconnect(BAD_REQUEST)
    command_id = value.pop("id", 0)
    if len(value) != 1 or type(command_id) is not int or command_id < 0:
        raise Disconnect(BAD_REQUEST)
    [(method, params)] = value.items()
    # Only ``send`` (fire-and-forget) goes without an id; everything else expects a reply.
    if not isinstance(params, dict) or (command_id == 0 and method != "send"):
        raise Disconnect(BAD_REQUEST)
    return Command(command_id, method, params)


def frame_text(message: Message) -> str | None:
    """The text of a received frame; None once the client is gone."""
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    if text is not None:
        return str(text)
    try:
        return bytes(message.get("bytes") or b"").decode()
    except UnicodeDecodeError:
        raise Disconnect(BAD_REQUEST) from None


def channel_of(params: dict[str, Any]) -> str:
    channel = params.get("channel")
    if not isinstance(channel, str) or not channel:
        raise Disconnect(BAD_REQUEST)
    return channel


# --- publications ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def publication_json(text: str, base_url: str, clock: KeyClock) -> str | None:
    """A bus event as the JSON of seed 001's publication; None for events the legacy apps do not
    get (or cannot be read). Cached: one event reaches thousands of sockets, and decoding and
    rendering it once per socket would cost more than sending it. ``clock`` is part of the key
    only so that each runtime renders with its own clock; the first render's ``now`` stands for
    every socket, which only the five-minute ``is_online`` window depends on."""
    event = decoded(text)  # shared with the GraphQL subscriptions of this process
    if event is None:
        log.warning("realtime socket skipped an undecodable event: %.80r", text)
        return None
    try:
        body = publication(event, clock.now(), base_url)
    except Exception:  # a malformed snapshot must not close every socket it reaches
        log.exception("realtime socket could not render %s", event.name)
        return None
    return None if body is None else encode(body)


@functools.lru_cache(maxsize=1024)
def push_frame(text: str, channel: str, base_url: str, clock: KeyClock) -> str | None:
    """The push frame carrying a bus event to subscribers of ``channel``; cached as above (the
    rendered data is shared between channels, so a fan-out to many users renders it once)."""
    data = publication_json(text, base_url, clock)
    if data is None:
        return None
    return '{"push":{"channel":' + json.dumps(channel) + ',"pub":{"data":' + data + "}}}"


# --- the socket ------------------------------------------------------------------------------


def origin_allowed(websocket: WebSocket, allowed: Sequence[str]) -> bool:
    """The GraphQL socket's rule: browsers always send Origin, so a missing one is not a page
    that could ride on the user's cookies; a page of this host or a configured origin may."""
    origin = websocket.headers.get("origin")
    if origin is None or is_same_origin(origin, websocket.headers.get("host")):
        return True
    if "*" in allowed or normalize_origin(origin) in {normalize_origin(o) for o in allowed}:
        return True
    log.warning("refused a realtime socket from origin %r", origin)
    return False


def base_url(websocket: WebSocket) -> str:
    """Where the client reached us: media URLs in publications are absolute, as seed 001's."""
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    host = websocket.headers.get("host") or websocket.url.netloc
    return f"{scheme}://{host}"


class Connection:
    """One client socket: who it is, its subscriptions, its deadlines and its outgoing frames.

    The reader loop also drives the pings, so an idle connection costs no task of its own; a
    subscription is one small listener of its channel's relay (``EventBus.join``), which
    pushes each event's frame to every subscribed connection in turn. Frames go out in the
    order they were pushed; a socket that cannot take them now keeps them in its backlog
    (``BACKLOG_LIMIT``), sent by a task of its own, so no socket waits for another.
    """

    __slots__ = (
        "backlog",
        "base_url",
        "client_id",
        "clock",
        "closing",
        "deadline",
        "next_ping",
        "runtime",
        "session_id",
        "subscriptions",
        "timing",
        "user_id",
        "websocket",
        "writer",
    )

    def __init__(self, websocket: WebSocket, runtime: Runtime, timing: Timing) -> None:
        self.websocket = websocket
        self.runtime = runtime
        self.timing = timing
        self.base_url = base_url(websocket)
        self.clock = key_clock(runtime.auth.clock)
        self.user_id: uuid.UUID | None = None
        self.session_id: uuid.UUID | None = None
        self.client_id = ""
        self.subscriptions: dict[str, Subscription] = {}
        self.next_ping = math.inf  # Centrifugo pings connected clients only
        self.deadline = asyncio.get_running_loop().time() + timing.stale_delay
        # The task sending frames the socket could not take at once; None when all are out.
        self.writer: asyncio.Task[None] | None = None
        # Made when first needed: most sockets never owe a frame (an empty deque is 600 bytes).
        self.backlog: collections.deque[str | Close] | None = None
        self.closing = False  # a close is pushed: nothing more goes out

    async def serve(self) -> None:
        """Reads frames until the client leaves; raises Disconnect to end it ourselves."""
        while (text := await self.next_frame()) is not None:
            if self.user_id is not None:
                # Any frame proves the client alive: the next one is due after our next ping.
                timing = self.timing
                now = asyncio.get_running_loop().time()
                self.deadline = now + timing.ping_interval + timing.pong_timeout
            for line in text.split("\n"):
                if line.strip():
                    await self.handle(line)

    async def next_frame(self) -> str | None:
        """The next frame's text, sending pings while waiting for it."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if now >= self.deadline:
                raise Disconnect(NO_PONG if self.user_id is not None else STALE)
            if now >= self.next_ping:
                await self.send("{}")
                self.next_ping = now + self.timing.ping_interval
            # Receiving is a queue read, so a timeout that cancels it loses no frame.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(min(self.deadline, self.next_ping)):
                    return frame_text(await self.websocket.receive())

    async def handle(self, line: str) -> None:
        command = parse_command(line)
        if command is None:
            return  # a pong: receiving it was the point
        if self.user_id is None and command.method != "connect":
            raise Disconnect(BAD_REQUEST)
        handler = HANDLERS.get(command.method)
        if handler is None:
            raise Disconnect(BAD_REQUEST)
        try:
            result = await handler(self, command)
        except CommandError as exc:
            await self.send(encode({"id": command.id, "error": exc.error.body()}))
            return
        if result is not None:
            await self.send(encode({"id": command.id, command.method: result}))

    # --- sending -------------------------------------------------------------------------

    def push(self, frame: str | Close) -> None:
        """Sends ``frame`` after every frame pushed before it, without waiting: written now
        when the socket takes it (the usual case), else kept for the connection's writer.

        A socket whose backlog is full cannot keep up: it gets nothing more, and is closed
        with Centrifugo's 3008 "slow" (its client reconnects and re-queries) as soon as it
        takes the close frame; its subscriptions end with the connection.
        """
        if self.closing:
            return
        if isinstance(frame, Close):
            self.closing = True
        if self.writer is None:
            self.writer = start_eagerly(self.write(frame), "centrifugo-writer")
        elif self.backlog is None:
            self.backlog = collections.deque([frame])
        elif len(self.backlog) < BACKLOG_LIMIT:
            self.backlog.append(frame)
        else:
            log.warning("realtime socket of %s cannot keep up; closing it", self.user_id)
            self.backlog = collections.deque([SLOW])
            self.closing = True

    async def write(self, frame: str | Close) -> None:
        """Sends ``frame``, then the backlog, until it is empty."""
        try:
            while True:
                if isinstance(frame, Close):
                    with contextlib.suppress(*CLIENT_GONE):
                        await self.websocket.close(code=frame.code, reason=frame.reason)
                    return
                await self.websocket.send_text(frame)
                if not self.backlog:
                    self.backlog = None
                    return
                frame = self.backlog.popleft()
        except CLIENT_GONE:
            self.closing = True  # the reader finds out too, and ends the connection
        except Exception:
            log.exception("realtime socket could not send")
            self.closing = True
        finally:
            if self.closing:
                self.backlog = None
            self.writer = None

    async def flushed(self) -> None:
        """Returns once every frame pushed so far is out (or can no longer go)."""
        while (writer := self.writer) is not None:
            await asyncio.shield(writer)

    async def send(self, frame: str) -> None:
        """Sends a reply: in order with the pushes, waiting for it, as a reply waited before."""
        self.push(frame)
        await self.flushed()

    async def close(self, close: Close) -> None:
        self.push(close)
        await self.flushed()

    async def release(self) -> None:
        """Leaves every channel, and stops a writer still waiting for a socket that is gone."""
        subscriptions = list(self.subscriptions.values())
        self.subscriptions.clear()
        for subscription in subscriptions:
            await self.runtime.bus.leave(subscription.bus_channel, subscription)
        self.closing = True
        if self.writer is not None:
            self.writer.cancel()

    def end(self, close: Close) -> None:
        """Closes the connection from a relay (it must not wait): once the frames before it
        are out. The reader then sees the socket closed and releases the rest."""
        self.push(close)

    # --- tokens --------------------------------------------------------------------------

    async def token_claims(self, params: dict[str, Any]) -> RealtimeClaims:
        """The user and session of a connect (or refresh) token. Expired: error 109, so the
        client fetches a new one; otherwise invalid (a session that ended too): the terminal
        disconnect, so it does not retry forever."""
        token = params.get("token")
        if not isinstance(token, str) or not token:
            raise Disconnect(INVALID_TOKEN)
        try:
            return await self.read_token(token, channel=None)
        except TokenExpired:
            raise CommandError(TOKEN_EXPIRED) from None
        except InvalidToken:
            raise Disconnect(INVALID_TOKEN) from None

    async def check_channel(self, channel: str, token: object) -> None:
        """A legacy client may subscribe to its own user's channel only, with a subscribe token
        issued to it for that channel, in the session it connected with."""
        if channel != str(self.user_id) or not isinstance(token, str):
            raise CommandError(PERMISSION_DENIED)
        try:
            claims = await self.read_token(token, channel=channel)
        except TokenExpired:
            raise CommandError(TOKEN_EXPIRED) from None
        except InvalidToken:
            raise CommandError(PERMISSION_DENIED) from None
        if (claims.user_id, claims.session_id) != (self.user_id, self.session_id):
            raise CommandError(PERMISSION_DENIED)

    async def read_token(self, token: str, *, channel: str | None) -> RealtimeClaims:
        runtime = self.runtime
        try:
            async with runtime.uow() as uow:
                return await authenticate_realtime_token(
                    uow, runtime.auth, token=token, channel=channel
                )
        except ExternalUnavailable:  # the session cannot be checked now: the client retries
            raise CommandError(INTERNAL_ERROR) from None

    def ends_session(self, text: str) -> bool:
        """Whether a bus message on the user's channel says this connection's session ended
        (logout, refresh-token reuse, account deletion): its tokens are dead, so is the socket."""
        event = decoded(text)
        return isinstance(event, SessionRevoked) and event.session_id == self.session_id

    # --- commands ------------------------------------------------------------------------

    async def on_connect(self, command: Command) -> dict[str, Any]:
        if self.user_id is not None:
            raise Disconnect(BAD_REQUEST)  # Centrifugo: a second connect is a client bug
        claims = await self.token_claims(command.params)
        self.user_id, self.session_id = claims.user_id, claims.session_id
        identify(claims.user_id)
        self.client_id = str(uuid.uuid4())
        timing = self.timing
        now = asyncio.get_running_loop().time()
        self.next_ping = now + timing.ping_interval
        self.deadline = self.next_ping + timing.pong_timeout
        return {
            "client": self.client_id,
            "version": VERSION,
            "ping": timing.ping_interval,
            "pong": True,
        }

    async def on_refresh(self, command: Command) -> dict[str, Any]:
        claims = await self.token_claims(command.params)
        if (claims.user_id, claims.session_id) != (self.user_id, self.session_id):
            raise Disconnect(INVALID_TOKEN)
        return {"client": self.client_id, "version": VERSION, "expires": False}

    async def on_subscribe(self, command: Command) -> None:
        channel = channel_of(command.params)
        if channel in self.subscriptions:
            raise CommandError(ALREADY_SUBSCRIBED)
        await self.check_channel(channel, command.params.get("token"))
        subscription = Subscription(self, channel)
        try:
            await self.runtime.bus.join(subscription.bus_channel, subscription)
        except ExternalUnavailable:
            # The bus has no Redis: Centrifugo's "insufficient state" (3010, not terminal)
            # makes the app reconnect and subscribe again, which works once Redis is back.
            raise Disconnect(INSUFFICIENT_STATE) from None
        except Exception:
            # The client must not stay subscribed to nothing: make it reconnect.
            log.exception("realtime subscription to channel %s failed", channel)
            raise Disconnect(INTERNAL) from None
        self.subscriptions[channel] = subscription
        # Nothing was awaited since joining: the reply goes out before any push, and nothing
        # published after the client is told "subscribed" is missed.
        await self.send(encode({"id": command.id, "subscribe": {}}))

    async def on_unsubscribe(self, command: Command) -> dict[str, Any]:
        subscription = self.subscriptions.pop(channel_of(command.params), None)
        if subscription is not None:
            # Out of the relay at once: no push of the channel follows the reply.
            await self.runtime.bus.leave(subscription.bus_channel, subscription)
        return {}

    async def on_sub_refresh(self, command: Command) -> dict[str, Any]:
        channel = channel_of(command.params)
        if channel not in self.subscriptions:
            raise CommandError(PERMISSION_DENIED)
        await self.check_channel(channel, command.params.get("token"))
        return {"expires": False}

    async def on_send(self, command: Command) -> None:
        """An asynchronous message to the server: the legacy apps' server had no use for it."""


class Subscription:
    """A connection's subscription to the user's channel: a listener of the channel's relay,
    pushing each bus event to the socket as the (cached) push frame."""

    __slots__ = ("bus_channel", "channel", "connection")

    def __init__(self, connection: Connection, channel: str) -> None:
        self.connection = connection
        self.channel = channel
        self.bus_channel = f"user:{channel}"

    def deliver(self, message: str) -> None:
        connection = self.connection
        if connection.ends_session(message):
            connection.end(INVALID_TOKEN)
            return
        frame = push_frame(message, self.channel, connection.base_url, connection.clock)
        if frame is not None:
            connection.push(frame)

    def end(self, error: Exception | None) -> None:
        """The relay stopped: the bus stopped (the process is going down), lost Redis (what
        was published meanwhile is gone: 3010 makes the app reconnect and subscribe again),
        or failed."""
        connection = self.connection
        connection.subscriptions.pop(self.channel, None)
        if error is None:
            connection.end(SHUTDOWN)
        elif isinstance(error, ExternalUnavailable):
            connection.end(INSUFFICIENT_STATE)
        else:
            connection.end(INTERNAL)


def start_eagerly(coroutine: Coroutine[Any, None, None], name: str) -> asyncio.Task[None] | None:
    """Runs ``coroutine`` now, up to its first real wait: None if it finished without one
    (a frame the socket took at once), else the task that runs the rest.

    This is Python 3.12's eager task start (``asyncio.eager_task_factory``), by hand for one
    coroutine: a relay writes to thousands of sockets per event, and a task per frame would
    cost more than the write.
    """
    try:
        waiting_on = coroutine.send(None)
    except StopIteration:
        return None
    return asyncio.create_task(_finish(coroutine, waiting_on), name=name)


async def _finish(coroutine: Coroutine[Any, None, None], waiting_on: Any) -> None:
    await _resumed(coroutine, waiting_on)


@types.coroutine
def _resumed(coroutine: Coroutine[Any, None, None], waiting_on: Any) -> Generator[Any, Any, None]:
    """Hands the task what the coroutine waits on, and resumes it as the task would have."""
    while True:
        try:
            sent = yield waiting_on
        except BaseException as exc:  # a cancellation goes in, as any error
            try:
                waiting_on = coroutine.throw(exc)
            except StopIteration:
                return
        else:
            try:
                waiting_on = coroutine.send(sent)
            except StopIteration:
                return


def refuse(error: ReplyError) -> Handler:
    """A command Centrifugo knows but these apps never needed: its error, not a disconnect."""

    async def handler(connection: Connection, command: Command) -> None:
        raise CommandError(error)

    return handler


HANDLERS: dict[str, Handler] = {
    "connect": Connection.on_connect,
    "refresh": Connection.on_refresh,
    "subscribe": Connection.on_subscribe,
    "unsubscribe": Connection.on_unsubscribe,
    "sub_refresh": Connection.on_sub_refresh,
    "send": Connection.on_send,
    "publish": refuse(PERMISSION_DENIED),  # the apps publish through the REST API
    "presence": refuse(NOT_AVAILABLE),
    "presence_stats": refuse(NOT_AVAILABLE),
    "history": refuse(NOT_AVAILABLE),
    "rpc": refuse(METHOD_NOT_FOUND),
}


async def centrifugo_endpoint(websocket: WebSocket) -> None:
    """One Centrifugo client connection, from the origin check to the release of its bus
    subscriptions; whatever ends it, nothing escapes but a log line."""
    runtime: Runtime = websocket.state.runtime
    if not origin_allowed(websocket, runtime.settings.cors_origins):
        await websocket.close(code=WS_1008_POLICY_VIOLATION)  # before accept: HTTP 403
        return
    await websocket.accept()
    connection = Connection(websocket, runtime, TIMING)
    with websocket_open(PROTOCOL):
        try:
            await connection.serve()
        except Disconnect as exc:
            await connection.close(exc.close)
        except CLIENT_GONE:
            pass
        except Exception:
            log.exception("realtime socket failed")
            await connection.close(INTERNAL)
        finally:
            await connection.release()
