"""Legacy 002 ``/bots/``: registration waits for Telegram's check (a real burst worker runs
the job against the simulated world), reads and changes show the token masked, bad bodies
are FastAPI's 422, unknown ids 404."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from domain.adapters.clock import SystemClock
from domain.bots import service as bots
from domain.jobs import service as jobs
from domain.jobs.model import JobStatus
from tests.api.rest.bots_factories import (
    FORBIDDEN,
    NOT_AUTHENTICATED,
    admin_basic,
    assert_no_secret,
    jobs_of,
    with_worker,
)
from tests.api.rest.factories import PASSWORD, basic_header, create_user
from tests.conftest import app_client, module_settings_with, until
from tests.integration.bots.scene import channel_id, link, load, registered, token

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

# Long enough for a burst worker to start and run the job on a busy machine.
module_settings = module_settings_with(bot_job_wait=30.0)

CLOCK = SystemClock()


def new_bot(n: int, **changes: Any) -> dict[str, Any]:
    return {"alias": f"alias {n}", "description": "d", "token": token(n), "name": ""} | changes


async def register(runtime: Runtime, http: httpx.AsyncClient, body: dict[str, Any]) -> Any:
    headers = await admin_basic(runtime)
    return await with_worker(
        runtime, http.post("/bots/", json=body, headers=headers), bots.REGISTER_BOT
    )


class TestRegistration:
    async def test_a_bot_telegram_accepts_is_registered(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)

        response = await register(runtime, http, new_bot(1))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "ok"
        assert body["data"]["new"] is True
        listed = await http.get(f"/bots/{body['data']['id']}/", headers=await admin_basic(runtime))
        assert listed.json()["username"] == "bot_1"
        assert_no_secret(response, token(1))

    async def test_a_known_bot_is_updated(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        await load(runtime)
        first = (await register(runtime, http, new_bot(1))).json()["data"]

        again = await register(runtime, http, new_bot(1, alias="renamed", name="Name"))

        assert again.status_code == 200
        assert again.json() == {"status": "ok", "data": {"id": first["id"], "new": False}}
        shown = await http.get(f"/bots/{first['id']}", headers=await admin_basic(runtime))
        assert (shown.json()["alias"], shown.json()["name"]) == ("renamed", "Name")

    async def test_a_token_telegram_refuses_is_503(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)
        refused = f"{token(9)}"  # the world has bots 1 and 2 only

        response = await register(runtime, http, new_bot(9))

        assert response.status_code == 503
        assert response.json() == {
            "status": "error",
            "message": "Telegram does not accept this bot token.",
        }
        assert_no_secret(response, refused)
        listed = await http.get("/bots/", headers=await admin_basic(runtime))
        assert listed.json() == []

    async def test_telegram_unreachable_past_the_wait_is_503(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        """The job met an outage and waits to retry when the handler stops waiting."""
        headers = await admin_basic(runtime)
        short = settings.model_copy(update={"bot_job_wait": 1.0})
        async with app_client(short) as client:
            answer = asyncio.ensure_future(client.post("/bots/", json=new_bot(1), headers=headers))

            async def queued() -> bool:
                return bool(await jobs_of(runtime, bots.REGISTER_BOT))

            await until(queued)
            [job] = await jobs_of(runtime, bots.REGISTER_BOT)
            async with runtime.uow() as uow:
                await jobs.start_job(uow, CLOCK, job.id)
            async with runtime.uow() as uow:
                await jobs.schedule_retry(
                    uow, CLOCK, job.id, error="Telegram is unavailable.", delay=60
                )
            response = await answer

        assert response.status_code == 503
        assert response.json() == {"status": "error", "message": "Telegram is unavailable."}

    async def test_no_outcome_within_the_wait_is_202_with_the_task(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        headers = await admin_basic(runtime)
        async with app_client(settings.model_copy(update={"bot_job_wait": 0.2})) as client:
            response = await client.post("/bots", json=new_bot(1), headers=headers)

            [job] = await jobs_of(runtime, bots.REGISTER_BOT)
            assert response.status_code == 202
            assert response.json() == {"task_id": job.id, "task_status": "PENDING"}
            task = await client.get(f"/tasks/{job.id}/", headers=headers)
        assert task.json()["task_status"] == "PENDING"
        assert_no_secret(response, token(1))
        assert token(1) not in str(job.args)


class TestBadBodies:
    @pytest.mark.parametrize(
        ("body", "problem"),
        [
            (
                {"alias": "a", "description": "d", "name": "n"},
                {"type": "missing", "loc": ["body", "token"], "msg": "Field required"},
            ),
            (
                {"alias": 5, "description": "d", "name": "n", "token": token(1)},
                {
                    "type": "string_type",
                    "loc": ["body", "alias"],
                    "msg": "Input should be a valid string",
                },
            ),
            (
                {"alias": "a", "description": "d", "name": "n", "token": "no-colon-secret"},
                {
                    "type": "value_error",
                    "loc": ["body", "token"],
                    "msg": "A bot token is what @BotFather gave: <bot id>:<secret>.",
                },
            ),
            (
                {"alias": "a" * 256, "description": "d", "name": "n", "token": token(1)},
                {"type": "value_error", "loc": ["body", "alias"], "msg": "At most 255 characters."},
            ),
        ],
        ids=["missing", "wrong-type", "malformed-token", "too-long"],
    )
    async def test_is_422_naming_the_field(
        self,
        runtime: Runtime,
        http: httpx.AsyncClient,
        body: dict[str, Any],
        problem: dict[str, Any],
    ) -> None:
        response = await http.post("/bots/", json=body, headers=await admin_basic(runtime))

        assert response.status_code == 422
        assert problem in response.json()["detail"]
        assert "no-colon-secret" not in response.text
        assert not await jobs_of(runtime, bots.REGISTER_BOT)

    @pytest.mark.parametrize(
        ("raw", "kind"),
        [(b"", "missing"), (b"{not json", "json_invalid"), (b"[1, 2]", "dict_type")],
    )
    async def test_a_body_no_object_is_422(
        self, runtime: Runtime, http: httpx.AsyncClient, raw: bytes, kind: str
    ) -> None:
        headers = await admin_basic(runtime) | {"Content-Type": "application/json"}

        response = await http.post("/bots/", content=raw, headers=headers)

        assert response.status_code == 422
        assert [p["type"] for p in response.json()["detail"]] == [kind]

    async def test_nul_is_refused(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/bots/", json=new_bot(1, description="a\x00b"), headers=await admin_basic(runtime)
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "description"]


class TestReadsAndChanges:
    async def test_a_bot_and_the_list_show_the_token_masked(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)
        [bot_id, second] = await registered(runtime, 1, 2)
        headers = await admin_basic(runtime)

        one = await http.get(f"/bots/{bot_id}/", headers=headers)
        every = await http.get("/bots/", headers=headers)

        assert one.status_code == 200
        shown = one.json()
        assert shown["token"] == f"5001:****{token(1)[-4:]}"
        assert {k: shown[k] for k in ("id", "alias", "username", "bot_link", "is_active")} == {
            "id": bot_id,
            "alias": "alias 1",
            "username": "bot_1",
            "bot_link": "@bot_1",
            "is_active": True,
        }
        assert shown["telegram_id"] == 5001
        assert [b["id"] for b in every.json()] == [bot_id, second]
        for response in (one, every):
            assert_no_secret(response, token(1), token(2))

    async def test_patch_changes_the_fields_given(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)
        [bot_id] = await registered(runtime, 1)

        response = await http.patch(
            f"/bots/{bot_id}",
            json={"description": "new", "is_active": False},
            headers=await admin_basic(runtime),
        )

        assert response.status_code == 200
        body = response.json()
        assert (body["alias"], body["description"], body["is_active"]) == (
            "alias 1",
            "new",
            False,
        )
        assert_no_secret(response, token(1))

    async def test_patch_refuses_a_token(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        await load(runtime)
        [bot_id] = await registered(runtime, 1)

        response = await http.patch(
            f"/bots/{bot_id}/", json={"token": token(2)}, headers=await admin_basic(runtime)
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "token"]
        assert_no_secret(response, token(2))

    async def test_delete_removes_the_bot(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        await load(runtime)
        [bot_id] = await registered(runtime, 1)
        headers = await admin_basic(runtime)

        response = await http.delete(f"/bots/{bot_id}/", headers=headers)

        assert (response.status_code, response.json()) == (200, {"status": "ok"})
        gone = await http.get(f"/bots/{bot_id}/", headers=headers)
        assert (gone.status_code, gone.json()) == (404, {"detail": "Бот не найден"})

    async def test_a_bot_serving_a_channel_is_not_deleted(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)
        [bot_id] = await registered(runtime, 1)
        await link(runtime, str(channel_id(1)))

        response = await http.delete(f"/bots/{bot_id}/", headers=await admin_basic(runtime))

        assert response.status_code == 409
        assert response.json() == {"detail": bots.BotInUse.default_message}

    @pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
    @pytest.mark.parametrize("bot_id", ["999", "99999999999999999999"])
    async def test_an_unknown_bot_is_404(
        self, runtime: Runtime, http: httpx.AsyncClient, method: str, bot_id: str
    ) -> None:
        response = await http.request(
            method, f"/bots/{bot_id}/", json={"alias": "a"}, headers=await admin_basic(runtime)
        )

        assert response.status_code == 404
        assert response.json() == {"detail": "Бот не найден"}

    async def test_an_id_no_integer_is_422(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        response = await http.get("/bots/abc/", headers=await admin_basic(runtime))

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "bot_id"]


class TestAccess:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("GET", "/bots/"), ("POST", "/bots/"), ("GET", "/bots/1/"), ("DELETE", "/bots/1")],
    )
    async def test_anonymous_is_401_and_a_user_403(
        self, runtime: Runtime, http: httpx.AsyncClient, method: str, path: str
    ) -> None:
        user = await create_user(runtime)

        anonymous = await http.request(method, path, json=new_bot(1))
        plain = await http.request(
            method,
            path,
            json=new_bot(1),
            headers={"Authorization": basic_header(user.username, PASSWORD)},
        )

        assert (anonymous.status_code, anonymous.json()) == (401, NOT_AUTHENTICATED)
        assert (plain.status_code, plain.json()) == (403, FORBIDDEN)
        assert not await jobs_of(runtime, bots.REGISTER_BOT)

    async def test_an_open_group_lets_anonymous_register(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        await load(runtime)
        opened = settings.model_copy(update={"legacy_open": ["bots"]})
        async with app_client(opened) as client:
            response = await with_worker(
                runtime, client.post("/bots/", json=new_bot(1)), bots.REGISTER_BOT
            )
            listed = await client.get("/bots/")
            user = await create_user(runtime)
            plain = await client.get(
                "/bots/", headers={"Authorization": basic_header(user.username, PASSWORD)}
            )

        assert response.status_code == 200
        assert response.json()["data"]["new"] is True
        assert [b["username"] for b in listed.json()] == ["bot_1"]
        assert plain.status_code == 403
        [job] = await jobs_of(runtime, bots.REGISTER_BOT)
        assert job.status is JobStatus.SUCCEEDED
