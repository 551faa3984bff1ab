"""Subscriptions over a real websocket: graphql-transport-ws auth, accountEvents, origins."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin, Subprotocol

from tests.api.graphql.factories import Tokens, expired, login, register_and_login, unsigned
from tests.conftest import LiveServer, graphql, operation

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from websockets.asyncio.client import ClientConnection

    from domain.settings import Settings

PROTOCOL = "graphql-transport-ws"
TIMEOUT = 5
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
    """Waits until the API listens on the user's event channel (subscribe has no ack)."""

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
    async def test_logout_tells_the_subscriber_and_completes(
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


@pytest.fixture
async def app_origin_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """A server whose TGHUB_CORS_ORIGINS lists the single-page app's origin."""
    async with LiveServer(settings.model_copy(update={"cors_origins": [APP_ORIGIN]})) as server:
        yield server


@pytest.fixture
async def app_origin_http(app_origin_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app_origin_server.url, timeout=10) as client:
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
