"""Shared fixtures: a real PostgreSQL (migrated with Alembic) and a real Redis per xdist worker.

Each test starts from empty tables and an empty Redis database. A test module shares one app:
``http`` calls it in-process through its ASGI interface, ``server`` is one real uvicorn on a
loopback port for what needs the network. Each module has its own pub/sub channel prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest
import uvicorn
from graphql import language as gql_ast
from graphql import parse, print_ast
from pydantic import SecretStr
from redis.asyncio import Redis

from domain.bootstrap import Runtime, build_runtime
from domain.metrics import MULTIPROC_DIR
from domain.models import Base
from domain.settings import Settings
from resolvers.app import create_app
from tests import canaries
from tests.pg import admin_execute, drop_statement, sibling_url
from tests.redis_server import RedisServer
from tghub.embedded import free_port
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

    from starlette.types import ASGIApp, Receive, Scope, Send

# Every log line of the run is grepped for secrets (tests/logcheck.py).
pytest_plugins = ("tests.logcheck",)

ADMIN_URL = os.environ.get(
    "TGHUB_TEST_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TGHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379")
OPERATIONS = Path(__file__).resolve().parent.parent / "codegen" / "operations"
TEST_SECRET = canaries.SIGNING_KEY
# Where the in-process app is reached (``http``): absolute URLs it renders start with it.
ORIGIN = "http://testserver"
# How long a test waits for something that should happen: long enough for a loaded machine,
# reached only when the test fails.
DEADLINE = 60.0
LAST_LOOK = 5.0  # seconds one look begun at the deadline may still take


def pytest_configure(config: pytest.Config) -> None:
    """This test process's metrics go to a folder of its own (one per xdist worker), named
    before any test module imports prometheus_client (which reads it when first imported)."""
    folder = tempfile.mkdtemp(prefix="tghub-test-metrics-")
    os.environ[MULTIPROC_DIR] = folder
    config.add_cleanup(functools.partial(shutil.rmtree, folder, ignore_errors=True))


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    # Named by process id, so concurrent test runs on one machine never share a database.
    name = f"tghub_test_{os.getpid()}"
    asyncio.run(admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"'))
    url = sibling_url(ADMIN_URL, name)
    upgrade_head(url)
    yield url
    asyncio.run(admin_execute(ADMIN_URL, drop_statement(name)))


@pytest.fixture(scope="session")
def redis_url() -> str:
    # Concurrent runs pick different bases with TGHUB_TEST_REDIS_DB (each xdist worker adds 1).
    base = int(os.environ.get("TGHUB_TEST_REDIS_DB", "1"))
    return f"{REDIS_URL}/{(base + _worker_index()) % 16}"


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A private redis-server a test may stop and start again (an outage)."""
    server = RedisServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(scope="session")
async def cleaner(
    database_url: str, redis_url: str
) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Empties every table and the worker's Redis database, over connections kept open."""
    conn = await asyncpg.connect(database_url)
    redis = Redis.from_url(redis_url)
    # DELETE, children first: on tables this small it costs a fraction of a millisecond where
    # TRUNCATE costs tens (the integer ids keep counting: no test assumes their values).
    tables = reversed(Base.metadata.sorted_tables)
    deletes = "; ".join(f'DELETE FROM "{t.name}"' for t in tables)  # noqa: S608 - our own names

    async def clean() -> None:
        await conn.execute(deletes)
        await redis.flushdb()

    yield clean
    await redis.aclose()
    await conn.close()


@pytest.fixture
async def clean_state(cleaner: Callable[[], Awaitable[None]]) -> None:
    await cleaner()


def make_settings(database_url: str, redis_url: str, data_dir: Path) -> Settings:
    """Settings for the test database and Redis, with cheap hashing and a channel prefix of
    their own (pub/sub ignores database numbers)."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=data_dir,
        channel_prefix=f"test-{uuid.uuid4().hex[:12]}",
        secret_key=SecretStr(TEST_SECRET),
        database_pool_size=5,
        # Cheap argon2 parameters: the tests exercise the logic, not the cost.
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        # Tests log in often; the limit itself is tested with its own low setting.
        login_attempts_per_minute=1000,
        # Every legacy answer the tests provoke is checked against the OpenAPI contract.
        check_contract=True,
    )


@pytest.fixture(scope="module")
def module_settings(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """One set per test module: the module's in-process app and live server serve it."""
    return make_settings(database_url, redis_url, tmp_path_factory.mktemp("data"))


def module_settings_with(**changes: Any) -> Any:
    """An override of ``module_settings`` for one module: ``module_settings =
    module_settings_with(...)`` there, and its app, server and ``settings`` follow."""

    @pytest.fixture(scope="module", name="module_settings")
    def overridden(module_settings: Settings) -> Settings:
        return module_settings.model_copy(update=changes)

    return overridden


@pytest.fixture
def settings(module_settings: Settings, clean_state: None) -> Settings:
    """The module's settings, for a test that starts from empty tables and an empty Redis."""
    return module_settings


@contextlib.asynccontextmanager
async def started_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime built from ``settings``, started, and stopped after the block."""
    runtime = build_runtime(settings)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with started_runtime(settings) as runtime:
        yield runtime


@contextlib.contextmanager
def _no_signal_capture() -> Iterator[None]:
    yield


class LiveServer:
    """A real uvicorn serving the real app on a loopback port, in the test's event loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            # uvicorn's lines (its access log too) reach the root handlers, as in production,
            # and so the test run's log check.
            log_config=None,
            log_level="info",
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._server.capture_signals = _no_signal_capture  # type: ignore[method-assign]
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LiveServer:
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task


@pytest.fixture(scope="module")
async def live_server(module_settings: Settings) -> AsyncIterator[LiveServer]:
    async with LiveServer(module_settings) as live:
        yield live


@pytest.fixture
def server(live_server: LiveServer, clean_state: None) -> LiveServer:
    """A real uvicorn on a loopback port, one per module: for what needs the network
    (websockets, disconnects, several processes)."""
    return live_server


class InProcessApp:
    """The app as a server would run it: every request gets a copy of the lifespan's state,
    and runs in a task of its own (so what it puts in the log context ends with it)."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def handle() -> None:
            await self.app({**scope, "state": dict(self.state)}, receive, send)

        await asyncio.create_task(handle())


@contextlib.asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[InProcessApp]:
    """The real app with its lifespan run, to be called in-process (no socket)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        yield InProcessApp(app, dict(state or {}))


@contextlib.asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the app for ``settings``, through its ASGI interface."""
    async with running_app(settings) as app:
        # Unexpected errors become the 500 answer a real server gives, not test exceptions.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url=ORIGIN, timeout=DEADLINE
        ) as client:
            yield client


@pytest.fixture(scope="module")
async def module_app(module_settings: Settings) -> AsyncIterator[InProcessApp]:
    async with running_app(module_settings) as app:
        yield app


@pytest.fixture
async def http(module_app: InProcessApp, clean_state: None) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the module's app, in-process: for everything but the network."""
    transport = httpx.ASGITransport(app=module_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN, timeout=DEADLINE) as client:
        yield client


async def until(
    condition: Callable[[], Awaitable[bool] | bool], *, within: float = DEADLINE
) -> None:
    """Waits until ``condition()`` holds, looking often; fails only past the deadline, also
    when one look itself is still waiting then (so the failure names it, rather than the
    test's overall timeout stopping everything)."""
    clock = asyncio.get_running_loop().time
    deadline = clock() + within
    while True:
        held = condition()
        if not isinstance(held, bool):
            # A last look, begun at the deadline, gets a moment of its own to answer.
            look = asyncio.timeout_at(max(deadline, clock() + LAST_LOOK))
            try:
                async with look:
                    held = await held
            except TimeoutError:
                if not look.expired():
                    raise  # the condition's own
                pytest.fail(f"one look was still waiting after {within:.0f} s: {condition}")
        if held:
            return
        if clock() > deadline:
            pytest.fail(f"still not true after {within:.0f} s: {condition}")
        await asyncio.sleep(0.02)


@functools.cache
def _operations() -> dict[str, gql_ast.DefinitionNode]:
    definitions: dict[str, gql_ast.DefinitionNode] = {}
    for path in sorted(OPERATIONS.glob("*.graphql")):
        for node in parse(path.read_text()).definitions:
            if isinstance(node, (gql_ast.OperationDefinitionNode, gql_ast.FragmentDefinitionNode)):
                assert node.name is not None, f"unnamed operation in {path}"
                definitions[node.name.value] = node
    return definitions


def _spreads(node: gql_ast.Node) -> set[str]:
    found: set[str] = set()
    for key in node.keys:
        value = getattr(node, key, None)
        children = value if isinstance(value, tuple | list) else [value]
        for child in children:
            if isinstance(child, gql_ast.FragmentSpreadNode):
                found.add(child.name.value)
            if isinstance(child, gql_ast.Node):
                found |= _spreads(child)
    return found


def operation(name: str) -> str:
    """The document of operation ``name`` from codegen/operations/, with its fragments."""
    definitions = _operations()
    needed, queue = [definitions[name]], [definitions[name]]
    while queue:
        for fragment in sorted(_spreads(queue.pop())):
            if definitions[fragment] not in needed:
                needed.append(definitions[fragment])
                queue.append(definitions[fragment])
    return "\n\n".join(print_ast(node) for node in needed)


async def graphql(
    client: httpx.AsyncClient,
    name: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql",
        json={"query": operation(name), "variables": variables or {}, "operationName": name},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
