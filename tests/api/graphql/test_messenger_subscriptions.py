"""messageEvents and presence over a real websocket (gql, graphql-transport-ws), driven by
mutations of other users over HTTP.

A subscription has no acknowledgement, so before acting the tests wait until the live server
(which runs in the test's process) holds the subscriber's queue on the bus channel and Redis
counts a listener there.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from strawberry.relay import GlobalID

from tests.api.graphql.factories import rotate
from tests.api.graphql.test_messenger_support import (
    Person,
    create_group,
    create_private,
    raw,
    send,
)
from tests.conftest import DEADLINE, graphql, operation

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx
    from gql.client import AsyncClientSession

    from domain.bootstrap import Runtime
    from tests.conftest import LiveServer

TIMEOUT = DEADLINE  # positive waits only: reached when a test fails


@contextlib.asynccontextmanager
async def session_of(server: LiveServer, token: str) -> AsyncIterator[AsyncClientSession]:
    transport = WebsocketsTransport(
        url=server.ws_url,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"authToken": token},
    )
    async with Client(transport=transport) as session:
        yield session


def request(name: str, variables: dict[str, Any] | None = None) -> GraphQLRequest:
    return GraphQLRequest(operation(name), variable_values=variables, operation_name=name)


class Stream:
    """A subscription's results, gathered in the background as they come."""

    def __init__(self, session: AsyncClientSession, name: str, variables: dict[str, Any]) -> None:
        self._field = name[0].lower() + name[1:]
        self._results: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue()
        self._task = asyncio.create_task(self._follow(session, request(name, variables)))

    async def _follow(self, session: AsyncClientSession, subscription: GraphQLRequest) -> None:
        try:
            async for result in session.subscribe(subscription):
                self._results.put_nowait(result[self._field])
        except Exception as exc:  # handed to the test by next()
            self._results.put_nowait(exc)

    async def next(self) -> dict[str, Any]:
        result = await asyncio.wait_for(self._results.get(), TIMEOUT)
        if isinstance(result, BaseException):
            raise result
        return result

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@contextlib.asynccontextmanager
async def stream(
    session: AsyncClientSession, name: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[Stream]:
    following = Stream(session, name, variables or {})
    try:
        yield following
    finally:
        await following.close()


async def until_listening(
    server: LiveServer, runtime: Runtime, channel: str, *, queues: int
) -> None:
    """Waits until the live server's bus holds ``queues`` subscribers on ``channel`` and Redis
    has its SUBSCRIBE (a socket's session guard is one subscriber of ``user:<id>``)."""
    live: Runtime = server._server.lifespan.state["runtime"]
    name = f"{live.settings.channel_prefix}:{channel}"

    async def poll() -> None:
        # In-process and Redis state, polled: neither offers an event to wait on.
        while True:
            [(_, listeners)] = await runtime.redis.pubsub_numsub(name)
            if live.bus.open_subscriptions(channel) >= queues and listeners:
                return
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), TIMEOUT)


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(event["kind"], event["chatId"]) for event in events]


async def mutate(
    http: httpx.AsyncClient, name: str, viewer: Person, **fields: Any
) -> dict[str, Any]:
    body = await graphql(http, name, {"input": fields}, token=viewer.token)
    assert "errors" not in body, body
    [payload] = body["data"].values()
    assert not payload["__typename"].endswith("Error"), payload
    result: dict[str, Any] = payload
    return result


class TestMessageEvents:
    async def test_follow_every_chat_of_the_viewer(
        self,
        server: LiveServer,
        runtime: Runtime,
        http: httpx.AsyncClient,
        ivan: Person,
        olga: Person,
    ) -> None:
        private = await create_private(http, ivan, olga)
        group = await create_group(http, olga, "Club", [ivan])
        first = await send(http, ivan, private["id"], "first")
        second = await send(http, ivan, private["id"], "second")

        async with (
            session_of(server, ivan.token) as session,
            stream(session, "MessageEvents") as events,
        ):
            await until_listening(server, runtime, f"user:{ivan.raw_id}", queues=2)
            sent = await send(http, olga, private["id"], "hello")
            await mutate(http, "EditMessage", olga, messageId=sent["id"], text="hello!")
            await mutate(http, "ReadMessage", olga, messageId=first["id"])
            await mutate(http, "DeleteMessage", olga, messageId=sent["id"])
            await mutate(http, "ReadAllMessages", olga, chatId=private["id"])
            await send(http, olga, group["id"], "in the club")
            received = [await events.next() for _ in range(6)]

        private_id, group_id = private["id"], group["id"]
        assert kinds(received) == [
            ("CREATE", private_id),
            ("UPDATE", private_id),
            ("READ", private_id),
            ("DELETE", private_id),
            ("READ_ALL", private_id),
            ("CREATE", group_id),
        ]
        create, update, read, delete, read_all, other_chat = received
        assert create["message"] == sent
        assert create["messageIds"] == [sent["id"]]
        assert (update["message"]["text"], update["message"]["id"]) == ("hello!", sent["id"])
        assert update["message"]["updatedAt"] > sent["updatedAt"]
        assert read["message"]["id"] == first["id"]
        assert [u["username"] for u in read["message"]["wasReadBy"]] == ["olga"]
        assert delete["message"]["id"] == sent["id"]  # as it was
        assert delete["message"]["text"] == "hello!"
        assert read_all == {
            "kind": "READ_ALL",
            "chatId": private_id,
            "readerId": olga.id,
            "messageIds": [second["id"]],
            "message": None,
        }
        assert other_chat["message"]["text"] == "in the club"
        assert other_chat["message"]["sender"]["username"] == "olga"

    async def test_of_one_chat_skip_the_others(
        self,
        server: LiveServer,
        runtime: Runtime,
        http: httpx.AsyncClient,
        ivan: Person,
        olga: Person,
    ) -> None:
        private = await create_private(http, ivan, olga)
        group = await create_group(http, olga, "Club", [ivan])

        async with (
            session_of(server, ivan.token) as session,
            stream(session, "MessageEvents", {"chatId": private["id"]}) as events,
        ):
            await until_listening(server, runtime, f"user:{ivan.raw_id}", queues=2)
            await send(http, olga, group["id"], "elsewhere")
            await send(http, olga, private["id"], "here")
            await send(http, olga, group["id"], "elsewhere again")
            await send(http, ivan, private["id"], "here again")
            # One channel keeps its order: had the group's events come through, they were first.
            received = [await events.next() for _ in range(2)]

        assert [(e["kind"], e["chatId"], e["message"]["text"]) for e in received] == [
            ("CREATE", private["id"], "here"),
            ("CREATE", private["id"], "here again"),
        ]

    async def test_events_of_chats_the_viewer_is_not_in_never_arrive(
        self,
        server: LiveServer,
        runtime: Runtime,
        http: httpx.AsyncClient,
        ivan: Person,
        olga: Person,
        petr: Person,
    ) -> None:
        theirs = await create_private(http, ivan, olga)
        mine = await create_private(http, olga, petr)

        async with (
            session_of(server, petr.token) as session,
            stream(session, "MessageEvents") as events,
        ):
            await until_listening(server, runtime, f"user:{petr.raw_id}", queues=2)
            await send(http, olga, theirs["id"], "not for petr")
            await send(http, olga, mine["id"], "for petr")
            received = await events.next()

        assert (received["chatId"], received["message"]["text"]) == (mine["id"], "for petr")

    async def test_a_member_who_left_gets_no_more_of_the_group(
        self,
        server: LiveServer,
        runtime: Runtime,
        http: httpx.AsyncClient,
        ivan: Person,
        olga: Person,
    ) -> None:
        group = await create_group(http, ivan, "Club", [olga])
        private = await create_private(http, ivan, olga)

        async with (
            session_of(server, olga.token) as session,
            stream(session, "MessageEvents") as events,
        ):
            await until_listening(server, runtime, f"user:{olga.raw_id}", queues=2)
            await mutate(http, "LeaveChat", olga, chatId=group["id"])
            await send(http, ivan, group["id"], "after she left")
            await send(http, ivan, private["id"], "to her")
            received = await events.next()

        assert (received["chatId"], received["message"]["text"]) == (private["id"], "to her")

    @pytest.mark.parametrize(
        ("chat", "code"),
        [
            pytest.param("theirs", "NOT_FOUND", id="not-a-member"),
            pytest.param("unknown", "NOT_FOUND", id="unknown"),
            pytest.param("raw", "BAD_USER_INPUT", id="raw-uuid"),
            pytest.param("user", "BAD_USER_INPUT", id="other-type"),
        ],
    )
    async def test_a_chat_the_viewer_is_not_in_is_refused(
        self,
        server: LiveServer,
        http: httpx.AsyncClient,
        ivan: Person,
        olga: Person,
        petr: Person,
        chat: str,
        code: str,
    ) -> None:
        theirs = await create_private(http, ivan, olga)
        mine = await create_private(http, olga, petr)
        chat_id = {
            "theirs": theirs["id"],
            "unknown": str(GlobalID("Chat", petr.raw_id)),
            "raw": raw(mine["id"]),  # his own chat, but not as a global ID
            "user": petr.id,
        }[chat]

        async with (
            session_of(server, petr.token) as session,
            stream(session, "MessageEvents", {"chatId": chat_id}) as events,
        ):
            with pytest.raises(TransportQueryError) as refused:
                await events.next()

        assert refused.value.errors is not None
        assert [e["extensions"]["code"] for e in refused.value.errors] == [code]


class TestPresence:
    async def test_tells_when_a_user_goes_online_and_offline(
        self,
        server: LiveServer,
        runtime: Runtime,
        http: httpx.AsyncClient,
        ivan: Person,
        olga: Person,
    ) -> None:
        await graphql(http, "GoOffline", token=olga.token)

        async with (
            session_of(server, ivan.token) as session,
            stream(session, "Presence", {"userIds": [olga.id]}) as events,
        ):
            await until_listening(server, runtime, f"presence:{olga.raw_id}", queues=1)
            online = await graphql(http, "GoOnline", token=olga.token)
            came = await events.next()
            offline = await graphql(http, "GoOffline", token=olga.token)
            went = await events.next()

        assert (came["userId"], came["isOnline"]) == (olga.id, True)
        # Announced by the request's own activity, a moment before goOnline wrote its time.
        assert came["lastOnlineAt"] <= online["data"]["goOnline"]["user"]["lastOnlineAt"]
        assert went == {
            "userId": olga.id,
            "isOnline": False,
            "lastOnlineAt": offline["data"]["goOffline"]["user"]["lastOnlineAt"],
        }

    async def test_only_the_named_users(
        self,
        server: LiveServer,
        runtime: Runtime,
        http: httpx.AsyncClient,
        ivan: Person,
        olga: Person,
        petr: Person,
    ) -> None:
        for user in (olga, petr):
            await graphql(http, "GoOffline", token=user.token)

        async with (
            session_of(server, ivan.token) as session,
            stream(session, "Presence", {"userIds": [olga.id]}) as events,
        ):
            await until_listening(server, runtime, f"presence:{olga.raw_id}", queues=1)
            await graphql(http, "GoOnline", token=petr.token)
            await graphql(http, "GoOnline", token=olga.token)
            came = await events.next()

        assert (came["userId"], came["isOnline"]) == (olga.id, True)

    @pytest.mark.parametrize("user_id", ["garbage", "raw-uuid", "chat-id"])
    async def test_refuses_ids_that_are_not_user_ids(
        self, server: LiveServer, ivan: Person, user_id: str
    ) -> None:
        given = {
            "garbage": "garbage",
            "raw-uuid": ivan.raw_id,
            "chat-id": str(GlobalID("Chat", ivan.raw_id)),
        }[user_id]
        async with (
            session_of(server, ivan.token) as session,
            stream(session, "Presence", {"userIds": [ivan.id, given]}) as events,
        ):
            with pytest.raises(TransportQueryError) as refused:
                await events.next()

        assert refused.value.errors is not None
        assert [e["extensions"]["code"] for e in refused.value.errors] == ["BAD_USER_INPUT"]
        assert [e["message"] for e in refused.value.errors] == ["Every id must be a User id."]


async def test_a_socket_whose_token_was_rotated_is_unauthenticated(
    server: LiveServer, http: httpx.AsyncClient, ivan: Person
) -> None:
    codes = {}
    async with session_of(server, ivan.token) as session:
        await rotate(http, ivan.tokens)  # the socket stays open; its token is no longer live

        for name, variables in (("MessageEvents", {}), ("Presence", {"userIds": [ivan.id]})):
            async with stream(session, name, variables) as events:
                with pytest.raises(TransportQueryError) as refused:
                    await events.next()
            assert refused.value.errors is not None
            codes[name] = [e["extensions"]["code"] for e in refused.value.errors]

    assert codes == {"MessageEvents": ["UNAUTHENTICATED"], "Presence": ["UNAUTHENTICATED"]}
