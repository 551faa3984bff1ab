"""The original mailing service's published Postman collection, replayed against a fresh tghub:
every request, in the collection's order, byte for byte, answered as the original answered.

``data/messaging_service.postman_collection.json`` is the file ``postman_collection.json`` of
github.com/agapoov/messaging_service (commit 0c9fdc39), unchanged. Its client and mailing
requests send ``Authorization: Bearer {{access_token}}``, a variable the collection sets to
the placeholder ``your_access_token_here``. So the collection is run the three ways a client
of the original ran it:

- ``published``: the variables as shipped. The original's JWT authentication refused the
  placeholder: every client and mailing request is 401 ``token_not_valid``, in tghub too,
  however the group is set (a presented token is always checked).
- ``signed_in``: ``access_token`` set from the token request's answer, as the collection's
  user does by hand. The original answered everything; tghub does too, the group open or not.
- ``anonymous``: without the ``Authorization`` header, which the original (no permission
  classes) let in. tghub answers alike once ``mailing`` is in ``TGHUB_LEGACY_OPEN``, and 401
  while it is closed.

A fresh tghub: the tables are empty (as before every test) and their id sequences restart,
so the collection's ``/clients/1/`` and ``/mailing/1/`` name what it made.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
from sqlalchemy import text

from tests.conftest import app_client

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

COLLECTION = Path(__file__).parent / "data" / "messaging_service.postman_collection.json"
VARIABLE = re.compile(r"\{\{(\w+)\}\}")

Credentials = Literal["published", "signed_in", "anonymous"]


@dataclass(frozen=True)
class Call:
    """One request of the collection, its ``{{variables}}`` still in place."""

    name: str
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


def collection() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(COLLECTION.read_text(encoding="utf-8"))
    return loaded


def calls(items: list[dict[str, Any]]) -> list[Call]:
    """The requests of ``items`` in the order Postman's runner sends them (folders in order,
    depth first)."""
    found: list[Call] = []
    for item in items:
        if "item" in item:
            found += calls(item["item"])
            continue
        request = item["request"]
        body = request.get("body", {}).get("raw")
        found.append(
            Call(
                name=item["name"],
                method=request["method"],
                url=request["url"],
                headers={header["key"]: header["value"] for header in request["header"]},
                body=None if body is None else body.encode(),
            )
        )
    return found


def resolved(template: str, variables: dict[str, str]) -> str:
    """Postman's substitution: a variable it does not know stays as written."""
    return VARIABLE.sub(lambda match: variables.get(match[1], match[0]), template)


async def replay(
    client: httpx.AsyncClient, credentials: Credentials
) -> list[tuple[str, httpx.Response]]:
    """Every request of the collection, in order; each name with its answer."""
    shipped = collection()
    variables = {variable["key"]: variable["value"] for variable in shipped["variable"]}
    variables["base_url"] = str(client.base_url).rstrip("/")
    answers = []
    for call in calls(shipped["item"]):
        headers = {key: resolved(value, variables) for key, value in call.headers.items()}
        if credentials == "anonymous":
            headers.pop("Authorization", None)
        response = await client.request(
            call.method, resolved(call.url, variables), headers=headers, content=call.body
        )
        answers.append((call.name, response))
        if credentials == "signed_in" and call.name == "Получить токены":
            variables["access_token"] = response.json()["access"]
    return answers


# --- what the original answered ---------------------------------------------------------------

# The original's client had ``phone_number`` and ``tag``; tghub's adds the rest.
CLIENT = {"phone_number": "79991234567", "tag": "vip"} | {
    "id": 1,
    "operator_code": "999",
    "timezone": "UTC",
}
MAILING = {
    "id": 1,
    "start_time": "2024-03-20T12:00:00Z",
    "end_time": "2024-03-21T12:00:00Z",
    "message_text": "Тестовое сообщение",
    "filter_params": {"tag": "vip", "operator_code": "999"},
    # ours: its deliveries by status (none: no dispatcher runs in these tests)
    "stats": {"total": 0, "pending": 0, "sent": 0, "failed": 0, "expired": 0},
}
TOKEN_NOT_VALID = {"detail": "Token is invalid or expired", "code": "token_not_valid"}
# The account requests answer alike whatever the credentials (none of them sends any). The
# refresh sends the collection's placeholder, which simplejwt refused as tghub does.
ACCOUNT = [
    ("Регистрация", 201, {"username": "testuser"}),
    ("Получить токены", 200, {"access", "refresh"}),
    ("Обновить токен", 401, TOKEN_NOT_VALID),
]
SERVED = [
    *ACCOUNT,
    ("Получить список клиентов", 200, []),
    ("Создать клиента", 201, CLIENT),
    ("Получить клиента по ID", 200, CLIENT),
    ("Обновить клиента", 200, CLIENT | {"tag": "premium"}),
    ("Удалить клиента", 204, None),
    ("Создать рассылку", 201, MAILING),
    ("Получить список рассылок", 200, [MAILING]),
    ("Получить рассылку по ID", 200, MAILING),
]
# The names of the requests that send the access token.
WITH_TOKEN = [name for name, _, _ in SERVED[len(ACCOUNT) :]]


def refused(status: int, body: dict[str, str]) -> list[tuple[str, int, object]]:
    return [*ACCOUNT, *((name, status, body) for name in WITH_TOKEN)]


def answered(answers: list[tuple[str, httpx.Response]]) -> list[tuple[str, int, object]]:
    """Each answer as the tables above state it: the token pair by its keys, a refused token
    by its ``code`` (simplejwt's wording of a token valid for no type differed), no body as
    None."""
    seen: list[tuple[str, int, object]] = []
    for name, response in answers:
        body: object = response.json() if response.content else None
        if name == "Получить токены" and isinstance(body, dict):
            body = set(body)
        elif response.status_code == 401 and isinstance(body, dict) and "code" in body:
            body = TOKEN_NOT_VALID if body["code"] == "token_not_valid" else body
        seen.append((name, response.status_code, body))
    return seen


NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}

CASES = [
    pytest.param("published", True, refused(401, TOKEN_NOT_VALID), id="published-opened"),
    pytest.param("published", False, refused(401, TOKEN_NOT_VALID), id="published-closed"),
    pytest.param("signed_in", True, SERVED, id="signed_in-opened"),
    pytest.param("signed_in", False, SERVED, id="signed_in-closed"),
    pytest.param("anonymous", True, SERVED, id="anonymous-opened"),
    pytest.param("anonymous", False, refused(401, NOT_AUTHENTICATED), id="anonymous-closed"),
]


@pytest.fixture
async def fresh(runtime: Runtime) -> None:
    """A fresh tghub's ids: the (emptied) tables' sequences start over."""
    async with runtime.uow() as uow:
        for sequence in ("mailing_clients_id_seq", "mailings_id_seq"):
            await uow.session.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
        await uow.commit()


def test_the_collection_is_the_published_one() -> None:
    """Eleven requests in three folders; the client and mailing ones carry the token."""
    found = calls(collection()["item"])

    assert [call.name for call in found] == [name for name, _, _ in SERVED]
    for call in found:
        sends_token = call.headers.get("Authorization") == "Bearer {{access_token}}"
        assert sends_token == (call.name in WITH_TOKEN), call.name


@pytest.mark.parametrize(("credentials", "group_open", "expected"), CASES)
async def test_the_collection_runs_unchanged(
    settings: Settings,
    fresh: None,
    credentials: Credentials,
    group_open: bool,
    expected: list[tuple[str, int, object]],
) -> None:
    groups = ["mailing"] if group_open else []
    async with app_client(settings.model_copy(update={"legacy_open": groups})) as client:
        answers = await replay(client, credentials)

    assert answered(answers) == expected
