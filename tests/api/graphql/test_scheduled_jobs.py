"""Scheduled jobs over GraphQL (admins): the list, and a run asked for now, followed as a
task through ``task`` and the legacy ``/tasks/{id}`` until a real burst worker finishes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.api.graphql.factories import Tokens, login
from tests.api.rest.factories import PASSWORD, create_admin
from tests.conftest import graphql
from tests.world import run_jobs

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime


async def admin_tokens(runtime: Runtime, http: httpx.AsyncClient) -> Tokens:
    admin = await create_admin(runtime)
    return await login(http, admin.username, PASSWORD)


async def run(http: httpx.AsyncClient, name: str, token: str) -> dict[str, Any]:
    body = await graphql(http, "RunScheduledJob", {"input": {"name": name}}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["runScheduledJob"]
    return payload


class TestScheduledJobs:
    async def test_an_admin_lists_each_job_with_its_schedule(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        admin = await admin_tokens(runtime, http)

        body = await graphql(http, "ScheduledJobs", token=admin.access)

        assert "errors" not in body, body
        listed = {job["name"]: job for job in body["data"]["scheduledJobs"]}
        assert list(listed) == [
            "jobs.sweep",
            "presence.sweep",
            "mailing.dispatch",
            "invites.dispatch",
            "invites.reset_quotas",
            "bots.check_links",
            "bots.collect_stats",
        ]
        assert listed["bots.check_links"]["schedule"]["cron"] == "0 * * * *"
        assert listed["bots.collect_stats"]["schedule"]["cron"] == "0 0 * * *"
        assert listed["jobs.sweep"]["schedule"] == {"text": "every minute", "cron": "* * * * *"}
        assert listed["presence.sweep"]["schedule"] == {
            "text": "every 30 seconds",
            "cron": "*/30 * * * * *",
        }
        assert listed["mailing.dispatch"]["schedule"] == {
            "text": "every 5 seconds",
            "cron": "*/5 * * * * *",
        }
        assert all(job["canRunNow"] for job in listed.values())
        ticks_are_tasks = {name for name, job in listed.items() if job["ticksAreTasks"]}
        assert ticks_are_tasks == {
            "bots.check_links",
            "bots.collect_stats",
            "invites.reset_quotas",
        }
        assert listed["invites.dispatch"]["schedule"] == {
            "text": "every 2 seconds",
            "cron": "*/2 * * * * *",
        }
        assert listed["invites.reset_quotas"]["schedule"]["cron"] == "0 0 * * *"
        assert all(job["description"] for job in listed.values())


class TestRunScheduledJob:
    async def test_answers_a_task_that_a_worker_runs_to_success(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        admin = await admin_tokens(runtime, http)

        payload = await run(http, "jobs.sweep", admin.access)

        assert payload["__typename"] == "RunScheduledJobSuccess"
        task = payload["task"]
        assert (task["kind"], task["status"]) == ("jobs.sweep", "QUEUED")

        await run_jobs(runtime)

        found = await graphql(http, "Task", {"id": task["taskId"]}, token=admin.access)
        assert (found["data"]["task"]["status"], found["data"]["task"]["result"]) == (
            "SUCCEEDED",
            {"requeued": []},
        )
        legacy = await http.get(
            f"/tasks/{task['taskId']}", headers={"Authorization": f"Bearer {admin.access}"}
        )
        assert legacy.status_code == 200, legacy.text
        assert legacy.json()["task_status"] == "SUCCESS"

    async def test_while_the_run_is_queued_answers_the_same_task(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        admin = await admin_tokens(runtime, http)

        first = await run(http, "presence.sweep", admin.access)
        again = await run(http, "presence.sweep", admin.access)

        assert again["task"]["taskId"] == first["task"]["taskId"]

    async def test_an_unknown_name_lists_the_valid_ones(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        admin = await admin_tokens(runtime, http)

        payload = await run(http, "bots.nope", admin.access)

        assert payload["__typename"] == "ValidationError"
        assert payload["code"] == "invalid"
        assert payload["fields"] == [
            {
                "field": "name",
                "messages": [
                    "No scheduled job is named 'bots.nope'. "
                    "The scheduled jobs are: jobs.sweep, presence.sweep, mailing.dispatch, "
                    "invites.dispatch, invites.reset_quotas, "
                    "bots.check_links, "
                    "bots.collect_stats."
                ],
            }
        ]
