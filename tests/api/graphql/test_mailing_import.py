"""``importClients`` over GraphQL: a CSV file sent by the multipart request spec, the report
of rows imported and skipped, refusals of the file, of the caller and of the owner named."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select
from strawberry.relay import GlobalID

from domain.mailing.model import Client
from tests.api.graphql.factories import error_codes, login
from tests.api.graphql.test_messenger_support import Person, multipart
from tests.api.rest.factories import PASSWORD, create_admin
from tests.conftest import graphql, operation

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

PHONE = 'The phone number must be in the format: "7XXXXXXXXXX" '
# The request body limit of the whole app (resolvers/app.py): it comes before any resolver.
BODY_LIMIT = 10 * 1024 * 1024


async def send(
    http: httpx.AsyncClient,
    content: bytes | str,
    *,
    token: str | None,
    owner_id: str | None = None,
) -> dict[str, Any]:
    data = content.encode() if isinstance(content, str) else content
    variables = {"input": {"file": None, "ownerId": owner_id}}
    files = {"variables.input.file": ("clients.csv", data, "text/csv")}
    return await multipart(http, "ImportClients", variables, files, token=token)


def payload_of(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["importClients"]
    return payload


def fields_of(payload: dict[str, Any]) -> dict[str, list[str]]:
    assert payload["__typename"] == "ValidationError", payload
    return {f["field"]: f["messages"] for f in payload["fields"]}


async def phones_of(runtime: Runtime, user_id: str) -> list[str]:
    async with runtime.uow() as uow:
        found = await uow.session.scalars(
            select(Client.phone_number).where(Client.owner_id == uuid.UUID(user_id))
        )
        return sorted(found)


async def every_phone(runtime: Runtime) -> list[str]:
    async with runtime.uow() as uow:
        return sorted(await uow.session.scalars(select(Client.phone_number)))


@pytest.fixture
async def boss(runtime: Runtime, http: httpx.AsyncClient) -> str:
    """An admin's access token."""
    user = await create_admin(runtime)
    return (await login(http, user.username, PASSWORD)).access


class TestReport:
    async def test_every_row_imported(
        self, http: httpx.AsyncClient, runtime: Runtime, ivan: Person
    ) -> None:
        content = "phone_number,tag,timezone\r\n79123456789,vip,Europe/Moscow\r\n79001112233,,\r\n"

        payload = payload_of(await send(http, content, token=ivan.token))

        assert payload == {
            "__typename": "ImportClientsSuccess",
            "rows": 2,
            "imported": 2,
            "skipped": 0,
            "problems": [],
            "unlistedProblems": 0,
        }
        assert await phones_of(runtime, ivan.raw_id) == ["79001112233", "79123456789"]

    async def test_bad_rows_are_reported_by_line_and_the_rest_imported(
        self, http: httpx.AsyncClient, runtime: Runtime, ivan: Person
    ) -> None:
        await send(http, "phone_number\n79000000003\n", token=ivan.token)
        content = (
            "\ufeffphone_number;tag\n79000000001;a\n89000000002;b\n79000000001;c\n"
            '79000000003;d\n79000000004;"two\nlines"\n'
        )

        payload = payload_of(await send(http, content, token=ivan.token))

        assert payload["__typename"] == "ImportClientsSuccess"
        assert (payload["rows"], payload["imported"], payload["skipped"]) == (5, 2, 3)
        assert payload["problems"] == [
            {"line": 3, "field": "phone_number", "message": PHONE},
            {"line": 4, "field": "phone_number", "message": "Duplicate of line 2."},
            {
                "line": 5,
                "field": "phone_number",
                "message": "client with this phone number already exists.",
            },
        ]
        assert await phones_of(runtime, ivan.raw_id) == [
            "79000000001",
            "79000000003",
            "79000000004",
        ]


class TestFileRefusals:
    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"phone_number\n7900000000\xff\n",
             'The file is not UTF-8 text (line 2, byte 24): save it as CSV in UTF-8 (in Excel: '
             '"CSV UTF-8").'),
            (b"", "The submitted file is empty."),
            (b"name,tag\nIvan,vip\n",
             'The header (line 1) has no "phone_number" column (the columns are "phone_number", '
             'and optionally "tag" and "timezone").'),
        ],
        ids=["not utf-8", "empty", "no phone column"],
    )  # fmt: skip
    async def test_a_file_wrong_as_a_whole_is_a_validation_error_on_file(
        self,
        http: httpx.AsyncClient,
        runtime: Runtime,
        ivan: Person,
        content: bytes,
        message: str,
    ) -> None:
        payload = payload_of(await send(http, content, token=ivan.token))
        assert fields_of(payload) == {"file": [message]}
        assert (payload["message"], payload["code"]) == (message, "invalid")
        assert await every_phone(runtime) == []

    async def test_a_body_over_the_limit_is_refused_before_it_is_read(
        self, http: httpx.AsyncClient, runtime: Runtime, ivan: Person
    ) -> None:
        rows = b"79000000001\n" * (BODY_LIMIT // 12 + 1)
        operations = {
            "query": operation("ImportClients"),
            "variables": {"input": {"file": None}},
            "operationName": "ImportClients",
        }
        response = await http.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": '{"0": ["variables.input.file"]}'},
            files=[("0", ("clients.csv", b"phone_number\n" + rows, "text/csv"))],
            headers={"Authorization": f"Bearer {ivan.token}"},
        )
        assert response.status_code == 413
        assert response.json() == {"detail": "Request body is larger than 10 MB."}
        assert await every_phone(runtime) == []

    async def test_a_file_variable_sent_as_json_is_no_file(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        body = await graphql(
            http,
            "ImportClients",
            {"input": {"file": "phone_number\n79000000001\n"}},
            token=ivan.token,
        )
        assert fields_of(payload_of(body)) == {"file": ["No file was submitted."]}


class TestWho:
    async def test_anonymous_callers_are_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        body = await send(http, "phone_number\n79000000001\n", token=None)
        assert error_codes(body) == ["UNAUTHENTICATED"]
        assert body["data"] is None
        assert await every_phone(runtime) == []

    async def test_a_user_may_name_only_themself(
        self, http: httpx.AsyncClient, runtime: Runtime, ivan: Person, olga: Person
    ) -> None:
        content = "phone_number\n79000000001\n"
        mine = payload_of(await send(http, content, token=ivan.token, owner_id=ivan.id))
        assert mine["imported"] == 1

        payload = payload_of(await send(http, content, token=olga.token, owner_id=ivan.id))

        assert payload == {
            "__typename": "PermissionDeniedError",
            "message": "Only admins may create for another user.",
            "code": "permission_denied",
        }
        assert await phones_of(runtime, olga.raw_id) == []

    async def test_an_admin_imports_into_anyones_workspace(
        self, http: httpx.AsyncClient, runtime: Runtime, ivan: Person, boss: str
    ) -> None:
        payload = payload_of(
            await send(http, "phone_number\n79000000001\n", token=boss, owner_id=ivan.id)
        )
        assert payload["imported"] == 1
        assert await phones_of(runtime, ivan.raw_id) == ["79000000001"]

    async def test_an_owner_id_naming_no_user_is_not_found(
        self, http: httpx.AsyncClient, runtime: Runtime, boss: str
    ) -> None:
        nobody = str(GlobalID("User", str(uuid.uuid4())))
        body = await send(http, "phone_number\n79000000001\n", token=boss, owner_id=nobody)
        payload = payload_of(body)
        assert (payload["__typename"], payload["message"]) == (
            "NotFoundError",
            "No User matches the given query.",
        )
        assert await every_phone(runtime) == []

    @pytest.mark.parametrize(
        ("owner_id", "message"),
        [
            (str(uuid.uuid4()), "Not a User id."),
            (str(GlobalID("Chat", str(uuid.uuid4()))), "Not a User id."),
        ],
        ids=["a raw uuid", "a chat's id"],
    )
    async def test_an_owner_id_of_another_kind_is_a_validation_error(
        self, http: httpx.AsyncClient, runtime: Runtime, boss: str, owner_id: str, message: str
    ) -> None:
        body = await send(http, "phone_number\n79000000001\n", token=boss, owner_id=owner_id)
        [error] = fields_of(payload_of(body))["ownerId"]
        assert error.endswith(message)
        assert await every_phone(runtime) == []
