"""Legacy 002 ``GET /tasks/{id}``: Celery's AsyncResult shape for each status, and who may ask."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from domain.access import System
from domain.accounts import service as accounts
from domain.accounts.rules import ADDRESS_LOGIN_FACTOR
from domain.adapters.clock import SystemClock
from domain.jobs import service as jobs
from domain.telegram import service as telegram
from tests.api.rest.factories import (
    PASSWORD,
    basic_header,
    create_admin,
    create_user,
    with_and_without_slash,
)
from tests.conftest import app_client
from tests.world import load_world, run_jobs, signed_in_account

if TYPE_CHECKING:
    import uuid
    from collections.abc import AsyncIterator

    import httpx

    from domain.accounts.model import User
    from domain.bootstrap import Runtime
    from domain.settings import Settings

SYSTEM = System("tests")

UNKNOWN_TASK = "0123456789abcdef0123456789abcdef"
NOT_FOUND = {"detail": "No task matches the given id."}
NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
BAD_CREDENTIALS = {"detail": "No active account found with the given credentials"}
CLOCK = SystemClock()


def paths(task_id: str) -> list[str]:
    return with_and_without_slash(f"/tasks/{task_id}/")


async def bearer(runtime: Runtime, user: User) -> dict[str, str]:
    async with runtime.uow() as uow:
        pair = await accounts.login(uow, runtime.auth, username=user.username, password=PASSWORD)
    return {"Authorization": f"Bearer {pair.access}"}


async def admin_bearer(runtime: Runtime) -> dict[str, str]:
    return await bearer(runtime, await create_admin(runtime))


async def queued(runtime: Runtime, owner_id: uuid.UUID | None = None) -> str:
    """A queued no-op task (nobody runs it unless the test does)."""
    async with runtime.uow() as uow:
        job = await jobs.create_job(uow, kind=jobs.NOOP, args={}, owner_id=owner_id)
        await uow.commit()
    return job.id


async def started(runtime: Runtime) -> str:
    """A task a worker has picked up and is running."""
    task_id = await queued(runtime)
    async with runtime.uow() as uow:
        assert await jobs.start_job(uow, CLOCK, task_id) is not None
    return task_id


async def get(http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
    response = await http.get(path, headers=headers)
    assert not response.is_redirect, response.headers
    return response


class TestTaskStatus:
    async def test_a_queued_task_is_pending(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        headers = await admin_bearer(runtime)
        task_id = await queued(runtime)

        for path in paths(task_id):
            response = await get(http, path, headers)

            assert response.status_code == 200, path
            assert response.json() == {
                "task_id": task_id,
                "task_status": "PENDING",
                "task_result": None,
            }

    async def test_a_running_task_is_started(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        headers = await admin_bearer(runtime)
        task_id = await started(runtime)

        for path in paths(task_id):
            response = await get(http, path, headers)

            assert response.json() == {
                "task_id": task_id,
                "task_status": "STARTED",
                "task_result": None,
            }

    async def test_a_retrying_task_is_retry_with_its_error_as_the_result(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        headers = await admin_bearer(runtime)
        task_id = await started(runtime)
        async with runtime.uow() as uow:
            await jobs.schedule_retry(
                uow, CLOCK, task_id, error="Too many requests; retry in 30 s.", delay=30
            )

        for path in paths(task_id):
            response = await get(http, path, headers)

            assert response.json() == {
                "task_id": task_id,
                "task_status": "RETRY",
                "task_result": "Too many requests; retry in 30 s.",
            }

    async def test_a_succeeded_task_is_success_with_its_json_result(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        headers = await admin_bearer(runtime)
        task_id = await queued(runtime)
        await run_jobs(runtime)

        for path in paths(task_id):
            response = await get(http, path, headers)

            assert response.json() == {
                "task_id": task_id,
                "task_status": "SUCCESS",
                "task_result": {"ok": True},
            }

    async def test_a_structured_result_comes_back_as_json(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        headers = await admin_bearer(runtime)
        task_id = await started(runtime)
        result = {"channel_id": -1001234567890, "posts": [1, 2], "note": "Канал", "ok": None}
        async with runtime.uow() as uow:
            await jobs.finish_job(uow, CLOCK, task_id, result)

        response = await get(http, f"/tasks/{task_id}", headers)

        assert response.json()["task_result"] == result

    async def test_a_failed_task_is_failure_with_its_error_string(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        headers = await admin_bearer(runtime)
        task_id = await started(runtime)
        async with runtime.uow() as uow:
            await jobs.fail_job(uow, CLOCK, task_id, "Telegram refused the request.")

        for path in paths(task_id):
            response = await get(http, path, headers)

            assert response.json() == {
                "task_id": task_id,
                "task_status": "FAILURE",
                "task_result": "Telegram refused the request.",
            }

    async def test_a_task_failed_by_a_real_job_carries_the_readable_error(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        headers = await admin_bearer(runtime)
        await load_world(runtime)
        account_id = await signed_in_account(runtime)
        assert runtime.sandbox is not None
        # Telegram logs the account out: the stored session no longer works.
        await runtime.sandbox.load_world(
            {"accounts": [{"id": 9001, "phone": "+79990000100", "sessions": []}]}, merge=True
        )
        async with runtime.uow() as uow:
            job = await telegram.queue_messages(
                uow, account_id=account_id, recipients=["ivan_test"], text="hi", actor=SYSTEM
            )
        await run_jobs(runtime)

        response = await get(http, f"/tasks/{job.id}/", headers)

        body = response.json()
        assert (body["task_id"], body["task_status"]) == (job.id, "FAILURE")
        assert "session was revoked" in body["task_result"]

    async def test_answers_json(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        headers = await admin_bearer(runtime)
        task_id = await queued(runtime)

        response = await get(http, f"/tasks/{task_id}", headers)

        assert response.headers["content-type"] == "application/json"

    @pytest.mark.parametrize("slash", ["/", ""], ids=["slash", "bare"])
    async def test_an_unknown_task_is_not_found(
        self, runtime: Runtime, http: httpx.AsyncClient, slash: str
    ) -> None:
        headers = await admin_bearer(runtime)

        response = await get(http, f"/tasks/{UNKNOWN_TASK}{slash}", headers)

        assert response.status_code == 404
        assert response.json() == NOT_FOUND

    @pytest.mark.parametrize(
        "task_id", ["a%00b", "%ED%A0%80", "x" * 5000], ids=["nul", "surrogate", "long"]
    )
    async def test_an_id_no_task_can_have_is_not_found(
        self, runtime: Runtime, http: httpx.AsyncClient, task_id: str
    ) -> None:
        headers = await admin_bearer(runtime)

        response = await get(http, f"/tasks/{task_id}/", headers)

        assert response.status_code == 404
        assert response.json() == NOT_FOUND

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
    async def test_other_methods_are_not_allowed(
        self, runtime: Runtime, http: httpx.AsyncClient, method: str
    ) -> None:
        headers = await admin_bearer(runtime)
        task_id = await queued(runtime)

        response = await http.request(method, f"/tasks/{task_id}/", headers=headers)

        assert response.status_code == 405
        assert response.json() == {"detail": f'Method "{method}" not allowed.'}


class TestTaskStatusAuth:
    async def test_anonymous_is_unauthenticated(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        task_id = await queued(runtime)

        for path in paths(task_id):
            response = await get(http, path, {})

            assert response.status_code == 401, path
            assert response.json() == NOT_AUTHENTICATED
            assert response.headers["www-authenticate"]

    async def test_anonymous_learns_nothing_of_an_unknown_task(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await get(http, f"/tasks/{UNKNOWN_TASK}", {})

        assert response.status_code == 401

    async def test_a_plain_user_is_forbidden(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        user = await create_user(runtime)
        headers = await bearer(runtime, user)
        task_id = await queued(runtime, owner_id=user.id)  # even their own: the group is admins'

        for path in paths(task_id):
            response = await get(http, path, headers)

            assert response.status_code == 403, path
            assert response.json() == FORBIDDEN

    async def test_an_admin_with_a_bearer_token(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        headers = await admin_bearer(runtime)
        task_id = await queued(runtime)

        for path in paths(task_id):
            assert (await get(http, path, headers)).status_code == 200, path

    async def test_an_admin_with_http_basic(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        admin = await create_admin(runtime)
        headers = {"Authorization": basic_header(admin.username, PASSWORD)}
        task_id = await queued(runtime)

        for path in paths(task_id):
            response = await get(http, path, headers)

            assert response.status_code == 200, path
            assert response.json()["task_status"] == "PENDING"

    async def test_a_plain_user_with_http_basic_is_forbidden(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        user = await create_user(runtime)
        task_id = await queued(runtime)

        response = await get(
            http, f"/tasks/{task_id}/", {"Authorization": basic_header(user.username, PASSWORD)}
        )

        assert response.status_code == 403
        assert response.json() == FORBIDDEN

    async def test_a_wrong_basic_password_is_unauthenticated(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        admin = await create_admin(runtime)
        task_id = await queued(runtime)

        response = await get(
            http, f"/tasks/{task_id}/", {"Authorization": basic_header(admin.username, "wrong")}
        )

        assert response.status_code == 401
        assert response.json() == BAD_CREDENTIALS

    async def test_a_bad_bearer_token_is_unauthenticated(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        task_id = await queued(runtime)

        response = await get(http, f"/tasks/{task_id}/", {"Authorization": "Bearer not-a-jwt"})

        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"


class TestBasicAuthRateLimit:
    """A client polling with valid Basic credentials is never limited; guessing still is."""

    LIMIT = 3

    @pytest.fixture
    async def limited(self, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        strict = settings.model_copy(update={"login_attempts_per_minute": self.LIMIT})
        async with app_client(strict) as client:
            yield client

    async def test_polling_with_valid_credentials_is_never_limited(
        self, runtime: Runtime, limited: httpx.AsyncClient
    ) -> None:
        admin = await create_admin(runtime)
        headers = {"Authorization": basic_header(admin.username, PASSWORD)}
        task_id = await queued(runtime)

        statuses = [
            (await get(limited, f"/tasks/{task_id}/", headers)).status_code
            for _ in range(5 * self.LIMIT * ADDRESS_LOGIN_FACTOR + 1)
        ]

        assert set(statuses) == {200}

    async def test_wrong_passwords_are_still_limited(
        self, runtime: Runtime, limited: httpx.AsyncClient
    ) -> None:
        admin = await create_admin(runtime)
        task_id = await queued(runtime)
        wrong = {"Authorization": basic_header(admin.username, "wrong")}
        right = {"Authorization": basic_header(admin.username, PASSWORD)}

        guesses = [
            (await get(limited, f"/tasks/{task_id}/", wrong)).status_code
            for _ in range(self.LIMIT + 1)
        ]
        after = await get(limited, f"/tasks/{task_id}/", right)

        assert guesses == [401] * self.LIMIT + [429]
        assert after.status_code == 429
        assert int(after.headers["Retry-After"]) >= 1

    async def test_successes_between_guesses_do_not_refill_the_budget(
        self, runtime: Runtime, limited: httpx.AsyncClient
    ) -> None:
        admin = await create_admin(runtime)
        task_id = await queued(runtime)
        wrong = {"Authorization": basic_header(admin.username, "wrong")}
        right = {"Authorization": basic_header(admin.username, PASSWORD)}

        statuses = []
        for _ in range(self.LIMIT):
            statuses.append((await get(limited, f"/tasks/{task_id}/", right)).status_code)
            statuses.append((await get(limited, f"/tasks/{task_id}/", wrong)).status_code)
        statuses.append((await get(limited, f"/tasks/{task_id}/", wrong)).status_code)

        assert statuses == [200, 401] * self.LIMIT + [429]


@pytest.fixture
async def bots_open_http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app of an operator who set TGHUB_LEGACY_OPEN=bots."""
    async with app_client(settings.model_copy(update={"legacy_open": ["bots"]})) as client:
        yield client


class TestTaskStatusInAnOpenGroup:
    async def test_anonymous_sees_any_task(
        self, runtime: Runtime, bots_open_http: httpx.AsyncClient
    ) -> None:
        admin = await create_admin(runtime)
        task_id = await queued(runtime, owner_id=admin.id)

        for path in paths(task_id):
            response = await get(bots_open_http, path, {})

            assert response.status_code == 200, path
            assert response.json() == {
                "task_id": task_id,
                "task_status": "PENDING",
                "task_result": None,
            }

    async def test_anonymous_still_gets_404_for_an_unknown_task(
        self, bots_open_http: httpx.AsyncClient
    ) -> None:
        response = await get(bots_open_http, f"/tasks/{UNKNOWN_TASK}/", {})

        assert response.status_code == 404
        assert response.json() == NOT_FOUND

    async def test_a_signed_in_user_sees_their_own_task(
        self, runtime: Runtime, bots_open_http: httpx.AsyncClient
    ) -> None:
        user = await create_user(runtime)
        task_id = await queued(runtime, owner_id=user.id)

        response = await get(bots_open_http, f"/tasks/{task_id}/", await bearer(runtime, user))

        assert response.status_code == 200
        assert response.json()["task_id"] == task_id

    async def test_a_signed_in_user_does_not_see_anothers_task(
        self, runtime: Runtime, bots_open_http: httpx.AsyncClient
    ) -> None:
        owner, other = await create_user(runtime), await create_user(runtime)
        task_id = await queued(runtime, owner_id=owner.id)

        response = await get(bots_open_http, f"/tasks/{task_id}/", await bearer(runtime, other))

        assert response.status_code == 404
        assert response.json() == NOT_FOUND

    async def test_an_admin_sees_any_task(
        self, runtime: Runtime, bots_open_http: httpx.AsyncClient
    ) -> None:
        user = await create_user(runtime)
        task_id = await queued(runtime, owner_id=user.id)

        response = await get(bots_open_http, f"/tasks/{task_id}/", await admin_bearer(runtime))

        assert response.status_code == 200

    async def test_a_bad_credential_is_still_refused(
        self, runtime: Runtime, bots_open_http: httpx.AsyncClient
    ) -> None:
        task_id = await queued(runtime)

        response = await get(
            bots_open_http, f"/tasks/{task_id}/", {"Authorization": basic_header("nobody", "x")}
        )

        assert response.status_code == 401
