"""Realtime across API processes: a message sent through one app instance reaches a GraphQL
subscriber on a second API process and a Centrifugo-protocol subscriber on a third, through
Redis. The two subscribers' processes are real ``uvicorn`` processes, as production runs them."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING, Any

import centrifuge  # type: ignore[import-untyped]
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from strawberry.relay import GlobalID

from tests.api.graphql.factories import login, register
from tests.conftest import DEADLINE, operation
from tests.processes import start_api, stop, wait_until_serving

if TYPE_CHECKING:
    import subprocess
    from collections.abc import AsyncGenerator, AsyncIterator, Iterator
    from pathlib import Path

    import httpx

    from domain.settings import Settings

TIMEOUT = DEADLINE  # positive waits only: reached when a test fails


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def api_process(settings: Settings, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = start_api(settings, port, log)
    try:
        yield f"127.0.0.1:{port}", process
    finally:
        stop(process)


@contextlib.asynccontextmanager
async def two_api_processes(settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    with (
        api_process(settings, tmp_path / "api-a.log") as (host_a, process_a),
        api_process(settings, tmp_path / "api-b.log") as (host_b, process_b),
    ):
        await asyncio.gather(
            wait_until_serving(f"http://{host_a}", process_a),
            wait_until_serving(f"http://{host_b}", process_b),
        )
        yield host_a, host_b


class Publications(centrifuge.SubscriptionEventHandler):  # type: ignore[misc]
    def __init__(self) -> None:
        self.received: asyncio.Queue[Any] = asyncio.Queue()

    async def on_publication(self, ctx: Any) -> None:
        self.received.put_nowait(ctx.pub.data)

    async def next_with_text(self, text: str) -> Any:
        async with asyncio.timeout(DEADLINE):
            while (data := await self.received.get())["message"]["text"] != text:
                pass
        return data


async def next_with_text(stream: AsyncGenerator[dict[str, Any], None], text: str) -> Any:
    async with asyncio.timeout(DEADLINE):
        async for event in stream:
            if event["messageEvents"]["message"]["text"] == text:
                return event
    raise AssertionError("the subscription ended")


async def until_a_warm_up_arrives(
    http: httpx.AsyncClient,
    auth: dict[str, str],
    chat_id: str,
    stream: AsyncGenerator[dict[str, Any], None],
) -> None:
    arrival = asyncio.ensure_future(anext(stream))
    try:
        async with asyncio.timeout(DEADLINE):
            while not arrival.done():
                body = {"chat": chat_id, "text": "warm-up"}
                assert (await http.post("/api/messages/", json=body, headers=auth)).is_success
                await asyncio.wait({arrival}, timeout=0.2)
    finally:
        arrival.cancel()


async def realtime_token(http: httpx.AsyncClient, path: str, access: str) -> str:
    response = await http.post(path, headers={"Authorization": f"Bearer {access}"}, json={})
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


async def test_one_message_reaches_subscribers_on_two_other_processes(
    http: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    await register(http, "sender")
    await register(http, "reader")
    sender_tokens, reader_tokens = await login(http, "sender"), await login(http, "reader")
    auth = {"Authorization": f"Bearer {sender_tokens.access}"}
    created = await http.post(
        "/api/chats/", json={"is_private": True, "members": [reader_tokens.user_id]}, headers=auth
    )
    chat_id = created.json()["id"]
    connect_token = await realtime_token(http, "/api/centrifugo/connect/", reader_tokens.access)
    subscribe_token = await realtime_token(http, "/api/centrifugo/subscribe/", reader_tokens.access)

    async with two_api_processes(settings, tmp_path) as (graphql_host, centrifugo_host):
        # Process A: the reader's GraphQL subscription.
        transport = WebsocketsTransport(
            url=f"ws://{graphql_host}/graphql",
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            init_payload={"authToken": reader_tokens.access},
        )
        # Process B: the reader's legacy app, speaking the Centrifugo protocol.
        publications = Publications()
        legacy = centrifuge.Client(
            f"ws://{centrifugo_host}/connection/websocket/",
            token=connect_token,
            proxy=None,
            timeout=TIMEOUT,
        )
        channel = reader_tokens.user_id
        subscription = legacy.new_subscription(channel, token=subscribe_token, events=publications)
        await legacy.connect()
        await subscription.subscribe()
        await subscription.ready(timeout=TIMEOUT)
        try:
            async with Client(transport=transport) as session:
                stream = session.subscribe(gql(operation("MessageEvents")))
                # A GraphQL subscription says nothing when it starts listening: send warm-up
                # messages until one arrives (process B has said "subscribed" already).
                await until_a_warm_up_arrives(http, auth, chat_id, stream)

                # The third app instance (this test's, in-process) takes the message.
                sent = await http.post(
                    "/api/messages/", json={"chat": chat_id, "text": "across"}, headers=auth
                )
                assert sent.status_code == 201, sent.text
                message_id = sent.json()["id"]

                over_graphql = await next_with_text(stream, "across")
                over_centrifugo = await publications.next_with_text("across")
                await stream.aclose()
        finally:
            await legacy.disconnect()

    event = over_graphql["messageEvents"]
    assert event["kind"] == "CREATE"
    assert event["message"]["text"] == "across"
    assert event["chatId"] == str(GlobalID("Chat", chat_id))  # GraphQL: a global ID
    assert over_centrifugo["event"] == "create"
    assert over_centrifugo["message"]["id"] == message_id
    assert over_centrifugo["message"]["text"] == "across"
    assert over_centrifugo["message"]["sender"]["username"] == "sender"
    # Rendered by process B for its own clients: the URLs name the host they connected to.
    assert over_centrifugo["message"]["chat"] == chat_id
