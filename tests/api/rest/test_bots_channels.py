"""Legacy 002 ``/channels/`` and ``/messages``: linking waits for its job (a real burst worker
against the simulated world), unresolvable channels are 503 and stored invalid, links read
and deactivated, posts queued with their outcome at ``/tasks/{id}``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.bots import service as bots
from domain.bots.rules import LINK_ADDED
from tests.api.rest.bots_factories import (
    FORBIDDEN,
    NOT_AUTHENTICATED,
    admin_basic,
    assert_no_secret,
    jobs_of,
    with_worker,
)
from tests.api.rest.factories import PASSWORD, basic_header, create_user
from tests.conftest import app_client, module_settings_with
from tests.integration.bots.scene import channel_id, check, link, load, registered, token
from tests.world import run_jobs

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

module_settings = module_settings_with(bot_job_wait=30.0)

UNRESOLVABLE = {"message": "Задан некорректный идентификатор канала"}


async def post_channel(
    runtime: Runtime, http: httpx.AsyncClient, body: dict[str, Any]
) -> httpx.Response:
    headers = await admin_basic(runtime)
    return await with_worker(
        runtime, http.post("/channels/", json=body, headers=headers), bots.LINK_CHANNEL
    )


async def task(runtime: Runtime, http: httpx.AsyncClient, task_id: str) -> Any:
    response = await http.get(f"/tasks/{task_id}/", headers=await admin_basic(runtime))
    assert response.status_code == 200
    return response.json()


class TestLinking:
    async def test_a_channel_is_linked_to_the_least_loaded_bot(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)
        await registered(runtime, 1, 2)
        await link(runtime, "@chan_1")

        response = await post_channel(runtime, http, {"channel": "https://t.me/chan_2"})

        assert response.status_code == 200, response.text
        [_, job] = sorted(await jobs_of(runtime, bots.LINK_CHANNEL), key=lambda j: j.created_at)
        assert response.json() == {
            "channel_id": channel_id(2),
            "bot_link": "@bot_2",
            "message": LINK_ADDED,
            "task_id": job.id,
        }

    async def test_the_bot_given_takes_the_channel(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)
        [_, second] = await registered(runtime, 1, 2)

        response = await post_channel(runtime, http, {"channel": "@chan_1", "bot_id": second})

        assert response.json()["bot_link"] == "@bot_2"

    async def test_an_unresolvable_channel_is_503_and_stored_invalid(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)
        await registered(runtime, 1)

        response = await post_channel(runtime, http, {"channel": "https://t.me/no_such"})

        assert (response.status_code, response.json()) == (503, UNRESOLVABLE)
        [stored] = (await http.get("/channels/", headers=await admin_basic(runtime))).json()
        assert (stored["status"], stored["channel_id"], stored["channel"]) == (
            "invalid",
            None,
            "https://t.me/no_such",
        )
        assert stored["reason"] == "Telegram has no channel https://t.me/no_such."
        [job] = await jobs_of(runtime, bots.LINK_CHANNEL)
        assert (await task(runtime, http, job.id))["task_status"] == "FAILURE"

    async def test_a_channel_linked_already_is_409(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")

        response = await post_channel(runtime, http, {"channel": str(channel_id(1))})

        assert response.status_code == 409
        assert response.json() == {"detail": bots.ChannelAlreadyLinked.default_message}

    async def test_without_an_active_bot_is_409(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)

        response = await post_channel(runtime, http, {"channel": "@chan_1"})

        assert response.status_code == 409
        assert response.json() == {"detail": bots.NoActiveBot.default_message}

    async def test_an_unknown_bot_is_404_and_an_inactive_one_409(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)
        [bot_id] = await registered(runtime, 1)
        headers = await admin_basic(runtime)
        await http.patch(f"/bots/{bot_id}/", json={"is_active": False}, headers=headers)

        unknown = await http.post(
            "/channels/", json={"channel": "@chan_1", "bot_id": 999}, headers=headers
        )
        inactive = await http.post(
            "/channels/", json={"channel": "@chan_1", "bot_id": bot_id}, headers=headers
        )

        assert (unknown.status_code, unknown.json()) == (404, {"detail": "Бот не найден"})
        assert (inactive.status_code, inactive.json()) == (
            409,
            {"detail": bots.BotInactive.default_message},
        )
        assert not await jobs_of(runtime, bots.LINK_CHANNEL)

    @pytest.mark.parametrize(
        ("body", "loc"),
        [
            ({}, ["body", "channel"]),
            ({"channel": 5}, ["body", "channel"]),
            ({"channel": "@chan_1", "bot_id": "x"}, ["body", "bot_id"]),
            ({"channel": "@chan_1", "bot_id": 2**40}, ["body", "bot_id"]),
            ({"channel": "  "}, ["body", "channel"]),
        ],
        ids=["missing", "wrong-type", "bot-id-text", "bot-id-huge", "blank"],
    )
    async def test_a_bad_body_is_422(
        self, runtime: Runtime, http: httpx.AsyncClient, body: dict[str, Any], loc: list[str]
    ) -> None:
        response = await http.post("/channels", json=body, headers=await admin_basic(runtime))

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == loc

    async def test_no_outcome_within_the_wait_is_202_and_the_task_answers_later(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        await load(runtime)
        await registered(runtime, 1)
        headers = await admin_basic(runtime)
        async with app_client(settings.model_copy(update={"bot_job_wait": 0.2})) as client:
            response = await client.post("/channels/", json={"channel": "@chan_1"}, headers=headers)
            [job] = await jobs_of(runtime, bots.LINK_CHANNEL)
            assert response.status_code == 202
            assert response.json() == {"task_id": job.id, "task_status": "PENDING"}
            await run_jobs(runtime)
            later = await client.get(f"/tasks/{job.id}", headers=headers)

        assert later.json() == {
            "task_id": job.id,
            "task_status": "SUCCESS",
            "task_result": {
                "channel_id": channel_id(1),
                "bot_link": "@bot_1",
                "message": LINK_ADDED,
                "task_id": job.id,
            },
        }


class TestLinks:
    async def test_a_channel_and_the_list(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        await load(runtime)
        [bot_id] = await registered(runtime, 1)
        await link(runtime, "@chan_1")
        await link(runtime, "@chan_2")
        headers = await admin_basic(runtime)

        one = await http.get(f"/channels/{channel_id(1)}/", headers=headers)
        every = await http.get("/channels", headers=headers)

        assert one.status_code == 200
        shown = one.json()
        assert {k: v for k, v in shown.items() if k not in {"id", "created_at", "updated_at"}} == {
            "channel_id": channel_id(1),
            "channel": "@chan_1",
            "title": "Channel 1",
            "username": "chan_1",
            "bot_id": bot_id,
            "bot_link": "@bot_1",
            "status": "new",
            "reason": None,
            "last_checked_at": None,
        }
        assert [link["channel_id"] for link in every.json()] == [channel_id(1), channel_id(2)]
        assert_no_secret(every, token(1))

    async def test_the_check_shows_in_the_link(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime, admins=True)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")
        await check(runtime)

        shown = (
            await http.get(f"/channels/{channel_id(1)}", headers=await admin_basic(runtime))
        ).json()

        assert shown["status"] == "active"
        assert shown["last_checked_at"] is not None

    @pytest.mark.parametrize("by", ["link id", "telegram id"])
    async def test_delete_deactivates_the_link(
        self, runtime: Runtime, http: httpx.AsyncClient, by: str
    ) -> None:
        await load(runtime)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")
        headers = await admin_basic(runtime)
        link_id = (await http.get(f"/channels/{channel_id(1)}", headers=headers)).json()["id"]
        key = link_id if by == "link id" else channel_id(1)

        response = await http.delete(f"/channels/{key}/", headers=headers)

        assert response.status_code == 200
        assert (response.json()["id"], response.json()["status"]) == (link_id, "inactive")
        # The channel may be linked again.
        again = await post_channel(runtime, http, {"channel": "@chan_1"})
        assert again.status_code == 200

    @pytest.mark.parametrize("method", ["GET", "DELETE"])
    @pytest.mark.parametrize("key", ["999", str(channel_id(7)), "9" * 25])
    async def test_an_unknown_channel_is_404(
        self, runtime: Runtime, http: httpx.AsyncClient, method: str, key: str
    ) -> None:
        response = await http.request(
            method, f"/channels/{key}/", headers=await admin_basic(runtime)
        )

        assert (response.status_code, response.json()) == (404, {"detail": "Канал не найден"})

    async def test_other_methods_are_not_allowed(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        response = await http.put("/channels/1/", headers=await admin_basic(runtime))

        assert response.status_code == 405


class TestPosting:
    async def posted(
        self, runtime: Runtime, http: httpx.AsyncClient, body: dict[str, Any]
    ) -> dict[str, Any]:
        headers = await admin_basic(runtime)
        response = await http.post("/messages", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert list(response.json()) == ["task_id"]
        await run_jobs(runtime)
        found: dict[str, Any] = await task(runtime, http, response.json()["task_id"])
        return found

    async def test_a_post_through_the_channels_bot(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime, admins=True)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")
        await check(runtime)

        done = await self.posted(
            runtime, http, {"channel_id": channel_id(1), "message": "*Hello* channel"}
        )

        assert done["task_status"] == "SUCCESS"
        assert done["task_result"]["channel_id"] == channel_id(1)
        assert done["task_result"]["message_id"] > 1

    @pytest.mark.parametrize(
        ("message", "error"),
        [
            ("   ", "The message is empty."),
            ("x" * 4097, "The message is 4097 characters long; Telegram takes at most 4096."),
        ],
        ids=["empty", "oversized"],
    )
    async def test_a_text_telegram_cannot_take_fails_the_task(
        self, runtime: Runtime, http: httpx.AsyncClient, message: str, error: str
    ) -> None:
        await load(runtime, admins=True)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")
        await check(runtime)

        done = await self.posted(runtime, http, {"channel_id": channel_id(1), "message": message})

        assert (done["task_status"], done["task_result"]) == ("FAILURE", error)

    async def test_a_channel_without_a_usable_bot_fails_the_task(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        await load(runtime)
        await registered(runtime, 1)
        await link(runtime, "@chan_1")  # new: the bot is no admin yet

        done = await self.posted(runtime, http, {"channel_id": channel_id(1), "message": "hi"})

        assert (done["task_status"], done["task_result"]) == (
            "FAILURE",
            bots.NoUsableBot.default_message,
        )

    @pytest.mark.parametrize(
        ("body", "loc"),
        [
            ({"message": "hi"}, ["body", "channel_id"]),
            ({"channel_id": "abc", "message": "hi"}, ["body", "channel_id"]),
            ({"channel_id": 10**20, "message": "hi"}, ["body", "channel_id"]),
            ({"channel_id": -1001, "message": None}, ["body", "message"]),
            ({"channel_id": -1001, "message": "a\x00"}, ["body", "message"]),
        ],
        ids=["missing", "text-id", "huge-id", "null-message", "nul"],
    )
    async def test_a_bad_body_is_422(
        self, runtime: Runtime, http: httpx.AsyncClient, body: dict[str, Any], loc: list[str]
    ) -> None:
        response = await http.post("/messages/", json=body, headers=await admin_basic(runtime))

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == loc
        assert not await jobs_of(runtime, bots.POST_MESSAGE)


class TestAccess:
    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/channels/", None),
            ("POST", "/channels/", {"channel": "@chan_1"}),
            ("GET", f"/channels/{channel_id(1)}/", None),
            ("DELETE", "/channels/1/", None),
            ("POST", "/messages", {"channel_id": channel_id(1), "message": "hi"}),
        ],
    )
    async def test_anonymous_is_401_and_a_user_403(
        self,
        runtime: Runtime,
        http: httpx.AsyncClient,
        method: str,
        path: str,
        body: dict[str, Any] | None,
    ) -> None:
        user = await create_user(runtime)

        anonymous = await http.request(method, path, json=body)
        plain = await http.request(
            method,
            path,
            json=body,
            headers={"Authorization": basic_header(user.username, PASSWORD)},
        )

        assert (anonymous.status_code, anonymous.json()) == (401, NOT_AUTHENTICATED)
        assert (plain.status_code, plain.json()) == (403, FORBIDDEN)

    async def test_an_open_group_lets_anonymous_link_and_post(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        await load(runtime, admins=True)
        await registered(runtime, 1)
        opened = settings.model_copy(update={"legacy_open": ["bots"]})
        async with app_client(opened) as client:
            linked = await with_worker(
                runtime, client.post("/channels/", json={"channel": "@chan_1"}), bots.LINK_CHANNEL
            )
            await check(runtime)
            queued = await client.post(
                "/messages", json={"channel_id": channel_id(1), "message": "hi"}
            )
            await run_jobs(runtime)
            done = await client.get(f"/tasks/{queued.json()['task_id']}/")
            listed = await client.get("/channels/")

        assert linked.status_code == 200
        assert done.json()["task_status"] == "SUCCESS"
        assert [link["status"] for link in listed.json()] == ["active"]
