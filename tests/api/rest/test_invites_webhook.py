"""Legacy 004's webhook: ``POST|GET /webhook`` queues phones (stored before it answers), for
admins, callers with the shared secret, or anyone when the group is open; rate limited per
client address."""

from __future__ import annotations

import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from pydantic import SecretStr

from resolvers.rest.invites import (
    BOTH_FORMS,
    TOO_MANY_CALLS,
    WRONG_SECRET,
    without_secret,
)
from tests import canaries
from tests.api.rest.factories import (
    PASSWORD,
    basic_header,
    create_admin,
    create_user,
    unique_username,
)
from tests.api.rest.invites_factories import (
    admin_basic,
    finished_request,
    request_count,
    waiting_phones,
)
from tests.conftest import DEADLINE, ORIGIN, app_client, module_settings_with, running_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from domain.bootstrap import Runtime
    from domain.settings import Settings

SECRET = canaries.WEBHOOK_SECRET
module_settings = module_settings_with(invite_webhook_secret=SecretStr(SECRET))

PHONE = "+79991234567"
OTHER = "+79991234568"
UNAUTHENTICATED = {"detail": "Authentication credentials were not provided."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


def not_a_phone(text: str) -> str:
    return f"{text!r} is not a valid phone number (give it in international format, +…)."


WRONG_TYPE = "A phone number is a string or a number."


def queued(*phones: str, already: tuple[str, ...] = (), invalid: Any = ()) -> dict[str, Any]:
    return {
        "status": "queued",
        "queued": list(phones),
        "already_queued": list(already),
        "invalid": list(invalid),
    }


@pytest.fixture
async def admin(runtime: Runtime) -> dict[str, str]:
    return await admin_basic(runtime)


@pytest.fixture
def secret() -> dict[str, str]:
    return {"X-Webhook-Secret": SECRET}


@contextlib.asynccontextmanager
async def client_with(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings.model_copy(update=changes)) as client:
        yield client


class TestOnePhone:
    async def test_a_json_phone_is_stored_before_the_answer(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        response = await http.post("/webhook", json={"phone": "+7 999 123-45-67"}, headers=admin)

        assert (response.status_code, response.json()) == (200, queued(PHONE))
        # Read right after the answer: the row was committed before it went out.
        assert await waiting_phones(runtime) == [PHONE]

    async def test_a_json_number_is_a_phone(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        response = await http.post("/webhook", json={"phone": 79991234567}, headers=admin)

        assert response.json() == queued(PHONE)
        assert await waiting_phones(runtime) == [PHONE]

    @pytest.mark.parametrize("method", ["GET", "POST"])
    @pytest.mark.parametrize("path", ["/webhook", "/webhook/"])
    async def test_the_query_phone(
        self, http: httpx.AsyncClient, admin: dict[str, str], method: str, path: str
    ) -> None:
        # No country code: read in the default region (RU), 8 its trunk prefix.
        response = await http.request(
            method, path, params={"phone": "8 999 123 45 67"}, headers=admin
        )

        assert (response.status_code, response.json()) == (200, queued(PHONE))

    async def test_the_body_phone_wins_over_the_query(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.post(
            "/webhook", params={"phone": OTHER}, json={"phone": PHONE}, headers=admin
        )

        assert response.json() == queued(PHONE)

    async def test_a_form_phone(self, http: httpx.AsyncClient, admin: dict[str, str]) -> None:
        response = await http.post("/webhook", data={"phone": PHONE}, headers=admin)

        assert response.json() == queued(PHONE)

    async def test_numbers_without_a_country_code_are_read_in_the_configured_region(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        admin = await admin_basic(runtime)
        async with client_with(settings, invite_default_region="US") as client:
            response = await client.post("/webhook", json={"phone": "201-555-0123"}, headers=admin)

        assert response.json() == queued("+12015550123")

    @pytest.mark.parametrize(
        "body", [{}, {"phone": ""}, {"phone": "  "}, {"phone": None}, {"phones": None}, None]
    )
    async def test_no_phone_is_ignored(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str], body: Any
    ) -> None:
        response = await http.post("/webhook", json=body, headers=admin)

        assert (response.status_code, response.json()) == (200, {"status": "ignored"})
        assert await waiting_phones(runtime) == []

    async def test_a_bare_get_is_ignored(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.get("/webhook", headers=admin)

        assert (response.status_code, response.json()) == (200, {"status": "ignored"})

    @pytest.mark.parametrize("raw", ["12ab", "+7999", 42])
    async def test_a_phone_that_is_none_is_400_naming_it(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str], raw: object
    ) -> None:
        response = await http.post("/webhook", json={"phone": raw}, headers=admin)

        assert (response.status_code, response.json()) == (400, {"phone": [not_a_phone(str(raw))]})
        assert await waiting_phones(runtime) == []

    async def test_a_bad_query_phone_is_400_too(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.get("/webhook", params={"phone": "call me"}, headers=admin)

        assert (response.status_code, response.json()) == (400, {"phone": [not_a_phone("call me")]})

    @pytest.mark.parametrize("raw", [True, [PHONE], {"number": PHONE}, 7.5])
    async def test_a_phone_of_the_wrong_type_is_400(
        self, http: httpx.AsyncClient, admin: dict[str, str], raw: object
    ) -> None:
        response = await http.post("/webhook", json={"phone": raw}, headers=admin)

        assert (response.status_code, response.json()) == (400, {"phone": [WRONG_TYPE]})


class TestBadBodies:
    async def test_malformed_json_is_400(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        headers = {**admin, "Content-Type": "application/json"}

        response = await http.post("/webhook", content=b'{"phone": "+7', headers=headers)

        assert response.status_code == 400
        assert response.json()["detail"].startswith("JSON parse error - ")

    async def test_a_body_that_is_no_object_is_400(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.post("/webhook", json=[PHONE], headers=admin)

        assert response.status_code == 400
        assert response.json() == {
            "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
        }

    @pytest.mark.parametrize(("raw", "kind"), [(PHONE, "str"), ({"a": PHONE}, "dict"), (7, "int")])
    async def test_phones_that_are_no_list_are_400(
        self, http: httpx.AsyncClient, admin: dict[str, str], raw: object, kind: str
    ) -> None:
        response = await http.post("/webhook", json={"phones": raw}, headers=admin)

        assert response.status_code == 400
        assert response.json() == {"phones": [f'Expected a list of items but got type "{kind}".']}

    async def test_phone_and_phones_together_are_400(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        body = {"phone": PHONE, "phones": [OTHER]}

        response = await http.post("/webhook", json=body, headers=admin)

        assert (response.status_code, response.json()) == (400, {"non_field_errors": [BOTH_FORMS]})
        assert await waiting_phones(runtime) == []


class TestBatch:
    async def test_valid_phones_are_queued_and_the_others_named(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        phones = [PHONE, 79991234568, "nope", "8 (999) 123-45-67", {"x": 1}, "x" * 100, True, 12]

        response = await http.post("/webhook", json={"phones": phones}, headers=admin)

        assert response.status_code == 200
        assert response.json() == queued(
            PHONE,
            OTHER,
            invalid=[
                {"index": 2, "phone": "nope", "error": not_a_phone("nope")},
                {"index": 4, "phone": None, "error": WRONG_TYPE},
                # A long item is named shortened, in the answer and its message.
                {"index": 5, "phone": "x" * 64 + "…", "error": not_a_phone("x" * 40 + "…")},
                {"index": 6, "phone": None, "error": WRONG_TYPE},
                {"index": 7, "phone": 12, "error": not_a_phone("12")},
            ],
        )
        # A repeat in one call is queued once.
        assert await waiting_phones(runtime) == [PHONE, OTHER]

    async def test_repeated_form_fields_are_a_batch(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.post("/webhook", data={"phones": [PHONE, OTHER]}, headers=admin)

        assert response.json() == queued(PHONE, OTHER)

    async def test_an_empty_batch_is_400(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.post("/webhook", json={"phones": []}, headers=admin)

        assert (response.status_code, response.json()) == (
            400,
            {"phones": ["Give at least one phone number."]},
        )

    async def test_a_thousand_phones_are_taken(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        phones = [f"+7999{n:07d}" for n in range(1000)]

        response = await http.post("/webhook", json={"phones": phones}, headers=admin)

        assert response.status_code == 200
        assert response.json()["queued"] == phones
        assert await waiting_phones(runtime) == phones

    async def test_more_than_a_thousand_are_400_and_nothing_is_stored(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        phones = [f"+7999{n:07d}" for n in range(1001)]

        response = await http.post("/webhook", json={"phones": phones}, headers=admin)

        assert (response.status_code, response.json()) == (
            400,
            {"phones": ["At most 1000 phone numbers in one call."]},
        )
        assert await waiting_phones(runtime) == []

    async def test_a_batch_without_one_phone_is_400_naming_each_item(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        response = await http.post("/webhook", json={"phones": ["a", None, "b"]}, headers=admin)

        assert response.status_code == 400
        assert response.json() == {
            "phones": {"0": [not_a_phone("a")], "1": [WRONG_TYPE], "2": [not_a_phone("b")]}
        }
        assert await waiting_phones(runtime) == []


class TestQueuedOnce:
    async def test_a_waiting_phone_is_not_queued_again(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        await http.post("/webhook", json={"phone": PHONE}, headers=admin)

        again = await http.post("/webhook", json={"phone": "89991234567"}, headers=admin)
        batch = await http.post("/webhook", json={"phones": [OTHER, PHONE]}, headers=admin)

        assert again.json() == queued(already=(PHONE,))
        assert batch.json() == queued(OTHER, already=(PHONE,))
        assert await waiting_phones(runtime) == [PHONE, OTHER]

    async def test_a_phone_already_invited_is_still_accepted(
        self, http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        # Its job will log "skipped"; the webhook takes it as any other.
        await finished_request(runtime, PHONE)

        response = await http.post("/webhook", json={"phone": PHONE}, headers=admin)

        assert response.json() == queued(PHONE)
        assert await request_count(runtime, PHONE) == 2
        assert await waiting_phones(runtime) == [PHONE]


async def bearer_of(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/api/auth/", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json()['access']}"}


class TestWho:
    async def test_anonymous_is_refused_while_the_group_is_closed(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        response = await http.post("/webhook", json={"phone": PHONE})

        assert (response.status_code, response.json()) == (401, UNAUTHENTICATED)
        assert response.headers["WWW-Authenticate"] == 'Basic realm="tghub"'
        assert await waiting_phones(runtime) == []

    async def test_an_admin_with_a_token(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        admin = await create_admin(runtime)

        response = await http.post(
            "/webhook", json={"phone": PHONE}, headers=await bearer_of(http, admin.username)
        )

        assert response.json() == queued(PHONE)

    async def test_a_user_who_is_no_admin_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        user = await create_user(runtime)

        response = await http.post(
            "/webhook", json={"phone": PHONE}, headers=await bearer_of(http, user.username)
        )

        assert (response.status_code, response.json()) == (403, FORBIDDEN)
        assert await waiting_phones(runtime) == []

    async def test_a_wrong_password_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        headers = {"Authorization": basic_header(unique_username(), "wrong")}

        response = await http.post("/webhook", json={"phone": PHONE}, headers=headers)

        assert response.status_code == 401

    async def test_the_secret_in_the_header(
        self, http: httpx.AsyncClient, runtime: Runtime, secret: dict[str, str]
    ) -> None:
        response = await http.post("/webhook", json={"phone": PHONE}, headers=secret)

        assert response.json() == queued(PHONE)
        assert await waiting_phones(runtime) == [PHONE]

    async def test_the_secret_in_the_query(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/webhook", params={"phone": PHONE, "secret": SECRET})

        assert response.json() == queued(PHONE)

    @pytest.mark.parametrize("wrong", ["", "nope", SECRET[:-1], SECRET + "x", SECRET.upper()])
    async def test_a_wrong_secret_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime, wrong: str
    ) -> None:
        by_header = await http.post(
            "/webhook", json={"phone": PHONE}, headers={"X-Webhook-Secret": wrong}
        )
        by_query = await http.get("/webhook", params={"phone": PHONE, "secret": wrong})

        for response in (by_header, by_query):
            assert (response.status_code, response.json()) == (401, {"detail": WRONG_SECRET})
        assert await waiting_phones(runtime) == []

    async def test_a_wrong_secret_is_refused_beside_an_admins_credentials(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        headers = {**admin, "X-Webhook-Secret": "nope"}

        response = await http.post("/webhook", json={"phone": PHONE}, headers=headers)

        assert response.status_code == 401

    async def test_the_header_is_read_before_the_query(self, http: httpx.AsyncClient) -> None:
        response = await http.get(
            "/webhook",
            params={"phone": PHONE, "secret": "nope"},
            headers={"X-Webhook-Secret": SECRET},
        )

        assert response.status_code == 200

    async def test_no_secret_is_taken_when_none_is_configured(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        async with client_with(settings, invite_webhook_secret=None) as client:
            empty = await client.get("/webhook", params={"phone": PHONE, "secret": ""})
            given = await client.get("/webhook", params={"phone": PHONE, "secret": SECRET})

        assert (empty.status_code, given.status_code) == (401, 401)
        assert await waiting_phones(runtime) == []

    async def test_an_empty_configured_secret_matches_nothing(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        async with client_with(settings, invite_webhook_secret=SecretStr("")) as client:
            response = await client.get("/webhook", params={"phone": PHONE, "secret": ""})

        assert response.status_code == 401

    async def test_anyone_when_the_group_is_open(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        user = await create_user(runtime)
        async with client_with(settings, legacy_open=["invites"]) as client:
            anonymous = await client.post("/webhook", json={"phone": PHONE})
            wrong_secret = await client.post(
                "/webhook", json={"phone": OTHER}, headers={"X-Webhook-Secret": "nope"}
            )
            no_admin = await client.post(
                "/webhook", json={"phone": OTHER}, headers=await bearer_of(client, user.username)
            )

        assert (anonymous.status_code, anonymous.json()) == (200, queued(PHONE))
        # A presented credential is still checked: a wrong secret, a non-admin's token.
        assert (wrong_secret.status_code, no_admin.status_code) == (401, 403)
        assert await waiting_phones(runtime) == [PHONE]


class TestRateLimit:
    LIMIT = 3

    @pytest.fixture
    async def limited(self, settings: Settings) -> AsyncIterator[Any]:
        strict = settings.model_copy(update={"invite_webhook_per_minute": self.LIMIT})
        async with running_app(strict) as app:
            yield app

    @contextlib.asynccontextmanager
    async def client_from(self, app: Any, address: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(
            transport=transport, base_url=ORIGIN, timeout=DEADLINE
        ) as client:
            yield client

    async def test_calls_over_the_limit_are_429_with_retry_after(
        self, limited: Any, secret: dict[str, str]
    ) -> None:
        async with self.client_from(limited, "10.0.0.1") as client:
            statuses = [
                (await client.get("/webhook", headers=secret)).status_code
                for _ in range(self.LIMIT)
            ]
            over = await client.post("/webhook", json={"phone": PHONE}, headers=secret)

        assert statuses == [200] * self.LIMIT
        assert (over.status_code, over.json()) == (429, {"detail": TOO_MANY_CALLS})
        assert 1 <= int(over.headers["Retry-After"]) <= 61

    async def test_refused_calls_count_too(self, limited: Any) -> None:
        async with self.client_from(limited, "10.0.0.2") as client:
            guesses = [
                (await client.get("/webhook", params={"secret": "guess"})).status_code
                for _ in range(self.LIMIT + 1)
            ]

        assert guesses == [401] * self.LIMIT + [429]

    async def test_each_address_has_its_own_budget(
        self, limited: Any, secret: dict[str, str]
    ) -> None:
        async with self.client_from(limited, "10.0.0.3") as first:
            for _ in range(self.LIMIT + 1):
                await first.get("/webhook", headers=secret)
        async with self.client_from(limited, "10.0.0.4") as second:
            response = await second.get("/webhook", headers=secret)

        assert response.status_code == 200


class TestTheSecretStaysSecret:
    @pytest.mark.parametrize(
        ("target", "shown"),
        [
            (
                "/webhook?phone=%2B79991234567&secret=abc",
                "/webhook?phone=%2B79991234567&secret=***",
            ),
            ("/webhook?secret=abc", "/webhook?secret=***"),
            ("/webhook?s%65cret=abc&secret=def", "/webhook?s%65cret=***&secret=***"),
            ("/webhook?phone=1", "/webhook?phone=1"),
            ("/webhook", "/webhook"),
        ],
    )
    def test_the_access_log_target_is_masked(self, target: str, shown: str) -> None:
        assert without_secret(target) == shown

    async def test_the_apps_access_log_masks_it(
        self, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        # uvicorn writes each request to this logger, in this form.
        access = logging.getLogger("uvicorn.access")
        target = f"/webhook?phone=1&secret={SECRET}"

        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", target, "1.1", 200)

        assert SECRET not in caplog.text
        assert "secret=***" in caplog.text

    async def test_answers_never_repeat_it(
        self, http: httpx.AsyncClient, secret: dict[str, str]
    ) -> None:
        answers = [
            await http.post("/webhook", json={"phone": PHONE}, headers=secret),
            await http.post("/webhook", json={"phone": "bad"}, headers=secret),
            await http.get("/webhook", params={"secret": SECRET + "x"}),
        ]

        assert all(SECRET not in json.dumps(dict(a.headers)) + a.text for a in answers)
