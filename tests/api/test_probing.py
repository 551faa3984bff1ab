"""What probing from outside found, each reproduced without logging in: a NUL in a media URL,
a malformed multipart ``map``, BigInt literals, clients that leave mid-body, and documents that
do not parse sent over the websocket. Each is the client's error: a clear answer, never a 500
or a masked unexpected error, and no flood of log lines."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.graphql.factories import register_and_login
from tests.api.graphql.test_websockets import authenticated_socket, receive, send
from tests.conftest import operation, until

if TYPE_CHECKING:
    import httpx

    from tests.conftest import LiveServer

NOT_FOUND = {"detail": "No file matches the given query."}


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


class TestMediaKeys:
    @pytest.mark.parametrize("path", ["/media/%00", "/media/a%00b/c.png", "/media/%ff%fe"])
    async def test_a_key_no_stored_file_can_have_is_not_found(
        self, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, path: str
    ) -> None:
        response = await http.get(path)

        assert response.status_code == 404
        assert response.json() == NOT_FOUND
        assert errors_logged(caplog) == []


UPLOAD_OPERATIONS = {
    "query": "mutation ($f: [Upload!]!) { __typename }",
    "variables": {"f": []},
}


class TestMultipartMap:
    @pytest.mark.parametrize(
        ("files_map", "message"),
        [
            pytest.param(
                "[1]",
                "The multipart 'map' must be an object of file field names to lists of paths.",
                id="a_list",
            ),
            pytest.param(
                '{"0": "variables.f.0"}',
                "The multipart 'map' must be an object of file field names to lists of paths.",
                id="paths_not_a_list",
            ),
            pytest.param(
                '{"0": ["variables.f.5"]}',
                "The multipart 'map' path 'variables.f.5' names no value in 'operations'.",
                id="a_missing_index",
            ),
            pytest.param(
                '{"0": ["variables.f.99999999999999999999999"]}',
                "The multipart 'map' path 'variables.f.99999999999999999999999' names no value"
                " in 'operations'.",
                id="a_huge_index",
            ),
            pytest.param(
                '{"0": ["variables.g.0"]}',
                "The multipart 'map' path 'variables.g.0' names no value in 'operations'.",
                id="a_missing_key",
            ),
            pytest.param(
                '{"0": ["query.x"]}',
                "The multipart 'map' path 'query.x' names no value in 'operations'.",
                id="into_a_string",
            ),
            pytest.param(
                '{"7": ["variables.f.0"]}',
                "The multipart 'map' names a file field '7' not sent.",
                id="a_file_not_sent",
            ),
        ],
    )
    async def test_is_a_bad_request_with_a_clear_message(
        self,
        http: httpx.AsyncClient,
        caplog: pytest.LogCaptureFixture,
        files_map: str,
        message: str,
    ) -> None:
        response = await http.post(
            "/graphql",
            files={
                "operations": (None, json.dumps(UPLOAD_OPERATIONS)),
                "map": (None, files_map),
                "0": ("a.txt", b"hello"),
            },
        )

        assert response.status_code == 400
        assert response.text == message
        assert errors_logged(caplog) == []

    async def test_operations_that_are_no_object_are_a_bad_request(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.post(
            "/graphql",
            files={"operations": (None, "5"), "map": (None, "{}"), "0": ("a.txt", b"x")},
        )

        assert response.status_code == 400
        assert response.text == "The multipart 'operations' must be an object or a list."


BIGINT_DOCUMENT = (
    "mutation { sandboxSetUserStatus(input: {telegramId: %s, online: true}) { __typename } }"
)


class TestBigIntLiterals:
    @pytest.mark.parametrize(
        ("literal", "reason"),
        [
            ('"abc"', "BigInt takes an integer or a string of digits"),
            ('"1_000"', "BigInt takes an integer or a string of digits"),
            ('" 12"', "BigInt takes an integer or a string of digits"),
            ('"\u0661\u0662"', "BigInt takes an integer or a string of digits"),
            ("12.5", "BigInt takes an integer or a string of digits"),
            ("true", "BigInt takes an integer or a string of digits"),
            ('"9223372036854775808"', "BigInt is a signed 64-bit integer"),
            ("-9223372036854775809", "BigInt is a signed 64-bit integer"),
            ("1" + "0" * 30, "BigInt is a signed 64-bit integer"),
        ],
    )
    async def test_an_invalid_literal_is_a_validation_error(
        self,
        http: httpx.AsyncClient,
        caplog: pytest.LogCaptureFixture,
        literal: str,
        reason: str,
    ) -> None:
        response = await http.post("/graphql", json={"query": BIGINT_DOCUMENT % literal})

        [error] = response.json()["errors"]
        assert error["message"].startswith("Expected value of type 'BigInt'"), error
        assert reason in error["message"]
        assert "extensions" not in error  # like every validation error: no INTERNAL_SERVER_ERROR
        assert errors_logged(caplog) == []

    async def test_the_same_value_as_a_variable_is_refused_alike(
        self, http: httpx.AsyncClient
    ) -> None:
        document = (
            "mutation ($id: BigInt!) {"
            " sandboxSetUserStatus(input: {telegramId: $id, online: true}) { __typename } }"
        )

        response = await http.post("/graphql", json={"query": document, "variables": {"id": "abc"}})

        [error] = response.json()["errors"]
        assert "BigInt takes an integer or a string of digits" in error["message"]

    async def test_a_valid_literal_reaches_the_resolver(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/graphql", json={"query": BIGINT_DOCUMENT % '"1001"'})

        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"


# --- over real sockets -----------------------------------------------------------------------

HALF_BODIES = {
    "graphql": (
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"query": "{ viewer'
    ),
    "legacy json": (
        b"POST /api/auth/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"username": "iv'
    ),
    "legacy multipart": (
        b"POST /api/register/ HTTP/1.1\r\nHost: test\r\n"
        b"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 1000\r\n\r\n"
        b'--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\niv'
    ),
}
REQUESTS_EACH = 7


async def leave_mid_body(server: LiveServer, request: bytes) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(request)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


class TestClientLeavingMidBody:
    async def test_is_logged_once_at_info_and_is_no_error(
        self, server: LiveServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        for request in HALF_BODIES.values():
            for _ in range(REQUESTS_EACH):
                await leave_mid_body(server, request)
        expected = len(HALF_BODIES) * REQUESTS_EACH

        def noted() -> list[logging.LogRecord]:
            return [r for r in caplog.records if "client disconnected" in r.getMessage()]

        await until(lambda: len(noted()) >= expected)  # the server notices each on its own time

        assert len(noted()) == expected
        assert {r.levelno for r in noted()} == {logging.INFO}
        assert errors_logged(caplog) == []
        assert len(caplog.text.splitlines()) <= expected


class TestWebsocketDocuments:
    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("subscription {", "Syntax Error: Expected Name, found <EOF>."),
            (
                "{ " + "viewer { id } " * 300 + "}",
                "Syntax Error: Document contains more than 1000 tokens. Parsing aborted.",
            ),
        ],
        ids=["syntax_error", "over_the_token_limit"],
    )
    async def test_is_an_error_for_that_operation_and_the_socket_goes_on(
        self,
        server: LiveServer,
        http: httpx.AsyncClient,
        caplog: pytest.LogCaptureFixture,
        query: str,
        message: str,
    ) -> None:
        tokens = await register_and_login(http, "ivan")

        async with authenticated_socket(server, {"authToken": tokens.access}) as ws:
            await send(ws, {"id": "bad", "type": "subscribe", "payload": {"query": query}})
            answer = await receive(ws)
            viewer = {"query": operation("ViewerId"), "operationName": "ViewerId"}
            await send(ws, {"id": "good", "type": "subscribe", "payload": viewer})
            following: dict[str, Any] = await receive(ws)

        assert answer["id"] == "bad"
        assert answer["type"] == "error"
        assert [error["message"] for error in answer["payload"]] == [message]
        assert (following["id"], following["type"]) == ("good", "next")
        assert following["payload"]["data"]["viewer"]["id"]
        assert errors_logged(caplog) == []

    async def test_over_http_the_same_document_is_an_error_too(
        self, http: httpx.AsyncClient
    ) -> None:
        body = await graphql_document(http, "subscription {")

        assert body["errors"][0]["message"] == "Syntax Error: Expected Name, found <EOF>."


async def graphql_document(http: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query})
    body: dict[str, Any] = response.json()
    return body
