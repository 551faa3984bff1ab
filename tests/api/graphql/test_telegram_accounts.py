"""Telegram accounts over GraphQL (admins): add, request a code, sign in, send messages, each
Telegram step a task run by a real burst worker against the simulated world."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from strawberry.relay import GlobalID

from domain.access import System
from domain.telegram import service as telegram
from tests.api.graphql.factories import Tokens, error_codes, login, register_and_login
from tests.api.rest.factories import PASSWORD, create_admin
from tests.conftest import graphql
from tests.world import ACCOUNT_PHONE, API_HASH, load_world, run_jobs, world

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

API_ID = 12345
CODE = "12345"  # the world's login code for the account


class Caller:
    """One caller (an admin, or a plain user) of the API, keeping every response body it got."""

    def __init__(self, http: httpx.AsyncClient, tokens: Tokens) -> None:
        self.http = http
        self.tokens = tokens
        self.bodies: list[dict[str, Any]] = []

    async def call(self, name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await graphql(self.http, name, variables, token=self.tokens.access)
        self.bodies.append(body)
        return body

    async def mutate(self, name: str, field: str, **input: Any) -> dict[str, Any]:
        """The payload of a mutation taking ``input``; a call refused as a whole (no payload)
        is ``{"refused": [codes]}``."""
        body = await self.call(name, {"input": input})
        if body.get("data") is None:
            return {"refused": error_codes(body)}
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"][field]
        return payload

    async def add_account(self, **overrides: Any) -> dict[str, Any]:
        fields = {"phone": ACCOUNT_PHONE, "apiId": API_ID, "apiHash": API_HASH, **overrides}
        return await self.mutate("AddTelegramAccount", "addTelegramAccount", **fields)

    async def added_account(self, **overrides: Any) -> str:
        """A new account's global ID."""
        payload = await self.add_account(**overrides)
        assert payload["__typename"] == "AddTelegramAccountSuccess", payload
        account_id: str = payload["account"]["id"]
        return account_id

    async def request_code(self, account_id: str) -> dict[str, Any]:
        return await self.mutate(
            "RequestTelegramLoginCode", "requestTelegramLoginCode", accountId=account_id
        )

    async def sign_in(
        self, account_id: str, code: str = CODE, password: str | None = None
    ) -> dict[str, Any]:
        return await self.mutate(
            "SignInTelegramAccount",
            "signInTelegramAccount",
            accountId=account_id,
            code=code,
            password=password,
        )

    async def send(
        self, account_id: str, recipients: list[str], text: str = "hello"
    ) -> dict[str, Any]:
        return await self.mutate(
            "SendTelegramMessage",
            "sendTelegramMessage",
            accountId=account_id,
            recipients=recipients,
            text=text,
        )

    async def set_uses(self, account_id: str, uses: list[str]) -> dict[str, Any]:
        return await self.mutate(
            "SetTelegramAccountUses", "setTelegramAccountUses", accountId=account_id, uses=uses
        )

    async def task(self, task_id: str) -> dict[str, Any]:
        body = await self.call("Task", {"id": task_id})
        task: dict[str, Any] = body["data"]["task"]
        return task

    async def accounts(self) -> list[dict[str, Any]]:
        body = await self.call("TelegramAccounts", {"first": 20})
        assert "errors" not in body, body
        nodes: list[dict[str, Any]] = body["data"]["telegramAccounts"]["nodes"]
        return nodes

    async def sandbox_world(self) -> dict[str, Any]:
        """The sandbox's world; not kept in ``bodies``: it holds the simulated sessions."""
        body = await graphql(self.http, "SandboxWorld", token=self.tokens.access)
        assert "errors" not in body, body
        state: dict[str, Any] = body["data"]["sandboxWorld"]
        return state

    async def account(self, account_id: str) -> dict[str, Any]:
        return next(a for a in await self.accounts() if a["id"] == account_id)

    async def code_sent(self, runtime: Runtime, **overrides: Any) -> str:
        """An account added and sent a login code (the task ran)."""
        account_id = await self.added_account(**overrides)
        queued = await self.request_code(account_id)
        await run_jobs(runtime)
        assert (await self.task(queued["task"]["taskId"]))["status"] == "SUCCEEDED"
        return account_id

    async def signed_in(self, runtime: Runtime) -> str:
        """An account added, sent a code and signed in (the tasks ran)."""
        account_id = await self.code_sent(runtime)
        queued = await self.sign_in(account_id)
        await run_jobs(runtime)
        assert (await self.task(queued["task"]["taskId"]))["status"] == "SUCCEEDED"
        return account_id


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    await load_world(runtime)
    user = await create_admin(runtime)
    return Caller(http, await login(http, user.username, PASSWORD))


@pytest.fixture
async def user(http: httpx.AsyncClient) -> Caller:
    """A plain (non-admin) user, driving the same operations."""
    return Caller(http, await register_and_login(http, "ivan"))


def field_errors(payload: dict[str, Any]) -> dict[str, list[str]]:
    assert payload["__typename"] == "ValidationError", payload
    assert payload["code"] == "invalid"
    return {error["field"]: error["messages"] for error in payload["fields"]}


def task_queued(payload: dict[str, Any], kind: str) -> str:
    assert payload["__typename"].endswith("Success"), payload
    task = payload["task"]
    assert (task["kind"], task["status"], task["attempts"]) == (kind, "QUEUED", 0)
    task_id: str = task["taskId"]
    return task_id


async def sandbox_state(runtime: Runtime) -> dict[str, Any]:
    assert runtime.sandbox is not None
    return await runtime.sandbox.world()


async def sessions(runtime: Runtime) -> list[str]:
    """The simulated Telegram's sessions, signed in or waiting for a code (secrets)."""
    state = await sandbox_state(runtime)
    found: list[str] = []
    for account in state["accounts"]:
        found += [*account["sessions"], account.get("pending_session")]
    return [session for session in found if session]


async def assert_no_secrets(runtime: Runtime, caller: Caller) -> None:
    """No response the caller got shows the api_hash or a Telegram session."""
    everything = json.dumps(caller.bodies)
    assert API_HASH not in everything
    assert all(session not in everything for session in await sessions(runtime))


def other_type_id() -> str:
    return str(GlobalID("User", str(uuid.uuid4())))


def unknown_account_id() -> str:
    return str(GlobalID("TelegramAccount", str(uuid.uuid4())))


# Ids an account input may get wrong, with the payload error each one is.
BAD_ACCOUNT_IDS = [
    pytest.param(unknown_account_id(), "NotFoundError", id="unknown"),
    pytest.param(other_type_id(), "ValidationError", id="other_type"),
    pytest.param(
        str(GlobalID("TelegramAccount", "not-a-uuid")), "ValidationError", id="not_a_uuid"
    ),
    pytest.param(str(uuid.uuid4()), "ValidationError", id="a_raw_uuid"),
]


class TestFullFlow:
    async def test_add_sign_in_and_send_a_message(self, runtime: Runtime, admin: Caller) -> None:
        added = await admin.add_account()
        assert added["__typename"] == "AddTelegramAccountSuccess", added
        account = added["account"]
        assert {k: account[k] for k in ("phone", "apiId", "status", "telegramId")} == {
            "phone": ACCOUNT_PHONE,
            "apiId": API_ID,
            "status": "NEW",
            "telegramId": None,
        }
        account_id = account["id"]

        code_task = task_queued(await admin.request_code(account_id), "telegram.send_login_code")
        await run_jobs(runtime)
        assert (await admin.task(code_task))["status"] == "SUCCEEDED"
        assert (await admin.account(account_id))["status"] == "CODE_SENT"

        sign_in_task = task_queued(await admin.sign_in(account_id), "telegram.sign_in")
        await run_jobs(runtime)
        assert (await admin.task(sign_in_task))["status"] == "SUCCEEDED"
        active = await admin.account(account_id)
        assert (active["status"], active["telegramId"], active["lastError"]) == (
            "ACTIVE",
            "9001",
            None,
        )
        assert active["signedInAt"] is not None

        send_task = task_queued(
            await admin.send(account_id, ["ivan_test", "1002"], "Привет!"),
            "telegram.send_messages",
        )
        await run_jobs(runtime)
        sent = await admin.task(send_task)
        assert (sent["status"], sent["error"]) == ("SUCCEEDED", None)
        assert set(sent["result"]["sent"]) == {"ivan_test", "1002"}
        assert sent["result"]["failed"] == {}

        outbox = (await admin.sandbox_world())["outbox"]
        messages = [
            (e["account"], e["user_id"], e["text"]) for e in outbox if e["type"] == "message"
        ]
        assert messages == [(ACCOUNT_PHONE, 1001, "Привет!"), (ACCOUNT_PHONE, 1002, "Привет!")]

        assert await sessions(runtime)
        await assert_no_secrets(runtime, admin)

    async def test_a_recipient_telegram_does_not_know_is_reported_as_failed(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        account_id = await admin.signed_in(runtime)

        task_id = task_queued(
            await admin.send(account_id, ["ivan_test", "nobody_here"]), "telegram.send_messages"
        )
        await run_jobs(runtime)

        done = await admin.task(task_id)
        assert done["status"] == "SUCCEEDED"
        assert list(done["result"]["sent"]) == ["ivan_test"]
        assert list(done["result"]["failed"]) == ["nobody_here"]
        assert "nobody_here" in done["result"]["failed"]["nobody_here"]


class TestAddTelegramAccount:
    async def test_normalises_the_phone(self, admin: Caller) -> None:
        payload = await admin.add_account(phone="+7 (999) 000-01-00")

        assert payload["account"]["phone"] == ACCOUNT_PHONE

    async def test_never_returns_the_api_hash(self, admin: Caller) -> None:
        await admin.added_account()
        await admin.accounts()

        assert API_HASH not in json.dumps(admin.bodies)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            pytest.param({"phone": "12"}, "phone", id="short_phone"),
            pytest.param({"phone": "+7999abc0001"}, "phone", id="letters_in_phone"),
            pytest.param({"phone": "+7999000\x000100"}, "phone", id="nul_in_phone"),
            pytest.param({"apiId": 0}, "apiId", id="api_id_zero"),
            pytest.param({"apiId": -5}, "apiId", id="api_id_negative"),
            pytest.param({"apiHash": "0123456789abcdef"}, "apiHash", id="api_hash_short"),
            pytest.param({"apiHash": "z" * 32}, "apiHash", id="api_hash_not_hex"),
            pytest.param({"apiHash": API_HASH[:-1] + "\x00"}, "apiHash", id="api_hash_nul"),
        ],
    )
    async def test_rejects_invalid_input(
        self, admin: Caller, fields: dict[str, Any], field: str
    ) -> None:
        payload = await admin.add_account(**fields)

        assert list(field_errors(payload)) == [field]
        assert await admin.accounts() == []

    async def test_reports_api_id_and_api_hash_together(self, admin: Caller) -> None:
        payload = await admin.add_account(apiId=0, apiHash="nope")

        assert set(field_errors(payload)) == {"apiId", "apiHash"}

    @pytest.mark.parametrize(
        "phone", [ACCOUNT_PHONE, "7 999 000 01 00"], ids=["same", "reformatted"]
    )
    async def test_a_phone_taken_already_is_a_conflict(self, admin: Caller, phone: str) -> None:
        await admin.added_account()

        payload = await admin.add_account(phone=phone)

        assert payload["__typename"] == "ConflictError"
        assert payload["code"] == "conflict"
        assert len(await admin.accounts()) == 1

    async def test_a_plain_user_is_denied(self, admin: Caller, user: Caller) -> None:
        payload = await user.add_account()

        assert payload == {"refused": ["FORBIDDEN"]}
        assert await admin.accounts() == []

    async def test_anonymous_is_unauthenticated(self, http: httpx.AsyncClient) -> None:
        body = await graphql(
            http,
            "AddTelegramAccount",
            {"input": {"phone": ACCOUNT_PHONE, "apiId": API_ID, "apiHash": API_HASH}},
        )

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]


class TestRequestTelegramLoginCode:
    async def test_queues_a_task_that_sends_the_code(self, runtime: Runtime, admin: Caller) -> None:
        account_id = await admin.added_account()

        task_id = task_queued(await admin.request_code(account_id), "telegram.send_login_code")
        assert (await admin.account(account_id))["status"] == "NEW"  # not before the task runs
        await run_jobs(runtime)

        done = await admin.task(task_id)
        assert (done["status"], done["result"]) == (
            "SUCCEEDED",
            {"account_id": str(GlobalID.from_id(account_id).node_id), "status": "code_sent"},
        )
        assert (await admin.account(account_id))["status"] == "CODE_SENT"
        outbox = (await admin.sandbox_world())["outbox"]
        assert [e["phone"] for e in outbox if e["type"] == "login_code"] == [ACCOUNT_PHONE]

    async def test_a_phone_telegram_does_not_know_fails_the_task(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        account_id = await admin.added_account(phone="+79990000999")

        task_id = task_queued(await admin.request_code(account_id), "telegram.send_login_code")
        await run_jobs(runtime)

        failed = await admin.task(task_id)
        assert failed["status"] == "FAILED"
        assert "phone" in failed["error"]
        assert (await admin.account(account_id))["status"] == "NEW"
        await assert_no_secrets(runtime, admin)

    @pytest.mark.parametrize(
        ("account_id", "error"),
        BAD_ACCOUNT_IDS,
    )
    async def test_an_unknown_or_malformed_account(
        self, admin: Caller, account_id: str, error: str
    ) -> None:
        payload = await admin.request_code(account_id)

        assert payload["__typename"] == error

    async def test_a_plain_user_is_denied(self, admin: Caller, user: Caller) -> None:
        account_id = await admin.added_account()

        payload = await user.request_code(account_id)

        assert payload == {"refused": ["FORBIDDEN"]}

    async def test_anonymous_is_unauthenticated(self, http: httpx.AsyncClient) -> None:
        body = await graphql(
            http, "RequestTelegramLoginCode", {"input": {"accountId": unknown_account_id()}}
        )

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]


class TestSignInTelegramAccount:
    async def test_a_wrong_code_fails_the_task_and_the_account_waits_for_another(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        account_id = await admin.code_sent(runtime)

        task_id = task_queued(await admin.sign_in(account_id, code="54321"), "telegram.sign_in")
        await run_jobs(runtime)

        failed = await admin.task(task_id)
        assert failed["status"] == "FAILED"
        assert "code is wrong" in failed["error"]
        assert (await admin.account(account_id))["status"] == "CODE_SENT"

        # The right code still works afterwards.
        retried = task_queued(await admin.sign_in(account_id), "telegram.sign_in")
        await run_jobs(runtime)
        assert (await admin.task(retried))["status"] == "SUCCEEDED"
        assert (await admin.account(account_id))["status"] == "ACTIVE"
        await assert_no_secrets(runtime, admin)

    async def test_two_step_verification_needs_the_password(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        await load_world(runtime, world(password="pw"))
        account_id = await admin.code_sent(runtime)

        without = task_queued(await admin.sign_in(account_id), "telegram.sign_in")
        await run_jobs(runtime)

        failed = await admin.task(without)
        assert failed["status"] == "FAILED"
        assert "password" in failed["error"]
        assert (await admin.account(account_id))["status"] == "CODE_SENT"

        with_password = task_queued(
            await admin.sign_in(account_id, password="pw"), "telegram.sign_in"
        )
        await run_jobs(runtime)
        assert (await admin.task(with_password))["status"] == "SUCCEEDED"
        assert (await admin.account(account_id))["status"] == "ACTIVE"
        await assert_no_secrets(runtime, admin)

    async def test_a_wrong_password_fails_the_task(self, runtime: Runtime, admin: Caller) -> None:
        await load_world(runtime, world(password="pw"))
        account_id = await admin.code_sent(runtime)

        task_id = task_queued(await admin.sign_in(account_id, password="nope"), "telegram.sign_in")
        await run_jobs(runtime)

        failed = await admin.task(task_id)
        assert failed["status"] == "FAILED"
        assert "password is wrong" in failed["error"]
        assert (await admin.account(account_id))["status"] == "CODE_SENT"
        await assert_no_secrets(runtime, admin)

    async def test_the_code_and_password_never_come_back(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        await load_world(runtime, world(password="secret-2fa-password"))
        account_id = await admin.code_sent(runtime)

        await admin.sign_in(account_id, password="secret-2fa-password")
        await run_jobs(runtime)
        await admin.accounts()

        assert "secret-2fa-password" not in json.dumps(admin.bodies)

    @pytest.mark.parametrize(
        ("code", "password", "field"),
        [
            pytest.param("abcde", None, "code", id="letters"),
            pytest.param("123", None, "code", id="too_short"),
            pytest.param("123456789", None, "code", id="too_long"),
            pytest.param("1234\x00", None, "code", id="nul_in_code"),
            pytest.param(CODE, "p\x00w", "password", id="nul_in_password"),
        ],
    )
    async def test_rejects_invalid_input(
        self, runtime: Runtime, admin: Caller, code: str, password: str | None, field: str
    ) -> None:
        account_id = await admin.code_sent(runtime)

        payload = await admin.sign_in(account_id, code=code, password=password)

        assert list(field_errors(payload)) == [field]

    async def test_before_a_code_was_requested_is_a_conflict(self, admin: Caller) -> None:
        account_id = await admin.added_account()

        payload = await admin.sign_in(account_id)

        assert payload["__typename"] == "ConflictError"
        assert payload["code"] == "conflict"

    async def test_an_account_signed_in_already_is_a_conflict(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        account_id = await admin.signed_in(runtime)

        payload = await admin.sign_in(account_id)

        assert payload["__typename"] == "ConflictError"

    @pytest.mark.parametrize(
        ("account_id", "error"),
        BAD_ACCOUNT_IDS,
    )
    async def test_an_unknown_or_malformed_account(
        self, admin: Caller, account_id: str, error: str
    ) -> None:
        payload = await admin.sign_in(account_id)

        assert payload["__typename"] == error

    async def test_a_plain_user_is_denied(
        self, runtime: Runtime, admin: Caller, user: Caller
    ) -> None:
        account_id = await admin.code_sent(runtime)

        payload = await user.sign_in(account_id)

        assert payload == {"refused": ["FORBIDDEN"]}
        assert (await admin.account(account_id))["status"] == "CODE_SENT"

    async def test_anonymous_is_unauthenticated(self, http: httpx.AsyncClient) -> None:
        body = await graphql(
            http,
            "SignInTelegramAccount",
            {"input": {"accountId": unknown_account_id(), "code": CODE}},
        )

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]


class TestSendTelegramMessage:
    @pytest.mark.parametrize(
        ("recipients", "text", "field"),
        [
            pytest.param(["ivan_test"], "", "text", id="empty_text"),
            pytest.param(["ivan_test"], "   ", "text", id="blank_text"),
            pytest.param(["ivan_test"], "x" * 4097, "text", id="text_too_long"),
            pytest.param(["ivan_test"], "a\x00b", "text", id="nul_in_text"),
            pytest.param([], "hello", "recipients", id="no_recipients"),
            pytest.param([f"user{i:04d}" for i in range(101)], "hello", "recipients", id="101"),
            pytest.param(["ivan test"], "hello", "recipients", id="space"),
            pytest.param(["@iv"], "hello", "recipients", id="short_username"),
            pytest.param(["ivan_test", "t.me/ivan"], "hello", "recipients", id="link"),
            pytest.param(["\x00"], "hello", "recipients", id="nul_recipient"),
        ],
    )
    async def test_rejects_invalid_input(
        self, runtime: Runtime, admin: Caller, recipients: list[str], text: str, field: str
    ) -> None:
        account_id = await admin.signed_in(runtime)

        payload = await admin.send(account_id, recipients, text)

        assert list(field_errors(payload)) == [field]

    async def test_accepts_the_limits(self, runtime: Runtime, admin: Caller) -> None:
        account_id = await admin.signed_in(runtime)
        recipients = [f"user{i:04d}" for i in range(100)]

        payload = await admin.send(account_id, recipients, "x" * 4096)

        task_queued(payload, "telegram.send_messages")

    async def test_from_an_account_not_signed_in_is_a_conflict(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        account_id = await admin.code_sent(runtime)

        payload = await admin.send(account_id, ["ivan_test"])

        assert payload["__typename"] == "ConflictError"
        assert payload["code"] == "conflict"

    @pytest.mark.parametrize(
        ("account_id", "error"),
        BAD_ACCOUNT_IDS,
    )
    async def test_an_unknown_or_malformed_account(
        self, admin: Caller, account_id: str, error: str
    ) -> None:
        payload = await admin.send(account_id, ["ivan_test"])

        assert payload["__typename"] == error

    async def test_a_plain_user_is_denied(
        self, runtime: Runtime, admin: Caller, user: Caller
    ) -> None:
        account_id = await admin.signed_in(runtime)

        payload = await user.send(account_id, ["ivan_test"])
        await run_jobs(runtime)

        assert payload == {"refused": ["FORBIDDEN"]}
        outbox = (await admin.sandbox_world())["outbox"]
        assert [e for e in outbox if e["type"] == "message"] == []

    async def test_anonymous_is_unauthenticated(self, http: httpx.AsyncClient) -> None:
        body = await graphql(
            http,
            "SendTelegramMessage",
            {"input": {"accountId": unknown_account_id(), "recipients": ["x"], "text": "hi"}},
        )

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]


ALL_USES = ["TRACKING", "MAILINGS", "INVITES"]


class TestAccountUses:
    async def test_a_new_account_serves_every_use(self, admin: Caller) -> None:
        payload = await admin.add_account()

        assert payload["account"]["uses"] == ALL_USES

    async def test_added_with_some_uses(self, admin: Caller) -> None:
        payload = await admin.add_account(uses=["INVITES", "TRACKING", "INVITES"])

        assert payload["account"]["uses"] == ["TRACKING", "INVITES"]

    async def test_set_replaces_the_uses(self, admin: Caller) -> None:
        account_id = await admin.added_account()

        payload = await admin.set_uses(account_id, ["MAILINGS"])

        assert payload["__typename"] == "SetTelegramAccountUsesSuccess", payload
        assert payload["account"]["uses"] == ["MAILINGS"]
        assert (await admin.account(account_id))["uses"] == ["MAILINGS"]

    async def test_an_empty_set_keeps_the_account_serving_nothing(self, admin: Caller) -> None:
        account_id = await admin.added_account()

        payload = await admin.set_uses(account_id, [])

        assert payload["account"]["uses"] == []
        assert (await admin.account(account_id))["uses"] == []

    async def test_an_unknown_use_is_refused_by_the_schema(self, admin: Caller) -> None:
        account_id = await admin.added_account()

        payload = await admin.set_uses(account_id, ["SPAM"])

        # A variable outside the enum fails coercion: the call is refused as a whole.
        assert set(payload) == {"refused"}
        assert "TelegramAccountUse" in json.dumps(admin.bodies[-1]["errors"])
        assert (await admin.account(account_id))["uses"] == ALL_USES

    @pytest.mark.parametrize(
        ("account_id", "error"),
        BAD_ACCOUNT_IDS,
    )
    async def test_an_unknown_or_malformed_account(
        self, admin: Caller, account_id: str, error: str
    ) -> None:
        payload = await admin.set_uses(account_id, ["MAILINGS"])

        assert payload["__typename"] == error

    async def test_a_plain_user_is_denied(self, admin: Caller, user: Caller) -> None:
        account_id = await admin.added_account()

        payload = await user.set_uses(account_id, ["MAILINGS"])

        assert payload == {"refused": ["FORBIDDEN"]}
        assert (await admin.account(account_id))["uses"] == ALL_USES

    async def test_anonymous_is_unauthenticated(self, http: httpx.AsyncClient) -> None:
        body = await graphql(
            http,
            "SetTelegramAccountUses",
            {"input": {"accountId": unknown_account_id(), "uses": ["MAILINGS"]}},
        )

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]


class TestTelegramAccounts:
    async def test_lists_accounts_by_phone_page_by_page(self, admin: Caller) -> None:
        for phone in ["+79990000300", "+79990000100", "+79990000200"]:
            await admin.added_account(phone=phone)

        first = await admin.call("TelegramAccounts", {"first": 2})
        page = first["data"]["telegramAccounts"]
        second = await admin.call(
            "TelegramAccounts", {"first": 2, "after": page["pageInfo"]["endCursor"]}
        )
        rest = second["data"]["telegramAccounts"]

        assert page["totalCount"] == 3
        assert [a["phone"] for a in page["nodes"]] == ["+79990000100", "+79990000200"]
        assert page["pageInfo"]["hasNextPage"] is True
        assert [a["phone"] for a in rest["nodes"]] == ["+79990000300"]
        assert rest["pageInfo"]["hasNextPage"] is False

    async def test_a_plain_user_is_forbidden(self, user: Caller) -> None:
        body = await user.call("TelegramAccounts", {"first": 20})

        assert body["data"] is None
        assert error_codes(body) == ["FORBIDDEN"]

    async def test_anonymous_is_unauthenticated(self, http: httpx.AsyncClient) -> None:
        body = await graphql(http, "TelegramAccounts", {"first": 20})

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]

    async def test_shows_a_pause_telegram_asked_for(self, runtime: Runtime, admin: Caller) -> None:
        account_id = await admin.added_account()
        until = datetime(2031, 1, 1, tzinfo=UTC)
        async with runtime.uow() as uow:
            await telegram.pause_account(
                uow,
                actor=System("tests"),
                account_id=uuid.UUID(GlobalID.from_id(account_id).node_id),
                until=until,
                reason="Telegram limits this account for spam (PEER_FLOOD).",
            )

        shown = await admin.account(account_id)

        assert shown["pausedUntil"] == until.isoformat()
        assert shown["pauseReason"] == "Telegram limits this account for spam (PEER_FLOOD)."
        assert (await admin.accounts())[0]["pausedUntil"] == until.isoformat()
