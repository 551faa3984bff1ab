"""The production entry, end to end: Debian's nginx runs docker/nginx.conf, rendered for
loopback, in front of two API processes and a worker (real processes, as docker/compose.yaml
runs them), and every request here goes through it: queries, mutations and legacy routes
(answered by both API processes), a 9 MB upload and a refused 11 MB one, a GraphQL
subscription and a Centrifugo-protocol socket, and slow clients, which nginx drops before the
app hears of them.

Rendering changes only the lines docker/nginx.conf marks ``# loopback:`` (the upstream, the
port, the two client timeouts, shortened to see them run out); what an unprivileged nginx
needs beyond that file (pid, temporary folders, the error log) is this test's stand-in for the
nginx image's /etc/nginx/nginx.conf. nginx's access log (``upstream=`` names the API process
that answered) and each API process's own access log show where each request went.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import centrifuge  # type: ignore[import-untyped]
import httpx
import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from domain.bootstrap import media_dir
from resolvers.app import TOO_LARGE
from tests.api.graphql.test_messenger_support import (
    Person,
    create_private,
    data,
    is_a,
    messages_of,
    multipart,
    nodes,
    person,
    raw,
    send,
)
from tests.api.rest.factories import PASSWORD, create_admin
from tests.conftest import DEADLINE, graphql, operation, until
from tests.e2e.apis import (
    Publications,
    realtime_token,
    two_api_processes,
    until_a_warm_up_arrives,
)
from tests.processes import ROOT, start_worker, stop
from tghub.embedded import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
    from pathlib import Path

    from domain.bootstrap import Runtime
    from domain.settings import Settings

# Four processes start for the module: generous, for a loaded machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

NGINX_CONF = ROOT / "docker" / "nginx.conf"
SLOW_CLIENT_SECONDS = 2  # the rendered client header and body timeouts
# A production line the loopback run replaces: `    directive ...;  # loopback: why`
LOOPBACK_LINE = re.compile(r"(?P<indent>\s*)(?P<directive>[^#\s][^#]*;)\s*# loopback:.*")
# One line of nginx's access log, in docker/nginx.conf's `tghub` format.
ACCESS_LINE = re.compile(
    r'\S+ \[[^]]+\] "(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ \S+ '
    r'"(?P<agent>[^"]*)" upstream=(?P<upstream>\S+) '
)
MB = 1024 * 1024


def nginx_binary() -> str:
    """Debian's nginx (.ci/run installs it): this test runs wherever CI does, never skips."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        pytest.fail("nginx is not installed: `apt-get install nginx` (as .ci/run does)")
    return found


def loopback_lines(api_hosts: Sequence[str], port: int) -> dict[str, str]:
    """What the line of each directive marked ``# loopback:`` in docker/nginx.conf becomes
    here (the upstream's ``server``, ``listen``, and the two client timeouts)."""
    return {
        "server": "\n".join(f"server {host};" for host in api_hosts),
        "listen": f"listen 127.0.0.1:{port};",
        "client_header_timeout": f"client_header_timeout {SLOW_CLIENT_SECONDS}s;",
        "client_body_timeout": f"client_body_timeout {SLOW_CLIENT_SECONDS}s;",
    }


def rendered_for_loopback(production: str, lines: Mapping[str, str]) -> str:
    """``production`` with each marked line replaced; every marked directive must be one of
    ``lines`` and every one of ``lines`` marked once, so the two cannot drift apart."""
    rendered, replaced = [], []
    for line in production.splitlines():
        marked = LOOPBACK_LINE.fullmatch(line)
        if marked is None:
            rendered.append(line)
            continue
        directive = marked["directive"].split()[0]
        assert directive in lines, f"docker/nginx.conf marks {directive!r}, unknown here"
        rendered += [marked["indent"] + new for new in lines[directive].splitlines()]
        replaced.append(directive)
    assert sorted(replaced) == sorted(lines), f"marked once each: {sorted(lines)}"
    return "\n".join(rendered) + "\n"


def main_config(prefix: Path, site: Path) -> str:
    """The loopback stand-in for the nginx image's /etc/nginx/nginx.conf: everything an
    unprivileged nginx writes stays in ``prefix``, and ``site`` is included in ``http``."""
    temporary = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would run as nobody, who cannot enter pytest's private folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log stderr info;\n"
        f"events {{ worker_connections 256; }}\nhttp {{\n{temporary}\n    include {site};\n}}\n"
    )


@dataclass(frozen=True)
class Access:
    method: str
    path: str
    status: int
    agent: str
    upstream: str  # the API process that answered, "-" for none


@dataclass(frozen=True)
class Entry:
    """nginx on loopback in front of two API processes."""

    host: str  # 127.0.0.1:port, nginx's
    api_hosts: tuple[str, str]
    access_log: Path  # nginx's
    api_logs: tuple[Path, Path]

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def client(self, agent: str = "tests") -> httpx.AsyncClient:
        """A client of the entry whose requests nginx logs under ``agent``."""
        headers = {"User-Agent": agent}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=DEADLINE)

    def accesses(self) -> list[Access]:
        found = (ACCESS_LINE.match(line) for line in self.access_log.read_text().splitlines())
        return [
            Access(m["method"], m["path"], int(m["status"]), m["agent"], m["upstream"])
            for m in found
            if m is not None
        ]

    async def access_by(self, agent: str) -> Access:
        """nginx's log line of the one request sent as ``agent``, once it is written (a
        request is logged when it ends, which its client may see first)."""
        await until(lambda: any(a.agent == agent for a in self.accesses()))
        [access] = [a for a in self.accesses() if a.agent == agent]
        return access

    def api_log_text(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.api_logs)


async def answers(url: str, path: str) -> bool:
    async with httpx.AsyncClient(base_url=url, timeout=DEADLINE) as client:
        with contextlib.suppress(httpx.HTTPError):
            response = await client.get(path)
            return response.status_code == 200 and response.json().get("status") == "ok"
    return False


def checked_config(nginx: str, prefix: Path, config: Path) -> None:
    """``nginx -t`` on the rendered configuration: valid, as the image would load it."""
    tested = subprocess.run(
        [nginx, "-t", "-p", f"{prefix}/", "-c", str(config), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert tested.returncode == 0, tested.stderr
    assert "test is successful" in tested.stderr


@contextlib.contextmanager
def running_nginx(prefix: Path, api_hosts: Sequence[str]) -> Iterator[str]:
    """nginx in front of ``api_hosts`` until the block ends: its ``127.0.0.1:port``."""
    nginx, port = nginx_binary(), free_port()
    site, config = prefix / "tghub.conf", prefix / "nginx.conf"
    site.write_text(rendered_for_loopback(NGINX_CONF.read_text(), loopback_lines(api_hosts, port)))
    config.write_text(main_config(prefix, site))
    checked_config(nginx, prefix, config)
    # The access log goes to /dev/stdout (docker/nginx.conf), the error log to stderr.
    with (prefix / "access.log").open("ab") as out, (prefix / "error.log").open("ab") as err:
        process = subprocess.Popen(
            [nginx, "-p", f"{prefix}/", "-c", str(config), "-e", "stderr", "-g", "daemon off;"],
            stdout=out,
            stderr=err,
        )
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop(process)
        assert process.returncode == 0, (prefix / "error.log").read_text()


@pytest.fixture(scope="module")
async def entry(
    module_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Entry]:
    """The whole entry, for the module: two API processes (each serving before nginx starts,
    so nginx never marks one down), a worker, and nginx, ready through nginx itself."""
    folder = tmp_path_factory.mktemp("entry")
    worker = start_worker(module_settings, folder / "worker.log")
    try:
        async with two_api_processes(module_settings, folder, access_log=True) as api_hosts:
            with running_nginx(folder, api_hosts) as host:
                # Ready through nginx, the worker included (its heartbeat makes "ok").
                await until(lambda: answers(f"http://{host}", "/readyz"), within=DEADLINE)
                logs = (folder / "api-a.log", folder / "api-b.log")
                yield Entry(host, api_hosts, folder / "access.log", logs)
    finally:
        stop(worker)


async def texts_heard(stream: AsyncGenerator[dict[str, Any], None], texts: set[str]) -> set[str]:
    """The messages' texts ``messageEvents`` tells of, until it told of every one of ``texts``
    (in whatever order the processes published them)."""
    heard: set[str] = set()
    async with asyncio.timeout(DEADLINE):
        async for event in stream:
            heard.add(event["messageEvents"]["message"]["text"])
            if heard >= texts:
                return heard
    raise AssertionError(f"the subscription ended, having heard {heard}")


async def ivan_and_olga(client: httpx.AsyncClient) -> tuple[Person, Person]:
    return await person(client, "ivan"), await person(client, "olga")


class TestThroughNginx:
    async def test_queries_mutations_and_legacy_routes_reach_both_api_processes(
        self, entry: Entry, settings: Settings
    ) -> None:
        async with entry.client(agent="both processes") as client:
            ivan, olga = await ivan_and_olga(client)  # mutations: register, login
            viewer = await graphql(client, "Viewer", token=ivan.token)  # a query
            legacy = await client.post(
                "/api/chats/",
                json={"is_private": True, "members": [olga.raw_id]},
                headers={"Authorization": f"Bearer {ivan.token}"},
            )
            listed = await client.get(
                "/api/chats/", headers={"Authorization": f"Bearer {olga.token}"}
            )

        assert data(viewer, "viewer")["username"] == "ivan"
        assert legacy.status_code == 201, legacy.text
        assert [chat["id"] for chat in listed.json()["results"]] == [legacy.json()["id"]]
        mine = [a for a in entry.accesses() if a.agent == "both processes"]
        assert {a.upstream for a in mine} == set(entry.api_hosts), mine
        # Each process's own log says it answered GraphQL too: nginx's word is not all.
        for log in entry.api_logs:
            assert '"POST /graphql HTTP/1.1" 200' in log.read_text(errors="replace"), log

    async def test_the_worker_runs_a_job_queued_through_nginx(
        self, entry: Entry, runtime: Runtime
    ) -> None:
        await create_admin(runtime, username="boss")
        async with entry.client() as client:
            login = await graphql(
                client, "Login", {"input": {"username": "boss", "password": PASSWORD}}
            )
            token = data(login, "login")["accessToken"]
            queued = await graphql(
                client, "RunScheduledJob", {"input": {"name": "jobs.sweep"}}, token=token
            )
            task_id = is_a(data(queued, "runScheduledJob"), "RunScheduledJobSuccess")["task"]

            async def finished() -> bool:
                body = await graphql(client, "Task", {"id": task_id["taskId"]}, token=token)
                return bool(data(body, "task")["status"] == "SUCCEEDED")

            await until(finished)

    async def test_json_is_compressed_and_no_query_string_is_logged(
        self, entry: Entry, settings: Settings
    ) -> None:
        secret = uuid.uuid4().hex
        schema = {"query": "{ __schema { types { name } } }"}
        async with entry.client() as client:
            graphql_answer = await client.post("/graphql", json=schema)
            page = await client.get("/login")
            probed = await client.get(f"/healthz?secret={secret}", headers={"User-Agent": "probe"})

        assert graphql_answer.headers["content-encoding"] == "gzip"
        assert graphql_answer.json()["data"]["__schema"]["types"]
        # The pages carry CSRF tokens: never compressed (BREACH).
        assert page.status_code == 200
        assert "content-encoding" not in page.headers
        assert probed.status_code == 200
        assert (await entry.access_by("probe")).path == "/healthz"
        assert secret not in entry.access_log.read_text()

    async def test_a_9_mb_upload_passes_and_nginx_refuses_11_mb(
        self, entry: Entry, settings: Settings
    ) -> None:
        nine, eleven = os.urandom(9 * MB), os.urandom(11 * MB)
        async with entry.client() as client:
            ivan, olga = await ivan_and_olga(client)
            chat = await create_private(client, ivan, olga)
            sent = await multipart(
                client,
                "SendMessage",
                {"input": {"chatId": chat["id"], "text": None, "files": [None], "voice": None}},
                {"variables.input.files.0": ("nine.bin", nine, "application/octet-stream")},
                token=ivan.token,
            )
            [stored] = is_a(data(sent, "sendMessage"), "SendMessageSuccess")["message"]["files"]
            # The URL names the host and port the client used (Host passes through).
            assert stored["url"].startswith(f"{entry.url}/media/"), stored
            fetched = await client.get(stored["url"])
            files_before = sorted(media_dir(settings).rglob("*"))

            refused = await client.post(
                "/graphql",
                data={"operations": "{}", "map": "{}"},
                files={"0": ("eleven.bin", eleven, "application/octet-stream")},
                headers={"Authorization": f"Bearer {ivan.token}", "User-Agent": "eleven"},
            )
            page = await messages_of(client, olga, chat["id"])

        assert fetched.content == nine
        assert refused.status_code == 413
        assert refused.headers["content-type"] == "application/json"
        assert refused.json() == {"detail": TOO_LARGE}  # nginx answers as the app would
        assert (await entry.access_by("eleven")).upstream == "-"  # no API process saw it
        assert sorted(media_dir(settings).rglob("*")) == files_before
        assert len(nodes(page)) == 1

    async def test_a_subscription_hears_a_mutation_sent_through_the_other_api_process(
        self, entry: Entry, settings: Settings
    ) -> None:
        async with entry.client() as client:
            ivan, olga = await ivan_and_olga(client)
            chat = await create_private(client, ivan, olga)
        transport = WebsocketsTransport(
            url=f"ws://{entry.host}/graphql",
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            init_payload={"authToken": olga.token},
            headers={"User-Agent": "subscriber"},
        )
        async with Client(transport=transport) as session, entry.client() as client:
            stream = session.subscribe(gql(operation("MessageEvents")))
            auth = {"Authorization": f"Bearer {ivan.token}"}
            await until_a_warm_up_arrives(client, auth, raw(chat["id"]), stream)
            # Mutations until nginx has sent them to both processes: one of them is not
            # the subscriber's (nginx says which, when the socket closes).
            through: dict[str, str] = {}
            while set(through.values()) != set(entry.api_hosts):
                assert len(through) < len(entry.api_hosts) * 10, through
                text = f"mutation {len(through)}"
                async with entry.client(agent=text) as sender:
                    await send(sender, ivan, chat["id"], text)
                through[text] = (await entry.access_by(text)).upstream
            heard = await texts_heard(stream, set(through))
            await stream.aclose()

        subscriber = (await entry.access_by("subscriber")).upstream
        assert subscriber in entry.api_hosts
        assert any(upstream != subscriber for upstream in through.values())
        assert heard >= set(through)

    async def test_a_centrifugo_socket_receives_a_publication(
        self, entry: Entry, settings: Settings
    ) -> None:
        async with entry.client() as client:
            ivan, olga = await ivan_and_olga(client)
            chat = await create_private(client, ivan, olga)
            connect = await realtime_token(client, "/api/centrifugo/connect/", olga.token)
            subscribe = await realtime_token(client, "/api/centrifugo/subscribe/", olga.token)
            publications = Publications()
            legacy = centrifuge.Client(
                f"ws://{entry.host}/connection/websocket/",
                token=connect,
                proxy=None,
                timeout=DEADLINE,
            )
            subscription = legacy.new_subscription(
                olga.raw_id, token=subscribe, events=publications
            )
            await legacy.connect()
            try:
                await subscription.subscribe()
                await subscription.ready(timeout=DEADLINE)
                body = {"chat": raw(chat["id"]), "text": "through nginx"}
                auth = {"Authorization": f"Bearer {ivan.token}"}
                sent = await client.post("/api/messages/", json=body, headers=auth)
                published = await publications.next_with_text("through nginx")
            finally:
                await legacy.disconnect()

        assert sent.status_code == 201, sent.text
        assert published["event"] == "create"
        assert published["message"]["id"] == sent.json()["id"]


async def closed_by_peer(request: bytes, host: str) -> bytes:
    """Sends ``request`` (incomplete) and then nothing; what the server sent before closing."""
    address, port = host.split(":")
    reader, writer = await asyncio.open_connection(address, int(port))
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(DEADLINE):
            return await reader.read()  # to the end: the server closed the connection
    finally:
        writer.close()


class TestSlowClients:
    async def test_nginx_drops_slow_headers_and_slow_bodies_before_the_app(
        self, entry: Entry
    ) -> None:
        header_path = f"/slow-header-{uuid.uuid4().hex}"
        body_path = f"/slow-body-{uuid.uuid4().hex}"
        headers_never_end = f"GET {header_path} HTTP/1.1\r\nHost: {entry.host}\r\n"
        body_never_ends = (
            f"POST {body_path} HTTP/1.1\r\nHost: {entry.host}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: 1000\r\n\r\nonly the first bytes"
        )

        answers = await asyncio.gather(
            closed_by_peer(headers_never_end.encode(), entry.host),
            closed_by_peer(body_never_ends.encode(), entry.host),
        )

        for answer in answers:
            assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]

        async def both_logged() -> bool:
            return {a.path for a in entry.accesses()} >= {header_path, body_path}

        await until(both_logged)
        dropped = [a for a in entry.accesses() if a.path in {header_path, body_path}]
        assert [(a.status, a.upstream) for a in dropped] == [(408, "-"), (408, "-")]
        api_logs = entry.api_log_text()
        assert header_path not in api_logs
        assert body_path not in api_logs
