"""Tasks over GraphQL: the ``task`` query (plain or global id, and ``node``), and the
``taskEvents`` subscription over a real websocket, driven by a real burst worker."""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from strawberry.relay import GlobalID

from domain.access import System
from domain.jobs import service as jobs
from domain.telegram import service as telegram
from tests.api.graphql.factories import Tokens, error_codes, login, register_and_login
from tests.api.graphql.test_websockets import authenticated_socket, receive, send
from tests.api.rest.factories import PASSWORD, create_admin
from tests.conftest import LiveServer, graphql, operation
from tests.world import ACCOUNT_PHONE, load_world, run_jobs, signed_in_account

if TYPE_CHECKING:
    import httpx
    from websockets.asyncio.client import ClientConnection

    from domain.bootstrap import Runtime

SYSTEM = System("tests")

TASK_FIELDS = {
    "id",
    "taskId",
    "kind",
    "status",
    "attempts",
    "result",
    "error",
    "createdAt",
    "updatedAt",
    "startedAt",
    "finishedAt",
    "retryAt",
}


async def queued_noop(runtime: Runtime, owner: Tokens | None) -> str:
    """A no-op task asked for by ``owner`` (None: the cron table's), queued, not yet run."""
    owner_id = None if owner is None else uuid.UUID(owner.user_id)
    async with runtime.uow() as uow:
        job = await jobs.create_job(uow, kind=jobs.NOOP, args={}, owner_id=owner_id)
        await uow.commit()
    return job.id


def global_id(task_id: str) -> str:
    return str(GlobalID("Task", task_id))


async def admin_tokens(runtime: Runtime, http: httpx.AsyncClient) -> Tokens:
    admin = await create_admin(runtime)
    return await login(http, admin.username, PASSWORD)


async def task(http: httpx.AsyncClient, task_id: str, token: str | None) -> dict[str, Any]:
    return await graphql(http, "Task", {"id": task_id}, token=token)


class TestTask:
    async def test_the_requester_sees_a_queued_task_by_its_task_id(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        task_id = await queued_noop(runtime, ivan)

        body = await task(http, task_id, ivan.access)

        assert "errors" not in body, body
        found = body["data"]["task"]
        assert set(found) == TASK_FIELDS
        assert found["id"] == global_id(task_id)
        assert (found["taskId"], found["kind"], found["status"]) == (task_id, "jobs.noop", "QUEUED")
        assert (found["attempts"], found["result"], found["error"]) == (0, None, None)
        assert (found["startedAt"], found["finishedAt"], found["retryAt"]) == (None, None, None)

    async def test_the_requester_sees_it_by_its_global_id(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        task_id = await queued_noop(runtime, ivan)

        body = await task(http, global_id(task_id), ivan.access)

        assert body["data"]["task"]["taskId"] == task_id

    async def test_a_finished_task_carries_its_result(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        task_id = await queued_noop(runtime, ivan)
        await run_jobs(runtime)

        found = (await task(http, task_id, ivan.access))["data"]["task"]

        assert (found["status"], found["attempts"], found["result"]) == (
            "SUCCEEDED",
            1,
            {"ok": True},
        )
        assert found["startedAt"] is not None
        assert found["finishedAt"] is not None

    async def test_an_admin_sees_anyones_task(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        admin = await admin_tokens(runtime, http)
        task_id = await queued_noop(runtime, ivan)

        by_task_id = await task(http, task_id, admin.access)
        by_global_id = await task(http, global_id(task_id), admin.access)

        assert by_task_id["data"]["task"]["taskId"] == task_id
        assert by_global_id["data"]["task"]["taskId"] == task_id

    async def test_an_admin_sees_a_task_nobody_asked_for(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        admin = await admin_tokens(runtime, http)
        task_id = await queued_noop(runtime, None)

        body = await task(http, task_id, admin.access)

        assert body["data"]["task"]["taskId"] == task_id

    @pytest.mark.parametrize("by", [str, global_id], ids=["task_id", "global_id"])
    async def test_another_user_gets_null_as_if_it_did_not_exist(
        self, runtime: Runtime, http: httpx.AsyncClient, by: Any
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        olga = await register_and_login(http, "olga")
        task_id = await queued_noop(runtime, ivan)

        body = await task(http, by(task_id), olga.access)

        assert body == {"data": {"task": None}}

    async def test_a_user_gets_null_for_a_task_nobody_asked_for(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        task_id = await queued_noop(runtime, None)

        assert await task(http, task_id, ivan.access) == {"data": {"task": None}}

    @pytest.mark.parametrize(
        "unknown",
        [
            pytest.param("0123456789abcdef0123456789abcdef", id="task_id"),
            pytest.param(global_id("0123456789abcdef0123456789abcdef"), id="global_id"),
            pytest.param(str(GlobalID("User", str(uuid.uuid4()))), id="global_id_of_a_user"),
            pytest.param("", id="empty"),
            pytest.param("a\x00b", id="nul"),
            pytest.param(global_id("a\x00b"), id="global_id_with_nul"),
            pytest.param("x" * 5000, id="long"),
        ],
    )
    async def test_an_unknown_id_is_null(
        self, runtime: Runtime, http: httpx.AsyncClient, unknown: str
    ) -> None:
        admin = await admin_tokens(runtime, http)

        assert await task(http, unknown, admin.access) == {"data": {"task": None}}

    async def test_an_id_with_a_lone_surrogate_is_null(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        admin = await admin_tokens(runtime, http)
        # Valid JSON, but a lone surrogate: httpx would refuse to encode it, so spliced in.
        raw = json.dumps({"query": operation("Task"), "variables": {"id": "@"}})
        raw = raw.replace('"@"', '"\\ud800"')

        response = await http.post(
            "/graphql",
            content=raw,
            headers={"Authorization": f"Bearer {admin.access}", "Content-Type": "application/json"},
        )

        assert response.json() == {"data": {"task": None}}

    async def test_anonymous_is_unauthenticated(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        task_id = await queued_noop(runtime, None)

        body = await task(http, task_id, None)

        assert body["data"] == {"task": None}
        assert error_codes(body) == ["UNAUTHENTICATED"]


class TestTaskNode:
    async def test_the_requester_resolves_the_global_id(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        task_id = await queued_noop(runtime, ivan)

        body = await graphql(http, "TaskNode", {"id": global_id(task_id)}, token=ivan.access)

        assert "errors" not in body, body
        node = body["data"]["node"]
        assert (node["__typename"], node["id"], node["taskId"]) == (
            "Task",
            global_id(task_id),
            task_id,
        )

    async def test_an_admin_resolves_anyones(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        admin = await admin_tokens(runtime, http)
        task_id = await queued_noop(runtime, ivan)

        body = await graphql(http, "TaskNode", {"id": global_id(task_id)}, token=admin.access)

        assert body["data"]["node"]["taskId"] == task_id

    async def test_another_user_gets_null(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        ivan = await register_and_login(http, "ivan")
        olga = await register_and_login(http, "olga")
        task_id = await queued_noop(runtime, ivan)

        body = await graphql(http, "TaskNode", {"id": global_id(task_id)}, token=olga.access)

        assert body == {"data": {"node": None}}

    async def test_anonymous_is_unauthenticated(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        task_id = await queued_noop(runtime, None)

        body = await graphql(http, "TaskNode", {"id": global_id(task_id)})

        assert body["data"] == {"node": None}
        assert error_codes(body) == ["UNAUTHENTICATED"]

    @pytest.mark.parametrize("task_id", ["nope", "a\x00b"], ids=["unknown", "nul"])
    async def test_an_unknown_task_is_null(
        self, runtime: Runtime, http: httpx.AsyncClient, task_id: str
    ) -> None:
        admin = await admin_tokens(runtime, http)

        body = await graphql(http, "TaskNode", {"id": global_id(task_id)}, token=admin.access)

        assert body == {"data": {"node": None}}


async def subscribe_task_events(
    ws: ClientConnection, task_id: str, subscription_id: str = "1"
) -> None:
    document = {
        "query": operation("TaskEvents"),
        "operationName": "TaskEvents",
        "variables": {"id": task_id},
    }
    await send(ws, {"id": subscription_id, "type": "subscribe", "payload": document})


async def snapshot(ws: ClientConnection, subscription_id: str = "1") -> dict[str, Any]:
    """The Task of the subscription's next ``next`` message."""
    message = await receive(ws)
    assert message["type"] == "next", message
    assert message["id"] == subscription_id
    assert "errors" not in message["payload"], message
    task: dict[str, Any] = message["payload"]["data"]["taskEvents"]
    return task


async def snapshots_until_complete(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every snapshot up to the server's ``complete`` (each receive is bounded)."""
    tasks: list[dict[str, Any]] = []
    while (message := await receive(ws))["type"] != "complete":
        assert message["type"] == "next", message
        tasks.append(message["payload"]["data"]["taskEvents"])
    assert message == {"id": "1", "type": "complete"}
    return tasks


class TestTaskEvents:
    async def test_follows_a_task_from_queued_to_succeeded(
        self, runtime: Runtime, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        task_id = await queued_noop(runtime, ivan)

        async with authenticated_socket(server, {"authToken": ivan.access}) as ws:
            await subscribe_task_events(ws, task_id)
            # The first snapshot comes after the server listens, so no change is missed.
            first = await snapshot(ws)
            await run_jobs(runtime)
            rest = await snapshots_until_complete(ws)

        assert (first["taskId"], first["status"], first["attempts"]) == (task_id, "QUEUED", 0)
        statuses = [t["status"] for t in rest]
        assert statuses in (["RUNNING", "SUCCEEDED"], ["SUCCEEDED"]), statuses
        assert rest[-1]["result"] == {"ok": True}
        assert rest[-1]["attempts"] == 1
        assert rest[-1]["finishedAt"] is not None

    async def test_follows_a_rate_limited_task_through_its_retry(
        self, runtime: Runtime, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        admin = await admin_tokens(runtime, http)
        await load_world(runtime)
        account_id = await signed_in_account(runtime)
        assert runtime.sandbox is not None
        async with runtime.uow() as uow:
            job = await telegram.queue_messages(
                uow, account_id=account_id, recipients=["ivan_test"], text="hi", actor=SYSTEM
            )

        async with authenticated_socket(server, {"authToken": admin.access}) as ws:
            await subscribe_task_events(ws, job.id)
            assert (await snapshot(ws))["status"] == "QUEUED"
            # Long enough to outlast the burst worker's start on a busy machine.
            await runtime.sandbox.set_account_flood(ACCOUNT_PHONE, 2)
            await run_jobs(runtime)  # a burst worker also runs the deferred retry
            rest = await snapshots_until_complete(ws)

        retrying = next(t for t in rest if t["status"] == "RETRYING")
        assert re.search(r"retry in [0-9]+ s", retrying["error"]), retrying
        assert retrying["retryAt"] is not None
        assert (rest[-1]["status"], rest[-1]["attempts"], rest[-1]["error"]) == (
            "SUCCEEDED",
            2,
            None,
        )
        assert list(rest[-1]["result"]["sent"]) == ["ivan_test"]

    async def test_accepts_the_global_id(
        self, runtime: Runtime, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        task_id = await queued_noop(runtime, ivan)

        async with authenticated_socket(server, {"authToken": ivan.access}) as ws:
            await subscribe_task_events(ws, global_id(task_id))
            first = await snapshot(ws)

        assert (first["id"], first["taskId"]) == (global_id(task_id), task_id)

    async def test_an_admin_follows_anyones_task(
        self, runtime: Runtime, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        admin = await admin_tokens(runtime, http)
        task_id = await queued_noop(runtime, ivan)

        async with authenticated_socket(server, {"authToken": admin.access}) as ws:
            await subscribe_task_events(ws, task_id)
            assert (await snapshot(ws))["status"] == "QUEUED"
            await run_jobs(runtime)
            rest = await snapshots_until_complete(ws)

        assert rest[-1]["status"] == "SUCCEEDED"

    async def test_a_finished_task_yields_one_snapshot_and_completes(
        self, runtime: Runtime, server: LiveServer, http: httpx.AsyncClient
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        task_id = await queued_noop(runtime, ivan)
        await run_jobs(runtime)

        async with authenticated_socket(server, {"authToken": ivan.access}) as ws:
            await subscribe_task_events(ws, task_id)
            tasks = await snapshots_until_complete(ws)

        assert [(t["taskId"], t["status"]) for t in tasks] == [(task_id, "SUCCEEDED")]

    @pytest.mark.parametrize("by", [str, global_id], ids=["task_id", "global_id"])
    async def test_someone_elses_task_is_not_found(
        self, runtime: Runtime, server: LiveServer, http: httpx.AsyncClient, by: Any
    ) -> None:
        ivan = await register_and_login(http, "ivan")
        olga = await register_and_login(http, "olga")
        task_id = await queued_noop(runtime, ivan)

        async with authenticated_socket(server, {"authToken": olga.access}) as ws:
            await subscribe_task_events(ws, by(task_id))
            message, end = await receive(ws), await receive(ws)

        assert_not_found(message)
        assert end == {"id": "1", "type": "complete"}

    @pytest.mark.parametrize(
        "task_id", ["0123456789abcdef0123456789abcdef", "a\x00b"], ids=["unknown", "nul"]
    )
    async def test_an_unknown_task_is_not_found(
        self, runtime: Runtime, server: LiveServer, http: httpx.AsyncClient, task_id: str
    ) -> None:
        admin = await admin_tokens(runtime, http)

        async with authenticated_socket(server, {"authToken": admin.access}) as ws:
            await subscribe_task_events(ws, task_id)
            message, end = await receive(ws), await receive(ws)

        assert_not_found(message)
        assert end == {"id": "1", "type": "complete"}


def assert_not_found(message: dict[str, Any]) -> None:
    """A subscription that fails at its first read: one ``next`` carrying the error."""
    assert message["type"] == "next", message
    payload = message["payload"]
    assert payload["data"] is None
    assert error_codes(payload) == ["NOT_FOUND"]
