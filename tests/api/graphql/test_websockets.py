"""Subscriptions over a real websocket: graphql-transport-ws auth, accountEvents, origins, and
how an open socket follows its session (re-checked per operation, closed on revocation/expiry)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from redis.asyncio import Redis
from sqlalchemy import update
from starlette.websockets import WebSocket
from strawberry.relay import GlobalID
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin, Subprotocol

from domain.accounts.events import AccountChanged
from domain.accounts.model import User
from domain.jobs import service as jobs
from resolvers.loaders import Loaders
from resolvers.permissions import authenticate_context
from resolvers.root import schema
from resolvers.websocket import GUARD_TASK
from schema.context import Context
from tests.api.graphql.factories import (
    Tokens,
    error_codes,
    expired,
    login,
    register,
    register_and_login,
    rotate,
    unsigned,
)
from tests.conftest import (
    DEADLINE,
    LiveServer,
    graphql,
    module_settings_with,
    operation,
    until,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from websockets.asyncio.client import ClientConnection

    from domain.bootstrap import Runtime
    from domain.settings import Settings

# Theft detection as it is without the grace window (which has tests of its own):
# presenting a rotated refresh token again revokes the family at once.
module_settings = module_settings_with(refresh_grace_seconds=0)

PROTOCOL = "graphql-transport-ws"
TIMEOUT = DEADLINE  # positive waits only: reached when a test fails
APP_ORIGIN = "https://app.example"
EVIL_ORIGIN = "https://evil.example"

BAD_TOKENS: dict[str, Callable[[Tokens], str]] = {
    "garbage": lambda tokens: "not-a-jwt",
    "expired": lambda tokens: expired(tokens.access),
    "alg-none": lambda tokens: unsigned(tokens.access),
    "refresh-token": lambda tokens: tokens.refresh,
}


@contextlib.asynccontextmanager
async def socket(
    server: LiveServer, *, protocols: Sequence[str] | None = (PROTOCOL,), origin: str | None = None
) -> AsyncIterator[ClientConnection]:
    async with connect(
        server.ws_url,
        subprotocols=None if protocols is None else [Subprotocol(p) for p in protocols],
        origin=None if origin is None else Origin(origin),
        open_timeout=TIMEOUT,
    ) as ws:
        yield ws


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    return message


async def close_code_before_any_message(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await receive(ws)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def init(ws: ClientConnection, payload: dict[str, Any] | None) -> None:
    await send(ws, {"type": "connection_init", "payload": payload})


@contextlib.asynccontextmanager
async def authenticated_socket(
    server: LiveServer, payload: dict[str, Any]
) -> AsyncIterator[ClientConnection]:
    async with socket(server) as ws:
        await init(ws, payload)
        assert await receive(ws) == {"type": "connection_ack"}
        yield ws


async def subscribe_account_events(ws: ClientConnection, subscription_id: str = "1") -> None:
    document = {"query": operation("AccountEvents"), "operationName": "AccountEvents"}
    await send(ws, {"id": subscription_id, "type": "subscribe", "payload": document})


async def execute(
    ws: ClientConnection,
    name: str,
    variables: dict[str, Any] | None = None,
    operation_id: str = "op",
) -> dict[str, Any]:
    """Runs a query or mutation over the socket; the payload of its one ``next`` message."""
    document = {"query": operation(name), "operationName": name, "variables": variables or {}}
    await send(ws, {"id": operation_id, "type": "subscribe", "payload": document})
    message = await receive(ws)
    assert message["type"] == "next", message
    assert await receive(ws) == {"id": operation_id, "type": "complete"}
    payload: dict[str, Any] = message["payload"]
    return payload


async def is_open(ws: ClientConnection) -> bool:
    """Whether the server still answers a protocol ping."""
    await send(ws, {"type": "ping"})
    return await receive(ws) == {"type": "pong"}


async def close_code(ws: ClientConnection) -> int | None:
    """The code the server closes the socket with (waited for, bounded)."""
    await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    return ws.close_code


async def change_user(runtime: Runtime, user_id: str, **values: Any) -> None:
    """Changes a user's row directly, and says so as every write of tghub's does: the API
    process drops the user from its session cache when the event arrives."""
    async with runtime.uow() as uow:
        stmt = update(User).where(User.id == uuid.UUID(user_id)).values(**values)
        await uow.session.execute(stmt)
        uow.emit(AccountChanged(user_id=uuid.UUID(user_id)))
        await uow.commit()


async def account_events_through_the_schema(runtime: Runtime, token: str) -> list[Any]:
    """Every result of accountEvents run by the schema itself, as a socket's operation is."""

    async def unused_channel(*_: Any) -> Any:
        raise AssertionError("the schema itself never talks to the socket")

    socket = WebSocket({"type": "websocket", "headers": []}, unused_channel, unused_channel)
    context = Context(
        request=socket,
        response=None,
        uow=runtime.uow,
        auth=runtime.auth,
        events=runtime.bus,
        loaders=Loaders(runtime.uow, runtime.secrets),
        secrets=runtime.secrets,
        messenger=runtime.messenger,
        schedule=jobs.scheduled_jobs(runtime.settings),
        token=token,
    )
    await authenticate_context(context, token)

    async def every_result() -> list[Any]:
        stream = await schema.subscribe(operation("AccountEvents"), context_value=context)
        return [result async for result in stream]

    return await asyncio.wait_for(every_result(), TIMEOUT)


def revoked(session_id: str, reason: str, subscription_id: str = "1") -> dict[str, Any]:
    """The ``next`` message announcing a revoked session."""
    event = {"sessionId": session_id, "reason": reason}
    return {"id": subscription_id, "type": "next", "payload": {"data": {"accountEvents": event}}}


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def until_subscribed(redis: Redis, settings: Settings) -> Callable[[Tokens], Any]:
    """Waits until the API listens on the user's event channel (subscribe has no ack).

    A socket's session guard listens there from its ack on, so this proves less than it did;
    accountEvents reports a revocation that came before it listened, so either order holds.
    """

    async def wait(tokens: Tokens) -> None:
        channel = f"{settings.channel_prefix}:user:{tokens.user_id}"

        async def poll() -> None:
            # Redis state, polled: no event to wait on. Bounded by the wait_for below.
            while True:
                [(_, listeners)] = await redis.pubsub_numsub(channel)
                if listeners:
                    return
                await asyncio.sleep(0.01)

        await asyncio.wait_for(poll(), TIMEOUT)

    return wait


class TestConnectionInit:
    async def test_without_a_token_closes_with_4403_before_any_ack(
        self, server: LiveServer
    ) -> None:
        async with socket(server) as ws:
            await init(ws, {})

            assert await close_code_before_any_message(ws) == 4403

    @pytest.mark.parametrize("bad_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
    async def test_with_a_bad_token_closes_with_4403_before_any_ack(
        self, server: LiveServer, http: httpx.AsyncClient, bad_token: Callable[[Tokens], str]
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with socket(server) as ws:
            await init(ws, {"authToken": bad_token(tokens)})

            assert await close_code_before_any_message(ws) == 4403

    async def test_with_a_logged_out_token_closes_with_4403(
        self, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        tokens = await register_and_login(http, "ivan")
        await graphql(http, "Logout", token=tokens.access)

        async with socket(server) as ws:
            await init(ws, {"Authorization": f"Bearer {tokens.access}"})

            assert await close_code_before_any_message(ws) == 4403

    async def test_with_a_null_payload_closes_with_4400(self, server: LiveServer) -> None:
        async with socket(server) as ws:
            await init(ws, None)

            assert await close_code_before_any_message(ws) == 4400

    @pytest.mark.parametrize(
        "payload",
        [
            pytest.param(lambda token: {"Authorization": f"Bearer {token}"}, id="authorization"),
            pytest.param(lambda token: {"authToken": token}, id="auth-token"),
        ],
    )
    async def test_acks_a_valid_access_token(
        self,
        server: LiveServer,
        http: httpx.AsyncClient,
        payload: Callable[[str], dict[str, str]],
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with socket(server) as ws:
            await init(ws, payload(tokens.access))

            assert await receive(ws) == {"type": "connection_ack"}

    @pytest.mark.parametrize("protocols", [["graphql-ws"], None], ids=["legacy", "none"])
    async def test_refuses_any_other_subprotocol(
        self, server: LiveServer, protocols: list[str] | None
    ) -> None:
        async with socket(server, protocols=protocols) as ws:
            assert ws.subprotocol is None
            assert await close_code_before_any_message(ws) == 4406


class TestGqlClient:
    async def test_runs_queries_as_the_authenticated_viewer(
        self, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        tokens = await register_and_login(http, "ivan")
        transport = WebsocketsTransport(
            url=server.ws_url,
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            init_payload={"authToken": tokens.access},
        )

        async with Client(transport=transport) as session:
            result = await session.execute(gql(operation("Viewer")))

        assert result["viewer"]["username"] == "ivan"

    async def test_receives_the_logout_of_its_session(
        self,
        server: LiveServer,
        http: httpx.AsyncClient,
        until_subscribed: Callable[[Tokens], Any],
    ) -> None:
        tokens = await register_and_login(http, "ivan")
        transport = WebsocketsTransport(
            url=server.ws_url,
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            init_payload={"Authorization": f"Bearer {tokens.access}"},
        )

        async with Client(transport=transport) as session:

            async def every_event() -> list[dict[str, Any]]:
                return [e async for e in session.subscribe(gql(operation("AccountEvents")))]

            events = asyncio.create_task(every_event())
            await until_subscribed(tokens)
            await graphql(http, "Logout", token=tokens.access)

            # The list is complete only once the server completed the subscription.
            received = await asyncio.wait_for(events, TIMEOUT)

        assert received == [{"accountEvents": {"sessionId": tokens.session_id, "reason": "logout"}}]


class TestAccountEvents:
    async def test_refresh_token_reuse_tells_the_subscriber(
        self,
        server: LiveServer,
        http: httpx.AsyncClient,
        until_subscribed: Callable[[Tokens], Any],
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            await subscribe_account_events(ws)
            await until_subscribed(tokens)
            await graphql(http, "RefreshToken", {"input": {"refreshToken": tokens.refresh}})
            await graphql(http, "RefreshToken", {"input": {"refreshToken": tokens.refresh}})

            assert await receive(ws) == revoked(tokens.session_id, "refresh_reused")
            assert await receive(ws) == {"id": "1", "type": "complete"}

    async def test_another_session_of_the_user_is_not_told(
        self,
        server: LiveServer,
        http: httpx.AsyncClient,
        until_subscribed: Callable[[Tokens], Any],
    ) -> None:
        leaving = await register_and_login(http, "ivan")
        staying = await login(http, "ivan")

        async with authenticated_socket(server, {"authToken": staying.access}) as ws:
            await subscribe_account_events(ws)
            await until_subscribed(staying)
            await graphql(http, "Logout", token=leaving.access)
            await graphql(http, "Logout", token=staying.access)

            # Redis keeps the order of one channel: had the first revocation reached this
            # subscriber, it would have been its first (and, completing it, only) event.
            assert await receive(ws) == revoked(staying.session_id, "logout")

    async def test_rotation_alone_tells_nothing(
        self,
        server: LiveServer,
        http: httpx.AsyncClient,
        until_subscribed: Callable[[Tokens], Any],
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            await subscribe_account_events(ws)
            await until_subscribed(tokens)
            rotated = await graphql(
                http, "RefreshToken", {"input": {"refreshToken": tokens.refresh}}
            )
            await graphql(http, "Logout", token=rotated["data"]["refreshToken"]["accessToken"])

            assert await receive(ws) == revoked(tokens.session_id, "logout")

    async def test_a_session_revoked_before_subscribing_is_told_at_once(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        # A socket closes right after a revocation, so the operation that starts in between
        # is driven through the schema, with the context such an operation gets.
        tokens = await register_and_login(http, "ivan")
        await graphql(http, "Logout", token=tokens.access)

        results = await account_events_through_the_schema(runtime, tokens.access)

        event = {"sessionId": tokens.session_id, "reason": "logout"}
        assert [(r.data, r.errors) for r in results] == [({"accountEvents": event}, None)]

    @pytest.mark.parametrize("bad_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
    async def test_a_token_not_ours_or_expired_is_unauthenticated(
        self, runtime: Runtime, http: httpx.AsyncClient, bad_token: Callable[[Tokens], str]
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        [result] = await account_events_through_the_schema(runtime, bad_token(tokens))

        assert [e.extensions["code"] for e in result.errors] == ["UNAUTHENTICATED"]


class TestLogoutOnAnOpenSocket:
    async def test_closes_the_socket_with_4403(
        self, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            await graphql(http, "Logout", token=tokens.access)

            assert await close_code(ws) == 4403

    async def test_tells_an_account_events_subscriber_before_closing(
        self,
        server: LiveServer,
        http: httpx.AsyncClient,
        until_subscribed: Callable[[Tokens], Any],
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            await subscribe_account_events(ws)
            await until_subscribed(tokens)
            await graphql(http, "Logout", token=tokens.access)

            assert await receive(ws) == revoked(tokens.session_id, "logout")
            assert await receive(ws) == {"id": "1", "type": "complete"}
            assert await close_code(ws) == 4403

    async def test_leaves_a_socket_of_another_session_open_and_working(
        self, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        leaving = await register_and_login(http, "ivan")
        staying = await login(http, "ivan")

        async with (
            authenticated_socket(server, {"authToken": leaving.access}) as leaving_ws,
            authenticated_socket(server, {"authToken": staying.access}) as staying_ws,
        ):
            await graphql(http, "Logout", token=leaving.access)
            assert await close_code(leaving_ws) == 4403

            assert await is_open(staying_ws)
            body = await execute(staying_ws, "ViewerId")
            assert body["data"]["viewer"]["id"]


class TestRefreshTokenReuseOnAnOpenSocket:
    async def test_closes_the_socket_with_4403(
        self, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            await rotate(http, tokens)
            await graphql(http, "RefreshToken", {"input": {"refreshToken": tokens.refresh}})

            assert await close_code(ws) == 4403


class TestRefreshTokenRotationOnAnOpenSocket:
    async def test_refuses_new_operations_but_keeps_the_socket_open(
        self, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            await rotate(http, tokens)

            body = await execute(ws, "ViewerId")

            assert body["data"] == {"viewer": None}
            assert error_codes(body) == ["UNAUTHENTICATED"]
            assert await is_open(ws)


def session_guards() -> set[asyncio.Task[Any]]:
    """The sockets' session guard tasks (the live server runs in the test's event loop)."""
    return {task for task in asyncio.all_tasks() if task.get_name() == GUARD_TASK}


async def still_running(tasks: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    _, pending = await asyncio.wait(tasks, timeout=TIMEOUT)
    return pending


class TestSessionGuard:
    async def test_ends_when_the_client_leaves(
        self, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            assert await is_open(ws)  # the ping follows the ack, so the guard runs by now
            guards = session_guards()

        assert len(guards) == 1
        assert await still_running(guards) == set()

    async def test_ends_when_it_closes_the_socket(
        self, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            assert await is_open(ws)
            guards = session_guards()
            await graphql(http, "Logout", token=tokens.access)
            assert await close_code(ws) == 4403

        assert len(guards) == 1
        assert await still_running(guards) == set()


@pytest.fixture
async def short_lived_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """A server issuing access tokens that live two seconds."""
    async with LiveServer(settings.model_copy(update={"access_token_ttl": 2})) as server:
        yield server


class TestAccessTokenExpiryOnAnOpenSocket:
    async def test_closes_the_socket_with_4403(self, short_lived_server: LiveServer) -> None:
        async with httpx.AsyncClient(base_url=short_lived_server.url, timeout=DEADLINE) as http:
            tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(short_lived_server, {"authToken": tokens.access}) as ws:
            assert await close_code(ws) == 4403


class TestOperationsOnAnOpenSocket:
    async def test_viewer_reflects_a_profile_change_made_after_connect(
        self, server: LiveServer, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        tokens = await register_and_login(http, "ivan", first_name="Ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            await execute(ws, "Viewer")
            await change_user(runtime, tokens.user_id, first_name="Vanya")

            async def renamed() -> bool:
                body = await execute(ws, "Viewer")
                return bool(body["data"]["viewer"]["firstName"] == "Vanya")

            await until(renamed)

    async def test_a_user_deactivated_after_connect_is_unauthenticated(
        self, server: LiveServer, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            await change_user(runtime, tokens.user_id, is_active=False)

            async def refused() -> bool:
                body = await execute(ws, "ViewerId")
                return bool(body["data"] == {"viewer": None})

            await until(refused)
            body = await execute(ws, "ViewerId")

        assert error_codes(body) == ["UNAUTHENTICATED"]

    async def test_node_does_not_reuse_users_loaded_by_an_earlier_operation(
        self, server: LiveServer, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        tokens = await register_and_login(http, "ivan")
        olga = await register(http, "olga")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            first = await execute(ws, "Node", {"id": olga["id"]})
            await change_user(runtime, GlobalID.from_id(olga["id"]).node_id, is_active=False)

            second = await execute(ws, "Node", {"id": olga["id"]})

        assert first["data"]["node"]["username"] == "olga"
        assert second == {"data": {"node": None}}


@pytest.fixture
async def app_origin_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """A server whose TGHUB_CORS_ORIGINS lists the single-page app's origin."""
    async with LiveServer(settings.model_copy(update={"cors_origins": [APP_ORIGIN]})) as server:
        yield server


@pytest.fixture
async def app_origin_http(app_origin_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app_origin_server.url, timeout=DEADLINE) as client:
        yield client


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


class TestAllowedOrigins:
    async def test_http_preflight_from_an_allowed_origin_is_allowed(
        self, app_origin_http: httpx.AsyncClient
    ) -> None:
        response = await app_origin_http.options("/graphql", headers=preflight(APP_ORIGIN))

        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == APP_ORIGIN
        assert "POST" in response.headers["access-control-allow-methods"]
        assert "authorization" in response.headers["access-control-allow-headers"].lower()

    async def test_http_preflight_from_another_origin_is_not_allowed(
        self, app_origin_http: httpx.AsyncClient
    ) -> None:
        response = await app_origin_http.options("/graphql", headers=preflight(EVIL_ORIGIN))

        assert "access-control-allow-origin" not in response.headers

    async def test_cross_origin_responses_expose_the_request_id(
        self, app_origin_http: httpx.AsyncClient
    ) -> None:
        response = await app_origin_http.post(
            "/graphql", json={"query": "{ viewer { id } }"}, headers={"Origin": APP_ORIGIN}
        )

        assert response.headers["access-control-allow-origin"] == APP_ORIGIN
        assert "x-request-id" in response.headers["access-control-expose-headers"].lower()

    async def test_websocket_from_an_allowed_origin_is_accepted(
        self, app_origin_server: LiveServer, app_origin_http: httpx.AsyncClient
    ) -> None:
        tokens = await register_and_login(app_origin_http, "ivan")

        async with socket(app_origin_server, origin=APP_ORIGIN) as ws:
            await init(ws, {"authToken": tokens.access})

            assert await receive(ws) == {"type": "connection_ack"}

    async def test_websocket_from_another_origin_is_refused(
        self, app_origin_server: LiveServer
    ) -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with socket(app_origin_server, origin=EVIL_ORIGIN):
                pass

        assert refused.value.response.status_code == 403

    async def test_without_configured_origins_cross_origin_websockets_are_refused(
        self, server: LiveServer
    ) -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with socket(server, origin=APP_ORIGIN):
                pass

        assert refused.value.response.status_code == 403
