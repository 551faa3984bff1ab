"""Realtime sockets when the event bus loses Redis (a private redis-server, stopped and started).

Pub/sub is at-most-once: what is published while the bus has no connection is lost. So every
open GraphQL subscription ends with an ``UNAVAILABLE`` error (the client subscribes again and
re-queries by the ids events carry), a new one is refused at once while the bus is down, the
socket itself stays open (its session guard waits for the bus and listens again), and a
Centrifugo socket closes with a code that makes the legacy client reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from domain.jobs import service as jobs
from tests.api.graphql.test_messenger_support import Person, create_private, person, send
from tests.api.graphql.test_websockets import (
    authenticated_socket,
    close_code,
    is_open,
)
from tests.api.graphql.test_websockets import send as send_frame
from tests.api.realtime.test_centrifugo import (
    connected,
    create_member,
    emit,
    message_card,
    message_event,
    subscribe_own,
    user_card,
)
from tests.conftest import DEADLINE, LiveServer, operation, started_runtime

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from websockets.asyncio.client import ClientConnection

    from domain.bootstrap import Runtime
    from domain.settings import Settings
    from tests.redis_server import RedisServer

POLL = 0.05
# centrifuge-python's disconnect code for a server close it may reconnect after (3000-3499).
INSUFFICIENT_STATE = 3010


@pytest.fixture
def private_settings(settings: Settings, redis_server: RedisServer) -> Settings:
    return settings.model_copy(update={"redis_url": redis_server.url})


@pytest.fixture
async def live(private_settings: Settings) -> AsyncIterator[LiveServer]:
    async with LiveServer(private_settings) as server:
        yield server


@pytest.fixture
async def private_runtime(private_settings: Settings) -> AsyncIterator[Runtime]:
    async with started_runtime(private_settings) as runtime:
        yield runtime


@pytest.fixture
async def client(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=DEADLINE) as http:
        yield http


# --- graphql-transport-ws, frame by frame -------------------------------------------------------


async def subscribe(
    ws: ClientConnection, op_id: str, name: str, variables: dict[str, Any] | None = None
) -> None:
    document = {"query": operation(name), "operationName": name, "variables": variables or {}}
    await send_frame(ws, {"id": op_id, "type": "subscribe", "payload": document})


async def frame(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(DEADLINE):
        message: dict[str, Any] = json.loads(await ws.recv())
    return message


class Operations:
    """What each operation of one socket received, read in whatever order the server sends."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        # A ``next`` payload is an object, an ``error`` payload a list of errors.
        self.results: dict[str, list[Any]] = {}
        self.ended: set[str] = set()

    async def read(self) -> dict[str, Any]:
        message = await frame(self.ws)
        op_id = message.get("id")
        if op_id is not None:
            if message["type"] in {"complete", "error"}:
                self.ended.add(op_id)
            if message["type"] in {"next", "error"}:
                self.results.setdefault(op_id, []).append(message["payload"])
        return message

    async def until_ended(self, *op_ids: str) -> None:
        while not self.ended.issuperset(op_ids):
            await self.read()

    async def next_data(self, op_id: str) -> dict[str, Any]:
        """The data of the next ``next`` of this operation."""
        seen = len(self.results.get(op_id, []))
        while len(self.results.get(op_id, [])) <= seen:
            await self.read()
        payload = self.results[op_id][-1]
        assert "errors" not in payload, payload
        data: dict[str, Any] = payload["data"]
        return data

    def error_codes(self, op_id: str) -> list[str]:
        """The ``extensions.code`` of every error the operation received."""
        codes: list[str] = []
        for payload in self.results.get(op_id, []):
            errors = payload if isinstance(payload, list) else payload.get("errors", [])
            codes += [error.get("extensions", {}).get("code") for error in errors]
        return codes


async def until_listened(runtime: Runtime, *channels: str) -> None:
    """Until the live server's bus has SUBSCRIBEd to every channel (subscribe has no ack)."""
    names = [f"{runtime.settings.channel_prefix}:{channel}" for channel in channels]
    async with asyncio.timeout(DEADLINE):
        while True:
            counts = await runtime.redis.pubsub_numsub(*names)
            if all(count for _, count in counts):
                return
            await asyncio.sleep(POLL)


async def queued_task(runtime: Runtime, owner: Person) -> str:
    async with runtime.uow() as uow:
        job = await jobs.create_job(uow, kind=jobs.NOOP, args={}, owner_id=uuid.UUID(owner.raw_id))
        await uow.commit()
    return job.id


async def resubscribed_until(
    operations: Operations, name: str, act: Callable[[], Awaitable[None]]
) -> dict[str, Any]:
    """Subscribes again until the bus accepts (it refuses at once while down), repeating
    ``act`` until the accepted subscription receives something: its first data."""
    deadline = time.monotonic() + DEADLINE
    attempt = 0
    while True:
        op_id, attempt = f"{name}-{attempt}", attempt + 1
        await subscribe(operations.ws, op_id, name)
        while not operations.results.get(op_id):
            assert time.monotonic() < deadline, "no event reached a new subscription"
            await act()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL * 4):
                    await operations.read()
        if not operations.error_codes(op_id):
            data: dict[str, Any] = operations.results[op_id][0]["data"]
            return data
        await asyncio.sleep(POLL)


class TestGraphQLSubscriptions:
    async def test_each_open_subscription_ends_unavailable_and_the_socket_stays(
        self,
        live: LiveServer,
        client: httpx.AsyncClient,
        private_runtime: Runtime,
        redis_server: RedisServer,
    ) -> None:
        ivan, olga = await person(client, "ivan"), await person(client, "olga")
        task_id = await queued_task(private_runtime, ivan)
        async with authenticated_socket(live, {"authToken": ivan.token}) as ws:
            operations = Operations(ws)
            await subscribe(ws, "messages", "MessageEvents")
            await subscribe(ws, "task", "TaskEvents", {"id": task_id})
            await subscribe(ws, "presence", "Presence", {"userIds": [olga.id]})
            await subscribe(ws, "account", "AccountEvents")
            assert (await operations.next_data("task"))["taskEvents"]["status"] == "QUEUED"
            await until_listened(
                private_runtime, f"user:{ivan.raw_id}", f"task:{task_id}", f"presence:{olga.raw_id}"
            )

            await redis_server.stop()
            every = ("messages", "task", "presence", "account")
            await operations.until_ended(*every)
            assert {op: operations.error_codes(op) for op in every} == {
                op: ["UNAVAILABLE"] for op in every
            }
            assert await is_open(ws)  # not closed as "revoked": only the events were lost

            await subscribe(ws, "while-down", "MessageEvents")
            await operations.until_ended("while-down")
            assert operations.error_codes("while-down") == ["UNAVAILABLE"]

    async def test_after_the_outage_a_new_subscription_receives_ids_to_requery_by(
        self,
        live: LiveServer,
        client: httpx.AsyncClient,
        private_runtime: Runtime,
        redis_server: RedisServer,
    ) -> None:
        ivan, olga = await person(client, "ivan"), await person(client, "olga")
        chat = await create_private(client, olga, ivan)
        async with authenticated_socket(live, {"authToken": ivan.token}) as ws:
            operations = Operations(ws)
            await subscribe(ws, "messages", "MessageEvents")
            await until_listened(private_runtime, f"user:{ivan.raw_id}")
            await redis_server.stop()
            await operations.until_ended("messages")
            await redis_server.start()

            async def olga_writes() -> None:
                await send(client, olga, chat["id"], "after the outage")

            data = await resubscribed_until(operations, "MessageEvents", olga_writes)
            event = data["messageEvents"]
            assert event["kind"] == "CREATE"
            assert event["chatId"] == chat["id"]
            assert event["message"]["id"]
            assert event["messageIds"] == [event["message"]["id"]]

    async def test_the_session_guard_listens_again_and_closes_on_a_later_logout(
        self,
        live: LiveServer,
        client: httpx.AsyncClient,
        private_runtime: Runtime,
        redis_server: RedisServer,
    ) -> None:
        ivan = await person(client, "ivan")
        async with authenticated_socket(live, {"authToken": ivan.token}) as ws:
            await until_listened(private_runtime, f"user:{ivan.raw_id}")  # the guard
            await redis_server.stop()
            assert await is_open(ws)
            await redis_server.start()
            await until_listened(private_runtime, f"user:{ivan.raw_id}")
            assert await is_open(ws)
            logout = {"query": operation("Logout"), "operationName": "Logout"}
            headers = {"Authorization": f"Bearer {ivan.token}"}
            assert (await client.post("/graphql", json=logout, headers=headers)).status_code == 200
            with contextlib.suppress(ConnectionClosed):
                while True:  # whatever the socket still sends, until it closes
                    await frame(ws)
            assert await close_code(ws) == 4403


class TestCentrifugoSocket:
    async def test_closes_with_a_reconnect_code_and_the_client_comes_back(
        self, live: LiveServer, private_runtime: Runtime, redis_server: RedisServer
    ) -> None:
        user = await create_member(private_runtime)
        async with connected(live, private_runtime, user) as (centrifuge_client, events):
            subscription = await subscribe_own(centrifuge_client, private_runtime, user)
            await redis_server.stop()
            async with asyncio.timeout(DEADLINE):
                while True:  # the client's state, polled: it offers no event to wait on
                    if INSUFFICIENT_STATE in [ctx.code for ctx in events.connecting]:
                        break
                    await asyncio.sleep(POLL)
            assert not events.disconnected.done()  # reconnecting, not given up
            await redis_server.start()
            card = message_card(uuid.uuid4(), user_card(user.id))
            async with asyncio.timeout(DEADLINE):
                while subscription.publications.empty():
                    # Until the client has reconnected and subscribed again: lost till then.
                    await emit(private_runtime, message_event("create", card, user))
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(POLL * 4):
                            await subscription.publications.get()
                            break
            assert card.id
