"""One bus channel fanned out to many ``messageEvents`` subscriptions in one process (the bus
relay, shared executions, the extension runner's per-result shortcuts): every subscription
gets every event of its viewer's channel once, in the order published, under its own id and
as its viewer may see it, and none of another channel's. Raw websockets, real Redis."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from tests.api.graphql.test_messenger_subscriptions import until_listening
from tests.api.graphql.test_messenger_support import create_private, send
from tests.api.graphql.test_shared_subscriptions import (
    EVENTS,
    next_frame,
    published_text,
    subscribed,
)

if TYPE_CHECKING:
    import httpx
    from websockets.asyncio.client import ClientConnection

    from domain.bootstrap import Runtime
    from tests.api.graphql.test_messenger_support import Person
    from tests.conftest import LiveServer

BURST = 20


def event_of(frame: str) -> tuple[str, dict[str, Any]]:
    message = json.loads(frame)
    return message["id"], message["payload"]["data"]["messageEvents"]


async def frames_by_id(ws: ClientConnection, count: int) -> dict[str, list[dict[str, Any]]]:
    """The socket's next ``count`` events, per operation id, each list in arrival order."""
    got: dict[str, list[dict[str, Any]]] = {}
    for _ in range(count):
        operation_id, event = event_of(await next_frame(ws))
        got.setdefault(operation_id, []).append(event)
    return got


class TestFanOut:
    async def test_a_burst_reaches_every_subscription_once_in_order_and_no_other_viewer(
        self,
        server: LiveServer,
        runtime: Runtime,
        http: httpx.AsyncClient,
        ivan: Person,
        olga: Person,
    ) -> None:
        private = await create_private(http, ivan, olga)
        prefix = runtime.settings.channel_prefix
        async with contextlib.AsyncExitStack() as stack:
            ivans = [await subscribed(stack, server, ivan, f"i{k}", EVENTS) for k in range(4)]
            # One socket with two subscriptions of the same document.
            double = await subscribed(stack, server, ivan, "x", EVENTS)
            await double.send(
                json.dumps({"id": "y", "type": "subscribe", "payload": {"query": EVENTS}})
            )
            olgas = [await subscribed(stack, server, olga, f"o{k}", EVENTS) for k in range(3)]
            # Each socket: its session guard and its subscriptions.
            await until_listening(server, runtime, f"user:{ivan.raw_id}", queues=11)
            await until_listening(server, runtime, f"user:{olga.raw_id}", queues=6)
            published = runtime.redis.pubsub()
            await published.subscribe(f"{prefix}:user:{ivan.raw_id}")
            try:
                await send(http, ivan, private["id"], "hello")
                text = await published_text(published)
            finally:
                await published.aclose()
            for ws in [*ivans, *olgas]:
                await next_frame(ws)
            await frames_by_id(double, 2)

            burst = [text.replace('"hello"', f'"burst {k}"') for k in range(BURST)]
            assert len(set(burst)) == BURST
            assert text not in burst
            await runtime.bus.publish_many([(f"user:{ivan.raw_id}", b) for b in burst])
            # Then one on olga's channel: her sockets' next frame, none of ivan's burst.
            await runtime.bus.publish(f"user:{olga.raw_id}", text.replace('"hello"', '"olga"'))

            expected = [f"burst {k}" for k in range(BURST)]
            for k, ws in enumerate(ivans):
                got = await frames_by_id(ws, BURST)
                assert list(got) == [f"i{k}"]
                assert [event["message"]["text"] for event in got[f"i{k}"]] == expected
                assert all(e["message"]["sender"]["role"] is not None for e in got[f"i{k}"])
            got = await frames_by_id(double, 2 * BURST)
            assert sorted(got) == ["x", "y"]
            for events in got.values():
                assert [event["message"]["text"] for event in events] == expected
            for k, ws in enumerate(olgas):
                operation_id, event = event_of(await next_frame(ws))
                assert operation_id == f"o{k}"
                assert event["message"]["text"] == "olga"
                # Olga may not see the sender's role: never ivan's rendering.
                assert event["message"]["sender"]["role"] is None
