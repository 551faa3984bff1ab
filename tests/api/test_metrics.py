"""``/metrics``: who may read it, and what one request, one GraphQL operation, one open
socket or one queued job changes in it (read with prometheus_client's own parser)."""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from domain.jobs import service as jobs
from tests.api.graphql.factories import login
from tests.api.rest.factories import (
    PASSWORD,
    basic_header,
    create_admin,
    token_pair,
    unique_username,
)
from tests.conftest import DEADLINE, app_client, graphql, until
from tests.metrics import Exposition, scrape

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from domain.bootstrap import Runtime
    from domain.settings import Settings
    from tests.conftest import LiveServer

REQUESTS = "tghub_http_requests_total"
DURATIONS = "tghub_http_request_duration_seconds_count"
OPERATIONS = "tghub_graphql_operations_total"
SOCKETS = "tghub_websockets_open"
QUEUED = "tghub_jobs_queued"
ANONYMOUS_OK = {"operation": "<anonymous>", "type": "query", "outcome": "ok"}


@pytest.fixture
async def admin(http: httpx.AsyncClient, runtime: Runtime) -> str:
    """An admin's access token."""
    username = unique_username("admin")
    await create_admin(runtime, username=username)
    return (await login(http, username, PASSWORD)).access


class TestAccess:
    async def test_an_anonymous_caller_is_asked_for_a_bearer_token(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.get("/metrics")
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "tghub_" not in response.text

    async def test_a_user_who_is_no_admin_is_refused(self, http: httpx.AsyncClient) -> None:
        user = await token_pair(http)
        response = await http.get("/metrics", headers={"Authorization": f"Bearer {user['access']}"})
        assert response.status_code == 403
        assert "tghub_" not in response.text

    async def test_an_admin_token_reads_them(self, http: httpx.AsyncClient, admin: str) -> None:
        response = await http.get("/metrics", headers={"Authorization": f"Bearer {admin}"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert "# TYPE tghub_http_requests_total counter" in response.text

    async def test_an_admin_with_basic_credentials_too(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        username = unique_username("admin")
        await create_admin(runtime, username=username)
        good = await http.get(
            "/metrics", headers={"Authorization": basic_header(username, PASSWORD)}
        )
        wrong = basic_header(username, "not-the-password")
        refused = await http.get("/metrics", headers={"Authorization": wrong})
        assert (good.status_code, refused.status_code) == (200, 401)

    async def test_a_bad_token_is_refused(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/metrics", headers={"Authorization": "Bearer not-a-jwt"})
        assert response.status_code == 401

    async def test_open_metrics_need_no_credentials(self, settings: Settings) -> None:
        opened = settings.model_copy(update={"metrics_open": True})
        async with app_client(opened) as client:
            response = await client.get("/metrics")
        assert response.status_code == 200
        assert "tghub_http_requests_total" in response.text

    async def test_switched_off_there_is_no_metrics_route_and_nothing_is_counted(
        self, settings: Settings
    ) -> None:
        """This test process's folder is its own, and tests run one at a time in it."""
        opened = settings.model_copy(update={"metrics_open": True})
        switched_off = opened.model_copy(update={"metrics_enabled": False})
        graphql_requests = {"method": "POST", "route": "/graphql", "status": "200"}
        async with app_client(opened) as client:
            before = await scrape(client)
        async with app_client(switched_off) as client:
            answered = await client.post("/graphql", json={"query": "{ __typename }"})
            refused = await client.get("/metrics")
        async with app_client(opened) as client:
            after = await scrape(client)

        assert answered.json() == {"data": {"__typename": "Query"}}
        assert refused.status_code == 404
        for name, labels in [(REQUESTS, graphql_requests), (OPERATIONS, ANONYMOUS_OK)]:
            assert after.value(name, **labels) == before.value(name, **labels), name

    async def test_openmetrics_when_the_scraper_asks_for_it(
        self, http: httpx.AsyncClient, admin: str
    ) -> None:
        headers = {"Authorization": f"Bearer {admin}", "Accept": "application/openmetrics-text"}
        response = await http.get("/metrics", headers=headers)
        assert response.headers["content-type"].startswith("application/openmetrics-text")
        assert response.text.endswith("# EOF\n")


class TestHttpRequests:
    async def test_a_call_counts_once_under_its_route_template_and_status(
        self, http: httpx.AsyncClient, admin: str
    ) -> None:
        user = await token_pair(http)
        path = f"/api/chat/{uuid.uuid4()}/"
        before = await scrape(http, admin)

        response = await http.get(path, headers={"Authorization": f"Bearer {user['access']}"})

        after = await scrape(http, admin)
        labels = {"method": "GET", "route": "/api/chat/{chat_id}/"}
        status = str(response.status_code)
        assert delta(before, after, REQUESTS, **labels, status=status) == 1
        assert delta(before, after, DURATIONS, **labels, status=status) == 1
        assert path not in after.label_values(REQUESTS, "route")

    async def test_unknown_paths_share_one_label(self, http: httpx.AsyncClient, admin: str) -> None:
        before = await scrape(http, admin)

        for path in ("/no/such/place", f"/no/{uuid.uuid4()}"):
            assert (await http.get(path)).status_code == 404

        after = await scrape(http, admin)
        labels = {"method": "GET", "route": "<unmatched>", "status": "404"}
        assert delta(before, after, REQUESTS, **labels) == 2
        assert not {r for r in after.label_values(REQUESTS, "route") if r.startswith("/no/")}

    async def test_static_files_count_under_their_mount(
        self, http: httpx.AsyncClient, admin: str
    ) -> None:
        before = await scrape(http, admin)

        assert (await http.get("/static/graphiql/init.js")).status_code == 200

        after = await scrape(http, admin)
        labels = {"method": "GET", "route": "/static/{path}", "status": "200"}
        assert delta(before, after, REQUESTS, **labels) == 1

    async def test_methods_http_does_not_know_share_one_label(
        self, http: httpx.AsyncClient, admin: str
    ) -> None:
        before = await scrape(http, admin)

        response = await http.request("BREW", "/healthz")

        after = await scrape(http, admin)
        labels = {"method": "<other>", "route": "/healthz", "status": str(response.status_code)}
        assert delta(before, after, REQUESTS, **labels) == 1
        assert "BREW" not in after.label_values(REQUESTS, "method")


class TestGraphQLOperations:
    async def test_operations_count_by_name_type_and_outcome(
        self, http: httpx.AsyncClient, admin: str
    ) -> None:
        before = await scrape(http, admin)

        viewer = await graphql(http, "Viewer", token=admin)
        refused = await graphql(http, "Users", {"first": 5})  # anonymous: UNAUTHENTICATED

        after = await scrape(http, admin)
        assert viewer["data"]["viewer"] is not None
        assert refused["errors"]
        ok = {"operation": "Viewer", "type": "query", "outcome": "ok"}
        failed = {"operation": "Users", "type": "query", "outcome": "error"}
        assert delta(before, after, OPERATIONS, **ok) == 1
        assert delta(before, after, OPERATIONS, **failed) == 1
        # Every request to /graphql has the one route label, whatever operation it carries.
        graphql_route = {"method": "POST", "route": "/graphql", "status": "200"}
        assert delta(before, after, REQUESTS, **graphql_route) == 2

    async def test_an_error_member_of_a_mutation_union_is_an_ok_operation(
        self, http: httpx.AsyncClient, admin: str
    ) -> None:
        before = await scrape(http, admin)

        body = await graphql(
            http, "Login", {"input": {"username": "nobody-here", "password": "wrong-password"}}
        )

        after = await scrape(http, admin)
        assert body["data"]["login"]["__typename"] != "LoginSuccess"
        ok = {"operation": "Login", "type": "mutation", "outcome": "ok"}
        assert delta(before, after, OPERATIONS, **ok) == 1

    async def test_unnamed_and_unparsable_documents_have_fixed_names(
        self, http: httpx.AsyncClient, admin: str
    ) -> None:
        before = await scrape(http, admin)

        await http.post("/graphql", json={"query": "{ __typename }"})
        await http.post("/graphql", json={"query": "query Broken {"})
        # The name a request gives is no label unless its document holds that operation.
        await http.post("/graphql", json={"query": "{ __typename }", "operationName": "Made"})

        after = await scrape(http, admin)
        anonymous = {"operation": "<anonymous>", "type": "query", "outcome": "ok"}
        invalid = {"operation": "<invalid>", "type": "unknown", "outcome": "error"}
        assert delta(before, after, OPERATIONS, **anonymous) == 1
        assert delta(before, after, OPERATIONS, **invalid) == 2
        names = after.label_values(OPERATIONS, "operation")
        assert not {"Broken", "Made"} & names


class TestWebsockets:
    async def test_a_graphql_socket_counts_while_it_is_open(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        async with admin_client(server, runtime) as scraper:
            labels = {"protocol": "graphql-transport-ws"}
            before = (await scraper()).value(SOCKETS, **labels)
            async with connect(
                server.ws_url,
                subprotocols=[Subprotocol("graphql-transport-ws")],
                open_timeout=DEADLINE,
            ):
                await until_gauge(scraper, labels, before + 1)
            await until_gauge(scraper, labels, before)

    async def test_a_centrifugo_socket_counts_while_it_is_open(
        self, server: LiveServer, runtime: Runtime
    ) -> None:
        url = server.url.replace("http://", "ws://") + "/connection/websocket"
        async with admin_client(server, runtime) as scraper:
            labels = {"protocol": "centrifugo"}
            before = (await scraper()).value(SOCKETS, **labels)
            async with connect(url, open_timeout=DEADLINE):
                await until_gauge(scraper, labels, before + 1)
            await until_gauge(scraper, labels, before)


class TestJobQueue:
    async def test_queued_jobs_are_read_from_redis_at_each_scrape(
        self, http: httpx.AsyncClient, admin: str, runtime: Runtime
    ) -> None:
        async with runtime.uow() as uow:
            await jobs.create_job(uow, kind=jobs.NOOP, args={}, owner_id=None)
            await uow.commit()  # then queued
        await runtime.queue.enqueue(uuid.uuid4().hex, jobs.NOOP, defer_by=3600)

        after = await scrape(http, admin)

        assert after.value(QUEUED, state="due") == 1
        assert after.value(QUEUED, state="deferred") == 1


def delta(before: Exposition, after: Exposition, name: str, **labels: str) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


@contextlib.asynccontextmanager
async def admin_client(server: LiveServer, runtime: Runtime) -> AsyncIterator[Scraper]:
    """Scrapes of the live server's /metrics as a fresh admin."""
    async with httpx.AsyncClient(base_url=server.url, timeout=DEADLINE) as client:
        username = unique_username("admin")
        await create_admin(runtime, username=username)
        token = (await login(client, username, PASSWORD)).access
        yield Scraper(client, token)


class Scraper:
    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self._client = client
        self._token = token

    async def __call__(self) -> Exposition:
        return await scrape(self._client, self._token)


async def until_gauge(scraper: Scraper, labels: dict[str, str], expected: float) -> None:
    async def reached() -> bool:
        return (await scraper()).value(SOCKETS, **labels) == expected

    await until(reached)
