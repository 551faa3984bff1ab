"""Logs of real processes: ``TGHUB_LOG_FORMAT=json`` makes every line an API or a worker
process writes one JSON object carrying the context of its request or job, text mode shows
the same context in brackets, and credentials sent through every way in (REST, GraphQL, the
login page, the webhook, bots and Telegram sign-ins run by a worker) reach no log line at
DEBUG. The same logs are part of the test run's own secret check (tests/logcheck.py)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from domain.jobs import service as jobs
from domain.jobs.model import Job, JobStatus
from tests import canaries
from tests.api.graphql.factories import login
from tests.api.pages.helpers import sign_in
from tests.api.rest.factories import create_admin, token_pair
from tests.conftest import DEADLINE, graphql, until
from tests.logcheck import secrets_in_file
from tests.processes import running_api, start_worker, stop
from tests.world import ACCOUNT_PHONE, load_world, world

if TYPE_CHECKING:
    from pathlib import Path

    from domain.bootstrap import Runtime
    from domain.settings import Settings

pytestmark = pytest.mark.slow

JSON_AT_DEBUG = {"log_format": "json", "log_level": "DEBUG"}
SHAPED_BOT = {"id": 7123456789, "token": canaries.SHAPED_BOT_TOKEN, "username": "canary_bot"}
CODE = "12345"  # the test world's login code


def json_lines(log: Path) -> list[dict[str, Any]]:
    """Every line of ``log``, each of which must be one JSON object with the four fields."""
    entries = []
    for number, line in enumerate(log.read_text().splitlines(), 1):
        entry = json.loads(line)
        assert isinstance(entry, dict), f"{log.name}:{number}: {line}"
        assert {"timestamp", "level", "logger", "message"} <= entry.keys(), line
        entries.append(entry)
    return entries


def lines_of(log: Path, **fields: str) -> list[dict[str, Any]]:
    """The JSON lines of ``log`` whose fields have these values."""
    return [e for e in json_lines(log) if all(e.get(k) == v for k, v in fields.items())]


async def logged(log: Path, **fields: str) -> dict[str, Any]:
    """The first line with ``fields``, once the process has written it."""
    await until(lambda: bool(lines_of(log, **fields)))
    return lines_of(log, **fields)[0]


async def queued_noop(runtime: Runtime) -> str:
    async with runtime.uow() as uow:
        job = await jobs.create_job(uow, kind=jobs.NOOP, args={})
        await uow.commit()
    return job.id


async def job_status(runtime: Runtime, job_id: str) -> JobStatus:
    async with runtime.uow() as uow:
        job = await uow.session.get(Job, job_id)
        assert job is not None
        return job.status


class TestJsonLines:
    async def test_an_api_request_line_names_its_request_route_and_user(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        admin = await create_admin(runtime)
        task_id = await queued_noop(runtime)
        log = tmp_path / "api.log"
        async with (
            running_api(runtime.settings, log, **JSON_AT_DEBUG) as url,
            httpx.AsyncClient(base_url=url, timeout=DEADLINE) as client,
        ):
            tokens = await login(client, admin.username)
            headers = {"Authorization": f"Bearer {tokens.access}"}
            viewer = await client.post(
                "/graphql",
                json={"query": "{ viewer { id } }"},
                headers={**headers, "X-Request-ID": "logs-graphql-1"},
            )
            task = await client.get(
                f"/tasks/{task_id}/", headers={**headers, "X-Request-ID": "logs-rest-1"}
            )
            graphql_line = await logged(log, request_id="logs-graphql-1", logger="uvicorn.access")
            rest_line = await logged(log, request_id="logs-rest-1", logger="uvicorn.access")

        assert viewer.headers["X-Request-ID"] == "logs-graphql-1"
        assert task.status_code == 200, task.text
        assert task.headers["X-Request-ID"] == "logs-rest-1"
        assert graphql_line["route"] == "/graphql"
        assert graphql_line["user_id"] == str(admin.id)
        assert rest_line["route"] == "/tasks/{task_id}/"
        assert rest_line["user_id"] == str(admin.id)
        assert f"/tasks/{task_id}/" in rest_line["message"]
        json_lines(log)  # after the stop: every line the process wrote is JSON

    async def test_a_request_id_a_caller_cannot_be_trusted_with_is_replaced(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        async with (
            running_api(runtime.settings, tmp_path / "api.log", **JSON_AT_DEBUG) as url,
            httpx.AsyncClient(base_url=url, timeout=DEADLINE) as client,
        ):
            response = await client.get("/healthz", headers={"X-Request-ID": "a b\tforged"})

        assert response.headers["X-Request-ID"] != "a b\tforged"
        assert uuid.UUID(hex=response.headers["X-Request-ID"])

    async def test_a_worker_job_line_names_its_job_and_kind(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        log = tmp_path / "worker.log"
        job_id = await queued_noop(runtime)
        worker = start_worker(runtime.settings, log, **JSON_AT_DEBUG)
        try:
            await until(lambda: _succeeded(runtime, job_id))
            ours = await logged(log, job_id=job_id, job_kind=jobs.NOOP)
            arqs = await logged(log, job_id=job_id, logger="arq.worker")
        finally:
            stop(worker)

        assert ours["logger"] == "workers.durable"
        assert ours["level"] == "DEBUG"
        assert jobs.NOOP in arqs["message"]
        json_lines(log)


async def _succeeded(runtime: Runtime, job_id: str) -> bool:
    return await job_status(runtime, job_id) is JobStatus.SUCCEEDED


class TestTextLines:
    async def test_the_context_is_shown_in_brackets(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        log = tmp_path / "api.log"
        async with (
            running_api(settings, log, log_level="INFO") as url,
            httpx.AsyncClient(base_url=url, timeout=DEADLINE) as client,
        ):
            await client.post(
                "/graphql", json={"query": "{ viewer { id } }"}, headers={"X-Request-ID": "text-1"}
            )
            await until(lambda: "[req=text-1 route=/graphql]" in log.read_text())

        line = next(line for line in log.read_text().splitlines() if "req=text-1" in line)
        assert " INFO uvicorn.access [req=text-1 route=/graphql] " in line
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)


class Admin:
    """An admin calling the API process over GraphQL."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.token = client, token

    async def mutate(self, name: str, field: str, **input: Any) -> dict[str, Any]:
        body = await graphql(self.client, name, {"input": input}, token=self.token)
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"][field]
        return payload

    async def finished(self, payload: dict[str, Any]) -> None:
        """Until the payload's task succeeded (a worker process runs it)."""
        assert "task" in payload, payload
        task_id = payload["task"]["taskId"]

        async def succeeded() -> bool:
            body = await graphql(self.client, "Task", {"id": task_id}, token=self.token)
            task = body["data"]["task"]
            assert task["status"] != "FAILED", task
            return bool(task["status"] == "SUCCEEDED")

        await until(succeeded)


class TestSecretsStayOutOfTheLogs:
    async def test_credentials_through_every_way_in_reach_no_line_at_debug(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        document = world(password=canaries.TELEGRAM_PASSWORD)
        document["bots"].append(SHAPED_BOT)
        await load_world(runtime, document)
        admin = await create_admin(runtime)
        api_log, worker_log = tmp_path / "api.log", tmp_path / "worker.log"
        worker = start_worker(runtime.settings, worker_log, **JSON_AT_DEBUG)
        try:
            async with (
                running_api(
                    runtime.settings,
                    api_log,
                    invite_webhook_secret=canaries.WEBHOOK_SECRET,
                    **JSON_AT_DEBUG,
                ) as url,
                httpx.AsyncClient(base_url=url, timeout=DEADLINE) as client,
            ):
                await every_way_in(client, admin.username)
        finally:
            stop(worker)

        for log in (api_log, worker_log):
            assert json_lines(log)
            assert list(secrets_in_file(log)) == []


async def every_way_in(client: httpx.AsyncClient, admin_username: str) -> None:
    """Passwords over REST, GraphQL and the login page; the webhook's secret in its query and
    its header; a bot token and a Telegram account's api_hash, code, 2FA password and
    session through the worker's jobs."""
    await token_pair(client)
    assert (await sign_in(client, admin_username)).status_code == 303
    admin = Admin(client, (await login(client, admin_username)).access)
    secret = canaries.WEBHOOK_SECRET
    in_query = await client.post(
        "/webhook", params={"secret": secret}, json={"phone": "+79990000001"}
    )
    in_header = await client.post(
        "/webhook", headers={"X-Webhook-Secret": secret}, json={"phone": "+79990000002"}
    )
    assert (in_query.status_code, in_header.status_code) == (200, 200), in_query.text
    await admin.finished(
        await admin.mutate("RegisterBot", "registerBot", token=canaries.SHAPED_BOT_TOKEN)
    )
    added = await admin.mutate(
        "AddTelegramAccount",
        "addTelegramAccount",
        phone=ACCOUNT_PHONE,
        apiId=12345,
        apiHash=canaries.API_HASH,
    )
    account_id = added["account"]["id"]
    await admin.finished(
        await admin.mutate(
            "RequestTelegramLoginCode", "requestTelegramLoginCode", accountId=account_id
        )
    )
    await admin.finished(
        await admin.mutate(
            "SignInTelegramAccount",
            "signInTelegramAccount",
            accountId=account_id,
            code=CODE,
            password=canaries.TELEGRAM_PASSWORD,
        )
    )
