"""`tghub serve` with no configuration: the whole system on embedded PostgreSQL and Redis."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.conftest import operation
from tghub.embedded import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: as root, pgserver runs PostgreSQL as its own system user, which
    # must be able to traverse the folder (tmp_path's parents are private to root).
    folder = Path(tempfile.mkdtemp(prefix="tghub-e2e-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGHUB_")}
    env["TGHUB_DATA_DIR"] = str(data_dir)
    return env


def start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    with (data_dir / "serve.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "tghub", "serve", "--port", str(port)],
            env=embedded_env(data_dir),
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def tghub(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tghub", *args],
        env=embedded_env(data_dir),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )


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
    assert payload["__typename"] == "TaskQueued", payload
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
            twin = tghub(data_dir, "serve", "--port", str(free_port()))
            assert twin.returncode == 1
            assert "another tghub process is serving" in twin.stdout
        finally:
            assert interrupt(first) == 0
        assert not (data_dir / "postgres" / "postmaster.pid").exists()

        second = start(data_dir, port)
        try:
            wait_until_healthy(second, url, data_dir)
            login = graphql(url, "Login", credentials)
            assert login["login"]["__typename"] == "AuthTokens"
        finally:
            assert interrupt(second) == 0
