"""Identical ``messageEvents`` subscriptions share one execution per event (resolvers.sharing):
each socket still gets exactly the frame it got from its own execution, and viewers never
get each other's data. Raw websockets, so frames are compared byte for byte."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from resolvers import sharing
from resolvers.sharing import SharedExecutor
from tests.api.graphql.test_messenger_subscriptions import until_listening
from tests.api.graphql.test_messenger_support import create_private, send
from tests.conftest import DEADLINE

if TYPE_CHECKING:
    import httpx
    import pytest
    from websockets.asyncio.client import ClientConnection

    from domain.bootstrap import Runtime
    from tests.api.graphql.test_messenger_support import Person
    from tests.conftest import LiveServer

TIMEOUT = DEADLINE  # positive waits only: reached when a test fails

EVENTS = """
subscription Events($chatId: ID) {
  messageEvents(chatId: $chatId) {
    kind chatId messageIds
    message { id text createdAt sender { id username role isOnline } wasReadBy { username } }
  }
}
"""
# Another document: its own execution, never another document's result.
FEWER = "subscription { messageEvents { kind message { id text } } }"


async def subscribed(
    stack: contextlib.AsyncExitStack,
    server: LiveServer,
    viewer: Person,
    operation_id: str,
    query: str,
    variables: dict[str, Any] | None = None,
) -> ClientConnection:
    protocol = Subprotocol("graphql-transport-ws")
    ws = await stack.enter_async_context(
        connect(server.ws_url, subprotocols=[protocol], open_timeout=TIMEOUT, proxy=None)
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": viewer.token}}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert ack["type"] == "connection_ack", ack
    payload = {"query": query, "variables": variables or {}}
    await ws.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))
    return ws


async def next_frame(ws: ClientConnection) -> str:
    """The text of the socket's next ``next`` message (pings are answered on the way)."""
    while True:
        frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert isinstance(frame, str)
        message = json.loads(frame)
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        assert message["type"] == "next", message
        return frame


class TestSharedExecution:
    async def test_identical_subscriptions_share_and_each_gets_what_its_own_execution_gave(
        self,
        server: LiveServer,
        runtime: Runtime,
        http: httpx.AsyncClient,
        ivan: Person,
        olga: Person,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        private = await create_private(http, ivan, olga)
        prefix = runtime.settings.channel_prefix
        async with contextlib.AsyncExitStack() as stack:
            sockets = {
                # Three identical subscriptions of one viewer...
                "a": await subscribed(stack, server, ivan, "a", EVENTS),
                "b": await subscribed(stack, server, ivan, "b", EVENTS),
                "c": await subscribed(stack, server, ivan, "c", EVENTS),
                # ...one with other variables, one with another document...
                "d": await subscribed(stack, server, ivan, "d", EVENTS, {"chatId": private["id"]}),
                "e": await subscribed(stack, server, ivan, "e", FEWER),
                # ...and the other viewer, who may not see ivan's role.
                "f": await subscribed(stack, server, olga, "f", EVENTS),
                "g": await subscribed(stack, server, olga, "g", EVENTS),
            }
            # Each socket: its session guard and its subscription.
            await until_listening(server, runtime, f"user:{ivan.raw_id}", queues=10)
            await until_listening(server, runtime, f"user:{olga.raw_id}", queues=4)
            published = runtime.redis.pubsub()
            await published.subscribe(f"{prefix}:user:{olga.raw_id}")
            try:
                # The unshared path first: every subscription executes for itself.
                monkeypatch.setattr(sharing, "SHAREABLE", set())
                before = SharedExecutor.reused
                await send(http, ivan, private["id"], "hello")
                unshared = {name: await next_frame(ws) for name, ws in sockets.items()}
                assert SharedExecutor.reused == before
                text = await published_text(published)
            finally:
                await published.aclose()
            # The same bus message again, shared.
            monkeypatch.undo()
            for user in (ivan, olga):
                await runtime.bus.publish(f"user:{user.raw_id}", text)
            shared = {name: await next_frame(ws) for name, ws in sockets.items()}

        assert shared == unshared
        # b and c reused a's result, g reused f's.
        assert SharedExecutor.reused - before >= 3
        payloads = {name: json.loads(frame)["payload"] for name, frame in shared.items()}
        assert payloads["a"] == payloads["b"] == payloads["c"] == payloads["d"]
        ivans, olgas = payloads["a"]["data"], payloads["f"]["data"]
        assert ivans["messageEvents"]["message"]["sender"]["role"] is not None
        assert olgas["messageEvents"]["message"]["sender"]["role"] is None
        assert payloads["e"]["data"]["messageEvents"].keys() == {"kind", "message"}
        assert [json.loads(frame)["id"] for frame in shared.values()] == list(sockets)


async def published_text(pubsub: Any) -> str:
    """The next message Redis carried on the pub/sub's channel."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                return str(message["data"].decode())
