"""The Centrifugo-compatible socket of seed 001's apps, driven by the real centrifuge-python
client (and, for what a well-behaved client never sends, by a raw websocket): legacy
publications of messenger events, channel permissions, token expiry, pings, origins, malformed
input, and the bus subscription a socket leaves behind (none)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import centrifuge  # type: ignore[import-untyped]
import jwt
import pytest
from typing_extensions import override
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from domain.accounts import service as accounts
from domain.accounts.errors import InvalidToken
from domain.accounts.model import AuthSession
from domain.accounts.rules import TokenClaims, TokenType, build_claims
from domain.accounts.service import REALTIME_TOKEN_TYPE, Viewer
from domain.adapters.logs import ContextFilter, record_context
from domain.messenger.cards import MessageCard, UserCard
from domain.messenger.events import MessageEvent, MessagesReadAll
from resolvers import centrifugo
from tests.api.rest.factories import PASSWORD, create_user
from tests.conftest import DEADLINE, LiveServer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from websockets.asyncio.client import ClientConnection

    from domain.accounts.model import User
    from domain.bootstrap import Runtime
    from domain.events import Event
    from domain.settings import Settings

TIMEOUT = DEADLINE  # positive waits only: reached when a test fails
# Long enough for a frame that is coming to come; the negative assertions wait this long.
QUIET = 0.3
APP_ORIGIN = "https://app.example"
EVIL_ORIGIN = "https://evil.example"
CREATED = "2024-05-01T10:00:00+00:00"
EDITED = "2024-05-01T10:05:00+00:00"


# --- tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A user signed in once: realtime tokens are bound to that session."""

    user: User
    session_id: uuid.UUID

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def viewer(self) -> Viewer:
        return Viewer(user=self.user, session_id=self.session_id)


async def create_member(runtime: Runtime) -> Member:
    return await create_member_session(runtime, await create_user(runtime))


async def create_member_session(runtime: Runtime, user: User | Member) -> Member:
    """A (further) session of ``user``: a login of theirs."""
    user = user.user if isinstance(user, Member) else user
    async with runtime.uow() as uow:
        pair = await accounts.login(uow, runtime.auth, username=user.username, password=PASSWORD)
    return Member(user, pair.session_id)


def connect_token(runtime: Runtime, member: Member) -> str:
    return accounts.issue_realtime_token(runtime.auth, viewer=member.viewer, channel=None)


def subscribe_token(runtime: Runtime, member: Member, channel: str | None = None) -> str:
    channel = str(member.id) if channel is None else channel
    return accounts.issue_realtime_token(runtime.auth, viewer=member.viewer, channel=channel)


def expired_token(runtime: Runtime, member: Member, channel: str | None = None) -> str:
    """A well-signed realtime token of the member's session that expired yesterday."""
    expired_at = int((datetime.now(UTC) - timedelta(days=1)).timestamp())
    claims: dict[str, object] = {
        "sub": str(member.id),
        "sid": str(member.session_id),
        "token_type": REALTIME_TOKEN_TYPE,
        "iat": expired_at - 3600,
        "exp": expired_at,
    }
    if channel is not None:
        claims["channel"] = channel
    return runtime.auth.tokens.encode(claims)


# --- messenger events ------------------------------------------------------------------------


def user_card(user_id: uuid.UUID, **overrides: Any) -> UserCard:
    """A user snapshot as message events carry it."""
    card = UserCard(
        id=user_id,
        username="ivan",
        first_name="Иван",
        last_name="Петров",
        bio="Programmer in VK",
        avatar=None,
        role="admin",  # never shown by the legacy shapes
        last_online_at=None,
        online=False,
        deleted=False,
    )
    return dataclasses.replace(card, **overrides)


def message_card(chat_id: uuid.UUID, sender: UserCard | None, **overrides: Any) -> MessageCard:
    """A message snapshot as message events carry it."""
    card = MessageCard(
        id=uuid.uuid4(),
        chat_id=chat_id,
        text="Привет",
        voice=None,
        files=(),
        sender=sender,
        was_read_by=(),
        created_at=datetime.fromisoformat(CREATED),
        updated_at=datetime.fromisoformat(CREATED),
    )
    return dataclasses.replace(card, **overrides)


def message_event(kind: str, card: MessageCard, *recipients: Member) -> MessageEvent:
    return MessageEvent(
        kind=kind,
        chat_id=card.chat_id,
        message=card,
        recipients=tuple(user.id for user in recipients),
    )


async def emit(runtime: Runtime, *published: Event) -> None:
    """Publishes real domain events the way the messenger's use cases do: after a commit."""
    async with runtime.uow() as uow:
        for event in published:
            uow.emit(event)
        await uow.commit()


# --- the centrifuge-python client ------------------------------------------------------------


def address(server: LiveServer) -> str:
    return f"ws://127.0.0.1:{server.port}/connection/websocket"


class ClientEvents(centrifuge.ClientEventHandler):  # type: ignore[misc]
    def __init__(self) -> None:
        self.connecting: list[Any] = []
        self.errors: list[Any] = []
        self.disconnected: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def on_connecting(self, ctx: Any) -> None:
        self.connecting.append(ctx)

    async def on_error(self, ctx: Any) -> None:
        self.errors.append(ctx)

    async def on_disconnected(self, ctx: Any) -> None:
        if not self.disconnected.done():
            self.disconnected.set_result(ctx)

    def error_codes(self) -> list[int | None]:
        return [getattr(ctx.error, "code", None) for ctx in self.errors]


class SubscriptionEvents(centrifuge.SubscriptionEventHandler):  # type: ignore[misc]
    def __init__(self) -> None:
        self.publications: asyncio.Queue[Any] = asyncio.Queue()
        self.errors: list[Any] = []
        self.unsubscribed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def on_publication(self, ctx: Any) -> None:
        self.publications.put_nowait(ctx.pub.data)

    async def on_error(self, ctx: Any) -> None:
        self.errors.append(ctx)

    async def on_unsubscribed(self, ctx: Any) -> None:
        if not self.unsubscribed.done():
            self.unsubscribed.set_result(ctx)

    async def next_publication(self) -> Any:
        return await asyncio.wait_for(self.publications.get(), TIMEOUT)

    async def assert_nothing_more(self) -> None:
        await asyncio.sleep(QUIET)
        assert self.publications.empty()


def new_client(server: LiveServer, events: ClientEvents, **options: Any) -> Any:
    return centrifuge.Client(
        address(server),
        events=events,
        proxy=None,  # whatever the environment says, the test server is on loopback
        timeout=TIMEOUT,
        min_reconnect_delay=0.05,
        max_reconnect_delay=0.2,
        **options,
    )


@contextlib.asynccontextmanager
async def started(client: Any) -> AsyncIterator[Any]:
    await client.connect()
    try:
        yield client
    finally:
        await client.disconnect()


@contextlib.asynccontextmanager
async def connected(
    server: LiveServer, runtime: Runtime, user: Member, **options: Any
) -> AsyncIterator[tuple[Any, ClientEvents]]:
    events = ClientEvents()
    client = new_client(server, events, token=connect_token(runtime, user), **options)
    async with started(client):
        await client.ready()
        yield client, events


async def subscribe(client: Any, channel: str, **options: Any) -> SubscriptionEvents:
    events = SubscriptionEvents()
    subscription = client.new_subscription(channel, events=events, **options)
    await subscription.subscribe()
    return events


async def subscribe_own(client: Any, runtime: Runtime, user: Member) -> SubscriptionEvents:
    """The legacy app's one subscription: its user's channel, with a token for it."""
    channel = str(user.id)
    events = await subscribe(client, channel, token=subscribe_token(runtime, user))
    await client.get_subscription(channel).ready()
    return events


def token_source(*tokens: str) -> tuple[Callable[..., Awaitable[str]], list[str]]:
    """A get_token callback handing out ``tokens`` in turn (the last one from then on), and
    the list of tokens it handed out."""
    handed: list[str] = []

    async def get_token(*_: Any) -> str:
        token = tokens[min(len(handed), len(tokens) - 1)]
        handed.append(token)
        return token

    return get_token, handed


# --- a raw websocket -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def raw_socket(
    server: LiveServer, *, origin: str | None = None
) -> AsyncIterator[ClientConnection]:
    async with connect(
        address(server),
        origin=None if origin is None else Origin(origin),
        open_timeout=TIMEOUT,
        proxy=None,
    ) as ws:
        yield ws


async def send(ws: ClientConnection, *commands: dict[str, Any]) -> None:
    """Commands in one frame, newline-separated, as Centrifugo's JSON protocol batches them."""
    await ws.send("\n".join(json.dumps(command) for command in commands))


async def replies(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every reply or push of the next frame."""
    frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert isinstance(frame, str)
    return [json.loads(line) for line in frame.split("\n")]


async def reply(ws: ClientConnection) -> dict[str, Any]:
    [message] = await replies(ws)
    return message


async def raw_connect(ws: ClientConnection, runtime: Runtime, user: Member) -> dict[str, Any]:
    await send(ws, {"id": 1, "connect": {"token": connect_token(runtime, user)}})
    message = await reply(ws)
    assert message["id"] == 1
    result: dict[str, Any] = message["connect"]
    return result


async def close_of(ws: ClientConnection) -> tuple[int | None, str | None]:
    """The code and reason the server closes the socket with (waited for, bounded)."""
    await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    return ws.close_code, ws.close_reason


async def listeners(runtime: Runtime, user: Member) -> int:
    """How many Redis pub/sub connections listen on the user's bus channel."""
    channel = f"{runtime.settings.channel_prefix}:user:{user.id}"
    [(_, count)] = await runtime.redis.pubsub_numsub(channel)
    return int(count)


async def wait_for_listeners(runtime: Runtime, user: Member, expected: int) -> None:
    async def poll() -> None:
        # Redis state, polled: there is no event to wait on. Bounded by the wait_for below.
        while True:
            if await listeners(runtime, user) == expected:
                return
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), TIMEOUT)


@pytest.fixture
def fast_pings(monkeypatch: pytest.MonkeyPatch) -> centrifugo.Timing:
    """Pings every 0.2 s, so a test crosses several ping periods in about a second."""
    timing = centrifugo.Timing(ping_interval=0.2, pong_timeout=0.3, stale_delay=0.5)
    monkeypatch.setattr(centrifugo, "TIMING", timing)
    return timing


# --- publications ----------------------------------------------------------------------------


class TestPublications:
    async def test_a_created_message_arrives_in_the_legacy_shape(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        chat_id = uuid.uuid4()
        seen = datetime.now(UTC)
        sender = user_card(user.id, avatar="avatars/ivan.png", online=True, last_online_at=seen)
        gone_reader = user_card(uuid.uuid4(), username="olga", deleted=True)
        offline_reader = user_card(uuid.uuid4(), username="petr", online=True)
        card = message_card(
            chat_id,
            sender,
            voice="voice/hello.ogg",
            files=("files/a.pdf", "files/b.png"),
            was_read_by=(gone_reader, offline_reader),
        )

        async with connected(server, runtime, user) as (client, _):
            publications = await subscribe_own(client, runtime, user)
            await emit(runtime, message_event("create", card, user))
            data = await publications.next_publication()

        base = server.url
        assert data == {
            "event": "create",
            "message": {
                "id": str(card.id),
                "text": "Привет",
                "voice": f"{base}/media/voice/hello.ogg",
                "sender": {
                    "id": str(user.id),
                    "username": "ivan",
                    "first_name": "Иван",
                    "last_name": "Петров",
                    "bio": "Programmer in VK",
                    "avatar": f"{base}/media/avatars/ivan.png",
                    "is_online": True,
                    "last_online_at": seen.isoformat(),
                },
                "chat": str(chat_id),
                "files": [
                    {"item": f"{base}/media/files/a.pdf"},
                    {"item": f"{base}/media/files/b.png"},
                ],
                "updated_at": CREATED,
                "created_at": CREATED,
                "was_read_by": [
                    {
                        "id": "deleted",
                        "username": "deleted",
                        "first_name": "Удалённый",
                        "last_name": "Пользователь",
                        "bio": None,
                        "avatar": None,
                    },
                    {
                        "id": str(offline_reader.id),
                        "username": "petr",
                        "first_name": "Иван",
                        "last_name": "Петров",
                        "bio": "Programmer in VK",
                        "avatar": None,
                        "is_online": False,
                        "last_online_at": None,
                    },
                ],
            },
        }

    async def test_edits_deletions_and_reads_arrive_in_order_under_their_event_names(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        card = message_card(uuid.uuid4(), None)
        edited = dataclasses.replace(
            card, text="Привет!", updated_at=datetime.fromisoformat(EDITED)
        )
        read = dataclasses.replace(edited, was_read_by=(user_card(user.id),))

        async with connected(server, runtime, user) as (client, _):
            publications = await subscribe_own(client, runtime, user)
            await emit(
                runtime,
                message_event("update", edited, user),
                message_event("delete", edited, user),
                message_event("read", read, user),
            )
            received = [await publications.next_publication() for _ in range(3)]

        assert [data["event"] for data in received] == ["update", "delete", "read"]
        assert {data["message"]["id"] for data in received} == {str(card.id)}
        assert received[0]["message"]["text"] == "Привет!"
        assert received[0]["message"]["updated_at"] == EDITED
        assert received[0]["message"]["sender"]["id"] == "deleted"  # a message without sender
        assert [reader["id"] for reader in received[2]["message"]["was_read_by"]] == [str(user.id)]

    async def test_reading_a_whole_chat_arrives_as_read_all(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        reader_id, chat_id = uuid.uuid4(), uuid.uuid4()
        message_ids = (uuid.uuid4(), uuid.uuid4())
        event = MessagesReadAll(
            chat_id=chat_id, user_id=reader_id, message_ids=message_ids, recipients=(user.id,)
        )

        async with connected(server, runtime, user) as (client, _):
            publications = await subscribe_own(client, runtime, user)
            await emit(runtime, event)
            data = await publications.next_publication()

        assert data == {
            "event": "read_all",
            "message": {
                "chat": str(chat_id),
                "user": str(reader_id),
                "messages": [str(message_id) for message_id in message_ids],
            },
        }

    async def test_an_event_for_another_user_is_not_received(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user, other = await create_member(runtime), await create_member(runtime)
        theirs = message_card(uuid.uuid4(), None, text="not for you")
        mine = message_card(uuid.uuid4(), None, text="for you")

        async with connected(server, runtime, user) as (client, _):
            publications = await subscribe_own(client, runtime, user)
            await emit(runtime, message_event("create", theirs, other))
            await emit(runtime, message_event("create", mine, user))

            data = await publications.next_publication()
            await publications.assert_nothing_more()

        assert data["message"]["text"] == "for you"

    async def test_one_event_reaches_every_socket_of_its_user(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        card = message_card(uuid.uuid4(), None)

        async with (
            connected(server, runtime, user) as (first, _),
            connected(server, runtime, user) as (second, _),
        ):
            first_publications = await subscribe_own(first, runtime, user)
            second_publications = await subscribe_own(second, runtime, user)
            await emit(runtime, message_event("create", card, user))

            received = [
                await first_publications.next_publication(),
                await second_publications.next_publication(),
            ]

        assert received[0] == received[1]
        assert received[0]["message"]["id"] == str(card.id)


async def raw_subscribed(
    stack: contextlib.AsyncExitStack, server: LiveServer, runtime: Runtime, user: Member
) -> ClientConnection:
    """A raw socket of ``user``, connected and subscribed to the user's channel."""
    ws = await stack.enter_async_context(raw_socket(server))
    await raw_connect(ws, runtime, user)
    token = subscribe_token(runtime, user)
    await send(ws, {"id": 2, "subscribe": {"channel": str(user.id), "token": token}})
    assert await reply(ws) == {"id": 2, "subscribe": {}}
    return ws


async def pushed_message_ids(ws: ClientConnection, count: int) -> list[str]:
    """The message ids of the next ``count`` pushes the socket receives."""
    ids: list[str] = []
    while len(ids) < count:
        for message in await replies(ws):
            if "push" in message:
                ids.append(message["push"]["pub"]["data"]["message"]["id"])
    return ids


class TestSharedRelay:
    """Every socket of a user listens through one relay of the user's channel per process."""

    async def test_many_sockets_of_a_user_share_one_bus_subscription_and_all_receive(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        cards = [message_card(uuid.uuid4(), None) for _ in range(3)]
        async with contextlib.AsyncExitStack() as stack:
            sockets = [await raw_subscribed(stack, server, runtime, user) for _ in range(20)]
            assert await listeners(runtime, user) == 1
            await emit(runtime, *(message_event("create", card, user) for card in cards))
            expected = [str(card.id) for card in cards]
            for ws in sockets:
                assert await pushed_message_ids(ws, 3) == expected
        await wait_for_listeners(runtime, user, 0)

    async def test_sockets_dropped_mid_fan_out_do_not_stop_the_others(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        cards = [message_card(uuid.uuid4(), None) for _ in range(3)]
        async with contextlib.AsyncExitStack() as stack:
            sockets = [await raw_subscribed(stack, server, runtime, user) for _ in range(20)]
            dropped, kept = sockets[::2], sockets[1::2]
            for ws in dropped:
                ws.transport.abort()  # no close handshake: the TCP connection just goes
            # Published at once: the relay meets the dropped sockets while it hands them out.
            await emit(runtime, *(message_event("create", card, user) for card in cards))
            expected = [str(card.id) for card in cards]
            for ws in kept:
                assert await pushed_message_ids(ws, 3) == expected
            assert await listeners(runtime, user) == 1
        await wait_for_listeners(runtime, user, 0)


# --- channels --------------------------------------------------------------------------------


def foreign_subscriptions() -> dict[str, Callable[[Runtime, Member, Member], tuple[str, str]]]:
    """(channel, token) pairs a client of ``me`` must not subscribe with."""
    return {
        "another user's channel with their token": lambda runtime, me, other: (
            str(other.id),
            subscribe_token(runtime, other),
        ),
        "another user's channel with my token naming it": lambda runtime, me, other: (
            str(other.id),
            subscribe_token(runtime, me, str(other.id)),
        ),
        "my channel with a token for another channel": lambda runtime, me, other: (
            str(me.id),
            subscribe_token(runtime, me, str(other.id)),
        ),
        "my channel with another user's token for it": lambda runtime, me, other: (
            str(me.id),
            subscribe_token(runtime, other, str(me.id)),
        ),
        "my channel with a connect token": lambda runtime, me, other: (
            str(me.id),
            connect_token(runtime, me),
        ),
        "my channel with garbage": lambda runtime, me, other: (str(me.id), "not-a-jwt"),
    }


class TestChannels:
    @pytest.mark.parametrize("case", list(foreign_subscriptions()))
    async def test_a_foreign_subscription_is_permission_denied(
        self, server: LiveServer, runtime: Runtime, case: str
    ) -> None:
        me, other = await create_member(runtime), await create_member(runtime)
        channel, token = foreign_subscriptions()[case](runtime, me, other)

        async with connected(server, runtime, me) as (client, _):
            events = await subscribe(client, channel, token=token)
            unsubscribed = await asyncio.wait_for(events.unsubscribed, TIMEOUT)

            assert (unsubscribed.code, unsubscribed.reason) == (103, "permission denied")
            assert client.state == centrifuge.ClientState.CONNECTED  # only the subscribe failed

    async def test_an_expired_subscribe_token_is_replaced_through_get_token(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        get_token, handed = token_source(
            expired_token(runtime, user, str(user.id)), subscribe_token(runtime, user)
        )

        async with connected(server, runtime, user) as (client, _):
            events = await subscribe(client, str(user.id), get_token=get_token)
            await client.get_subscription(str(user.id)).ready()
            await emit(runtime, message_event("create", message_card(uuid.uuid4(), None), user))
            data = await events.next_publication()

        assert len(handed) == 2
        assert [getattr(ctx.error, "code", None) for ctx in events.errors] == [109]
        assert data["event"] == "create"

    async def test_subscribing_twice_is_already_subscribed(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        subscribe_command = {"channel": str(user.id), "token": subscribe_token(runtime, user)}

        async with raw_socket(server) as ws:
            await raw_connect(ws, runtime, user)
            await send(ws, {"id": 2, "subscribe": subscribe_command})
            first = await reply(ws)
            await send(ws, {"id": 3, "subscribe": subscribe_command})
            second = await reply(ws)

        assert first == {"id": 2, "subscribe": {}}
        assert second == {"id": 3, "error": {"code": 105, "message": "already subscribed"}}

    async def test_after_unsubscribe_no_publication_arrives(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        subscribe_command = {"channel": str(user.id), "token": subscribe_token(runtime, user)}

        async with raw_socket(server) as ws:
            await raw_connect(ws, runtime, user)
            await send(ws, {"id": 2, "subscribe": subscribe_command})
            assert await reply(ws) == {"id": 2, "subscribe": {}}
            await send(ws, {"id": 3, "unsubscribe": {"channel": str(user.id)}})
            assert await reply(ws) == {"id": 3, "unsubscribe": {}}
            await wait_for_listeners(runtime, user, 0)

            await emit(runtime, message_event("create", message_card(uuid.uuid4(), None), user))
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), QUIET)

    async def test_commands_batched_in_one_frame_are_all_answered(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        card = message_card(uuid.uuid4(), None)

        async with raw_socket(server) as ws:
            await send(
                ws,
                {"id": 1, "connect": {"token": connect_token(runtime, user)}},
                {
                    "id": 2,
                    "subscribe": {
                        "channel": str(user.id),
                        "token": subscribe_token(runtime, user),
                    },
                },
            )
            connect_reply, subscribe_reply = await reply(ws), await reply(ws)
            await emit(runtime, message_event("create", card, user))
            push = await reply(ws)

        assert connect_reply["id"] == 1
        assert uuid.UUID(connect_reply["connect"]["client"])
        assert connect_reply["connect"] | {"client": "-"} == {
            "client": "-",
            "version": "tghub",
            "ping": 25,
            "pong": True,
        }
        assert subscribe_reply == {"id": 2, "subscribe": {}}
        assert push["push"]["channel"] == str(user.id)
        assert push["push"]["pub"]["data"]["message"]["id"] == str(card.id)

    async def test_a_client_that_leaves_leaves_no_bus_subscription(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)

        async with connected(server, runtime, user) as (client, _):
            await subscribe_own(client, runtime, user)
            assert await listeners(runtime, user) == 1

        await wait_for_listeners(runtime, user, 0)

    async def test_a_socket_dropped_mid_subscription_leaves_no_bus_subscription(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)

        async with raw_socket(server) as ws:
            await raw_connect(ws, runtime, user)
            token = subscribe_token(runtime, user)
            await send(ws, {"id": 2, "subscribe": {"channel": str(user.id), "token": token}})
            await reply(ws)
            ws.transport.abort()  # no close handshake: the TCP connection just goes

        await wait_for_listeners(runtime, user, 0)


# --- connection tokens -----------------------------------------------------------------------


def bad_connect_tokens() -> dict[str, Callable[[Runtime, Member], str]]:
    return {
        "garbage": lambda runtime, user: "not-a-jwt",
        "a subscribe token": lambda runtime, user: subscribe_token(runtime, user),
        "another key's token": lambda runtime, user: token_signed_elsewhere(user),
    }


def token_signed_elsewhere(user: Member) -> str:
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": str(user.id), "token_type": REALTIME_TOKEN_TYPE, "iat": now, "exp": now + 60}
    return jwt.encode(claims, "another-signing-key-that-is-long-enough-42", algorithm="HS256")


class TestConnectionTokens:
    @pytest.mark.parametrize("case", list(bad_connect_tokens()))
    async def test_a_bad_token_disconnects_for_good(
        self, server: LiveServer, runtime: Runtime, case: str
    ) -> None:
        user = await create_member(runtime)
        get_token, handed = token_source(bad_connect_tokens()[case](runtime, user))
        events = ClientEvents()

        async with started(new_client(server, events, get_token=get_token)) as client:
            disconnected = await asyncio.wait_for(events.disconnected, TIMEOUT)
            await asyncio.sleep(QUIET)  # longer than the client's reconnect delays

            assert (disconnected.code, disconnected.reason) == (3500, "invalid token")
            assert client.state == centrifuge.ClientState.DISCONNECTED
            assert len(handed) == 1  # it neither reconnected nor asked for another token

    async def test_an_expired_token_is_replaced_through_get_token(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        expired, fresh = expired_token(runtime, user), connect_token(runtime, user)
        get_token, handed = token_source(expired, fresh)
        events = ClientEvents()

        async with started(new_client(server, events, get_token=get_token)) as client:
            await client.ready()
            publications = await subscribe_own(client, runtime, user)
            await emit(runtime, message_event("create", message_card(uuid.uuid4(), None), user))
            data = await publications.next_publication()

        assert handed == [expired, fresh]
        assert events.error_codes() == [109]
        assert data["event"] == "create"

    async def test_a_connect_without_a_token_is_an_invalid_token(self, server: LiveServer) -> None:
        async with raw_socket(server) as ws:
            await send(ws, {"id": 1, "connect": {}})

            assert await close_of(ws) == (3500, "invalid token")

    async def test_refresh_accepts_a_new_token_of_the_same_user(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)

        async with raw_socket(server) as ws:
            connected_as = await raw_connect(ws, runtime, user)
            await send(ws, {"id": 2, "refresh": {"token": connect_token(runtime, user)}})
            refreshed = await reply(ws)
            await send(ws, {"id": 3, "refresh": {"token": expired_token(runtime, user)}})
            expired = await reply(ws)

        assert refreshed == {
            "id": 2,
            "refresh": {"client": connected_as["client"], "version": "tghub", "expires": False},
        }
        assert expired == {"id": 3, "error": {"code": 109, "message": "token expired"}}

    async def test_refresh_with_another_users_token_disconnects(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user, other = await create_member(runtime), await create_member(runtime)

        async with raw_socket(server) as ws:
            await raw_connect(ws, runtime, user)
            await send(ws, {"id": 2, "refresh": {"token": connect_token(runtime, other)}})

            assert await close_of(ws) == (3500, "invalid token")


# --- sessions --------------------------------------------------------------------------------


async def logout(runtime: Runtime, member: Member) -> None:
    async with runtime.uow() as uow:
        await accounts.logout(uow, runtime.auth, actor=member.viewer)


async def first_refresh_token(runtime: Runtime, member: Member) -> str:
    """The refresh token of the member's session as its login issued it."""
    async with runtime.uow() as uow:
        family = await uow.session.get(AuthSession, member.session_id)
        assert family is not None
        claims = TokenClaims(member.id, family.id, 0, TokenType.REFRESH, family.current_jti)
    now = datetime.now(UTC)
    return runtime.auth.tokens.encode(build_claims(claims, issued_at=now, ttl_seconds=60))


async def reuse_a_rotated_refresh_token(runtime: Runtime, member: Member) -> None:
    """Rotate the member's session twice, then present its first refresh token again: older
    than the grace window allows, so the theft signal revokes the session."""
    first = await first_refresh_token(runtime, member)
    token = first
    for _ in range(2):
        async with runtime.uow() as uow:
            token = (await accounts.refresh_tokens(uow, runtime.auth, refresh_token=token)).refresh
    async with runtime.uow() as uow:
        with pytest.raises(InvalidToken):
            await accounts.refresh_tokens(uow, runtime.auth, refresh_token=first)


async def delete_account(runtime: Runtime, member: Member) -> None:
    async with runtime.uow() as uow:
        await accounts.delete_account(uow, runtime.auth, actor=member.viewer, user_id=member.id)


SESSION_ENDINGS: dict[str, Callable[[Runtime, Member], Awaitable[None]]] = {
    "logout": logout,
    "refresh token reuse": reuse_a_rotated_refresh_token,
    "account deletion": delete_account,
}


class TestSessions:
    @pytest.mark.parametrize("ending", list(SESSION_ENDINGS))
    async def test_an_open_socket_closes_when_its_session_ends(
        self, server: LiveServer, runtime: Runtime, ending: str
    ) -> None:
        user = await create_member(runtime)

        async with raw_socket(server) as ws:
            await raw_connect(ws, runtime, user)
            token = subscribe_token(runtime, user)
            await send(ws, {"id": 2, "subscribe": {"channel": str(user.id), "token": token}})
            assert await reply(ws) == {"id": 2, "subscribe": {}}
            await SESSION_ENDINGS[ending](runtime, user)
            await emit(runtime, message_event("create", message_card(uuid.uuid4(), None), user))

            assert await close_of(ws) == (3500, "invalid token")

    @pytest.mark.parametrize("ending", list(SESSION_ENDINGS))
    async def test_its_connect_token_is_refused_afterwards(
        self, server: LiveServer, runtime: Runtime, ending: str
    ) -> None:
        user = await create_member(runtime)
        token = connect_token(runtime, user)
        await SESSION_ENDINGS[ending](runtime, user)

        async with raw_socket(server) as ws:
            await send(ws, {"id": 1, "connect": {"token": token}})

            assert await close_of(ws) == (3500, "invalid token")

    async def test_its_subscribe_token_is_refused_afterwards(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)

        async with raw_socket(server) as ws:
            await raw_connect(ws, runtime, user)
            token = subscribe_token(runtime, user)
            await logout(runtime, user)  # before any subscription: nothing closes the socket
            await send(ws, {"id": 2, "subscribe": {"channel": str(user.id), "token": token}})
            refused = await reply(ws)
            await send(ws, {"id": 3, "refresh": {"token": connect_token(runtime, user)}})

            assert refused == {"id": 2, "error": {"code": 103, "message": "permission denied"}}
            assert await close_of(ws) == (3500, "invalid token")

    async def test_another_session_of_the_user_is_not_closed(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        other_session = await create_member_session(runtime, user)

        async with raw_socket(server) as ws:
            await raw_connect(ws, runtime, other_session)
            token = subscribe_token(runtime, other_session)
            await send(ws, {"id": 2, "subscribe": {"channel": str(user.id), "token": token}})
            assert await reply(ws) == {"id": 2, "subscribe": {}}
            await logout(runtime, user)
            await emit(runtime, message_event("create", message_card(uuid.uuid4(), None), user))

            [push] = await replies(ws)
            assert push["push"]["pub"]["data"]["event"] == "create"

    async def test_a_token_bound_to_no_session_is_answered_as_expired(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        now = int(datetime.now(UTC).timestamp())
        claims = {
            "sub": str(user.id),
            "token_type": REALTIME_TOKEN_TYPE,
            "iat": now,
            "exp": now + 60,
        }

        async with raw_socket(server) as ws:
            await send(ws, {"id": 1, "connect": {"token": runtime.auth.tokens.encode(claims)}})

            assert await reply(ws) == {"id": 1, "error": {"code": 109, "message": "token expired"}}

    async def test_a_refreshed_session_keeps_its_realtime_tokens(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        token = connect_token(runtime, user)
        refresh = await first_refresh_token(runtime, user)
        async with runtime.uow() as uow:
            await accounts.refresh_tokens(uow, runtime.auth, refresh_token=refresh)

        async with raw_socket(server) as ws:
            await send(ws, {"id": 1, "connect": {"token": token}})

            assert "connect" in await reply(ws)


# --- pings -----------------------------------------------------------------------------------


class TestPings:
    async def test_pings_keep_an_idle_connection_alive(
        self, server: LiveServer, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Pings every 0.2 s and 2 s for each pong: a client that never answered would be
        # closed within 2.2 s of connecting, and the test idles longer than that. The margin
        # is for a busy machine (the client shares the server's event loop); the client's own
        # patience with the server's pings is not what this tests.
        timing = centrifugo.Timing(ping_interval=0.2, pong_timeout=2.0, stale_delay=DEADLINE)
        monkeypatch.setattr(centrifugo, "TIMING", timing)
        user = await create_member(runtime)
        patience = {"max_server_ping_delay": DEADLINE}
        async with connected(server, runtime, user, **patience) as (client, events):
            publications = await subscribe_own(client, runtime, user)
            client_id = client.client_id
            await asyncio.sleep(15 * timing.ping_interval)  # idle past the pong deadline
            await emit(runtime, message_event("create", message_card(uuid.uuid4(), None), user))
            data = await publications.next_publication()

            assert client.state == centrifuge.ClientState.CONNECTED
            assert client.client_id == client_id  # never reconnected
            assert [ctx.code for ctx in events.connecting] == [0]  # only the first connect
            assert data["event"] == "create"

    async def test_the_connect_reply_announces_the_ping_period(
        self, server: LiveServer, runtime: Runtime, fast_pings: centrifugo.Timing
    ) -> None:
        user = await create_member(runtime)

        async with raw_socket(server) as ws:
            result = await raw_connect(ws, runtime, user)
            pings = [await reply(ws), await reply(ws)]
            await send(ws, {})

        assert (result["ping"], result["pong"]) == (0.2, True)
        assert pings == [{}, {}]

    async def test_a_client_that_does_not_pong_is_closed(
        self, server: LiveServer, runtime: Runtime, fast_pings: centrifugo.Timing
    ) -> None:
        user = await create_member(runtime)

        async with raw_socket(server) as ws:
            await raw_connect(ws, runtime, user)

            assert await close_of(ws) == (3012, "no pong")

    async def test_a_socket_that_never_connects_is_closed_as_stale(
        self, server: LiveServer, fast_pings: centrifugo.Timing
    ) -> None:
        async with raw_socket(server) as ws:
            assert await close_of(ws) == (3502, "stale")


# --- malformed input and origins -------------------------------------------------------------

BAD_FRAMES_BEFORE_CONNECT = {
    "not JSON": "hello",
    "a JSON array": "[1, 2]",
    "a command before connect": json.dumps({"id": 1, "subscribe": {"channel": "x"}}),
    "an unknown command": json.dumps({"id": 1, "frobnicate": {}}),
}
BAD_FRAMES_AFTER_CONNECT = {
    "not JSON": "{oops",
    "an unknown command": json.dumps({"id": 2, "frobnicate": {}}),
    "a command without an id": json.dumps({"subscribe": {"channel": "x"}}),
    "two commands in one object": json.dumps({"id": 2, "history": {}, "presence": {}}),
    "a subscribe without a channel": json.dumps({"id": 2, "subscribe": {}}),
    "parameters that are not an object": json.dumps({"id": 2, "unsubscribe": "x"}),
    "a second connect": json.dumps({"id": 2, "connect": {"token": "x"}}),
    "garbage after a valid command": '{"id": 2, "history": {"channel": "x"}}\nnot json',
}


class TestMalformedInput:
    @pytest.mark.parametrize(
        "frame", BAD_FRAMES_BEFORE_CONNECT.values(), ids=list(BAD_FRAMES_BEFORE_CONNECT)
    )
    async def test_before_connect_it_is_a_bad_request(self, server: LiveServer, frame: str) -> None:
        async with raw_socket(server) as ws:
            await ws.send(frame)

            assert await close_of(ws) == (3501, "bad request")

    @pytest.mark.parametrize(
        "frame", BAD_FRAMES_AFTER_CONNECT.values(), ids=list(BAD_FRAMES_AFTER_CONNECT)
    )
    async def test_after_connect_it_is_a_bad_request(
        self, server: LiveServer, runtime: Runtime, frame: str
    ) -> None:
        user = await create_member(runtime)

        async with raw_socket(server) as ws:
            await raw_connect(ws, runtime, user)
            await ws.send(frame)

            assert await close_of(ws) == (3501, "bad request")

    async def test_commands_the_apps_never_used_get_centrifugo_errors(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        channel = str(user.id)

        async with raw_socket(server) as ws:
            await raw_connect(ws, runtime, user)
            commands: list[dict[str, Any]] = [
                {"publish": {"channel": channel, "data": {}}},
                {"history": {"channel": channel}},
                {"presence": {"channel": channel}},
                {"rpc": {"method": "x", "data": {}}},
            ]
            answers = []
            for command_id, command in enumerate(commands, start=2):
                await send(ws, {"id": command_id, **command})
                answers.append(await reply(ws))

        assert [answer["error"]["code"] for answer in answers] == [103, 108, 108, 104]


@pytest.fixture
async def app_origin_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """A server whose TGHUB_CORS_ORIGINS lists the single-page app's origin."""
    async with LiveServer(settings.model_copy(update={"cors_origins": [APP_ORIGIN]})) as server:
        yield server


class TestOrigins:
    async def test_a_foreign_origin_is_refused(self, app_origin_server: LiveServer) -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with raw_socket(app_origin_server, origin=EVIL_ORIGIN):
                pass

        assert refused.value.response.status_code == 403

    @pytest.mark.parametrize("origin", [None, APP_ORIGIN, "same"])
    async def test_no_origin_the_app_origin_and_the_same_origin_are_accepted(
        self, app_origin_server: LiveServer, runtime: Runtime, origin: str | None
    ) -> None:
        user = await create_member(runtime)
        if origin == "same":
            origin = app_origin_server.url

        async with raw_socket(app_origin_server, origin=origin) as ws:
            result = await raw_connect(ws, runtime, user)

        assert result["version"] == "tghub"


class _Records(logging.Handler):
    """The records logged while it is attached, with their log context, as production's
    handlers see them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(ContextFilter())
        self.records: list[logging.LogRecord] = []

    @override
    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class TestEntry:
    """Sockets are handed to their route around the HTTP middleware (resolvers.app):
    what that middleware gave them, the log context, they still get."""

    async def test_a_socket_logs_under_its_request_id_and_route(
        self, app_origin_server: LiveServer
    ) -> None:
        records = _Records()
        logging.getLogger().addHandler(records)
        try:
            with pytest.raises(InvalidStatus):
                async with connect(
                    address(app_origin_server),
                    origin=Origin(EVIL_ORIGIN),
                    additional_headers={"X-Request-ID": "socket-entry-1"},
                    open_timeout=TIMEOUT,
                    proxy=None,
                ):
                    pass
        finally:
            logging.getLogger().removeHandler(records)

        refusal = next(r for r in records.records if "refused a realtime socket" in r.getMessage())
        context = record_context(refusal)
        assert (context.get("request_id"), context.get("route")) == (
            "socket-entry-1",
            urlsplit(address(app_origin_server)).path,
        )

    async def test_a_socket_path_without_a_route_is_refused(self, server: LiveServer) -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(
                f"ws://127.0.0.1:{server.port}/connection/nowhere", open_timeout=TIMEOUT, proxy=None
            ):
                pass

        assert refused.value.response.status_code == 403


async def frames_until_closed(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every message the socket still receives, until the server closes it."""
    messages: list[dict[str, Any]] = []
    while True:
        try:
            messages.extend(await replies(ws))
        except ConnectionClosed:
            return messages


class TestSlowClient:
    async def test_a_client_that_stops_reading_gets_a_prefix_in_order_then_3008_slow(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        user = await create_member(runtime)
        chat_id = uuid.uuid4()
        records = _Records()
        logging.getLogger(centrifugo.__name__).addHandler(records)
        published: list[str] = []
        try:
            async with contextlib.AsyncExitStack() as stack:
                ws = await raw_subscribed(stack, server, runtime, user)
                ws.transport.pause_reading()  # the client stops reading its socket
                deadline = asyncio.get_running_loop().time() + TIMEOUT
                while not any("cannot keep up" in r.getMessage() for r in records.records):
                    assert asyncio.get_running_loop().time() < deadline, "never counted slow"
                    # Big frames that do not compress fill the buffers in a few hundred.
                    cards = [
                        message_card(chat_id, None, text=secrets.token_urlsafe(45_000))
                        for _ in range(10)
                    ]
                    await emit(runtime, *(message_event("create", card, user) for card in cards))
                    published.extend(str(card.id) for card in cards)
                    # Paced, so the server's relay keeps up with Redis rather than hundreds
                    # of megabytes waiting in its subscription (the loop waits on the log).
                    await asyncio.sleep(0.02)
                ws.transport.resume_reading()
                messages = await frames_until_closed(ws)
                closed = (ws.close_code, ws.close_reason)
        finally:
            logging.getLogger(centrifugo.__name__).removeHandler(records)

        received = [m["push"]["pub"]["data"]["message"]["id"] for m in messages if "push" in m]
        assert closed == (3008, "slow")
        assert received == published[: len(received)]  # in order, nothing skipped before
        assert len(received) < len(published)  # and nothing after the close
        await wait_for_listeners(runtime, user, 0)
