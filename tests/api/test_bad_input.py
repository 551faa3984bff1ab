"""Bad input gets a clear error and loses nothing: never a 500, never a half-written row.

Every string input of the accounts schema and every field of the legacy auth routes is sent
text that PostgreSQL cannot store (NUL, a lone surrogate), and both transports are sent bodies
that break a naive JSON parser. The answers must be typed GraphQL errors or the legacy REST
error shape. Lone surrogates cannot be encoded by httpx, so bodies go out as raw JSON bytes with
``\\ud800`` escapes, which is exactly what a hostile client sends.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import asyncpg
import jwt
import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from resolvers.app import INTERNAL_ERROR, http_error, unexpected_error
from tests.canaries import PASSWORD
from tests.conftest import TEST_SECRET, LiveServer, app_client, graphql, operation
from tghub.embedded import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from domain.settings import Settings

UNSTORABLE = [
    pytest.param("Iv\x00an12345", id="nul"),
    pytest.param("Iv\ud800an12345", id="lone_surrogate"),
]
NUL_MESSAGE = "Null characters are not allowed."
SURROGATE_MESSAGE = "Text must be valid Unicode (no lone surrogates)."
UNSTORABLE_MESSAGES = {NUL_MESSAGE, SURROGATE_MESSAGE}

STRAWBERRY_BAD_JSON = "Unable to parse request body as JSON"
HOSTILE_BODIES = [
    pytest.param(b"[" * 100_000, id="deeply_nested"),
    pytest.param(b'{"username": "\xff\xfe"}', id="not_utf8"),
    pytest.param(b'{"username": ' + b"9" * 5000 + b"}", id="integer_past_digit_limit"),
]
HOSTILE_GRAPHQL_BODIES = [
    pytest.param(b"[" * 100_000, id="deeply_nested"),
    pytest.param(b'{"query": "\xff\xfe"}', id="not_utf8"),
    pytest.param(
        b'{"query": "query Users($first: Int!) { users(first: $first) { totalCount } }", '
        b'"variables": {"first": ' + b"9" * 5000 + b"}}",
        id="integer_past_digit_limit",
    ),
]

VALID_REGISTRATION = {
    "username": "ivan",
    "password": PASSWORD,
    "first_name": "Ivan",
    "last_name": "Petrov",
    "bio": "Programmer",
}
REST_FIELDS = [
    *(("/api/register/", field) for field in VALID_REGISTRATION),
    *(("/api/v1/users/register/", field) for field in ("username", "password")),
    *(
        (path, field)
        for path in ("/api/auth/", "/api/token/")
        for field in ("username", "password")
    ),
    ("/api/auth/refresh/", "refresh"),
    ("/api/token/refresh/", "refresh"),
    ("/api/token/verify/", "token"),
]
REST_ROUTES = sorted({path for path, _ in REST_FIELDS})
REGISTER_ROUTES = {"/api/register/", "/api/v1/users/register/"}

PROTOCOL = "graphql-transport-ws"


# --- helpers ---------------------------------------------------------------------------------


def raw_json(value: object) -> bytes:
    """JSON bytes as ``json.dumps`` writes them: a lone surrogate becomes a ``\\ud800`` escape."""
    return json.dumps(value).encode()


async def post_raw(
    http: httpx.AsyncClient, path: str, content: bytes, *, token: str | None = None
) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return await http.post(path, content=content, headers=headers)


def assert_not_internal_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert "Unexpected error." not in response.text
    assert "INTERNAL_SERVER_ERROR" not in response.text


async def graphql_raw(
    http: httpx.AsyncClient,
    name: str,
    variables: dict[str, Any],
    *,
    token: str | None = None,
) -> dict[str, Any]:
    request = {"query": operation(name), "variables": variables, "operationName": name}
    response = await post_raw(http, "/graphql", raw_json(request), token=token)
    assert_not_internal_error(response)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def user_count(settings: Settings) -> int:
    conn = await asyncpg.connect(settings.database_url)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM users")
    finally:
        await conn.close()
    return count


async def access_token(http: httpx.AsyncClient) -> str:
    """Registers ``ivan`` and logs in over GraphQL: a live access token."""
    register = {"input": {"username": "ivan", "password": PASSWORD}}
    assert (await graphql_raw(http, "Register", register))["data"]["register"]["__typename"] == (
        "RegisterSuccess"
    )
    body = await graphql_raw(http, "Login", register)
    token: str = body["data"]["login"]["accessToken"]
    return token


async def private_chat(http: httpx.AsyncClient, token: str) -> str:
    """Registers ``olga``; the global id of a private chat between the token's user and her."""
    registration = {"input": {"username": "olga", "password": PASSWORD}}
    olga = (await graphql_raw(http, "Register", registration))["data"]["register"]["user"]
    created = {"input": {"isPrivate": True, "memberIds": [olga["id"]]}}
    body = await graphql_raw(http, "CreateChat", created, token=token)
    assert body["data"]["createChat"]["__typename"] == "CreateChatSuccess", body
    chat_id: str = body["data"]["createChat"]["chat"]["id"]
    return chat_id


def forged_access_token() -> str:
    """Validly signed with the test key, naming a session no database was asked about."""
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "gen": 0,
        "token_type": "access",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
    }
    return jwt.encode(claims, TEST_SECRET, algorithm="HS256")


async def close_code(ws: Any) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None
    code: int = closed.value.rcvd.code
    return code


@pytest.fixture
async def database_down(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the real app whose database URL points at a port nothing listens on."""
    url = f"postgresql://app:app@127.0.0.1:{free_port()}/tghub"
    async with app_client(settings.model_copy(update={"database_url": url})) as http:
        yield http


# --- GraphQL ---------------------------------------------------------------------------------


class TestRegisterMutation:
    @pytest.mark.parametrize("value", UNSTORABLE)
    @pytest.mark.parametrize("field", ["username", "password", "firstName", "lastName", "bio"])
    async def test_unstorable_text_is_a_validation_error_and_writes_no_user(
        self, http: httpx.AsyncClient, settings: Settings, field: str, value: str
    ) -> None:
        registration = {"username": "ivan", "password": PASSWORD, field: value}

        body = await graphql_raw(http, "Register", {"input": registration})

        payload = body["data"]["register"]
        assert payload["__typename"] == "ValidationError"
        assert payload["code"] == "invalid"
        assert [error["field"] for error in payload["fields"]] == [field]  # the input's name
        assert set(payload["fields"][0]["messages"]) <= UNSTORABLE_MESSAGES
        assert await user_count(settings) == 0


class TestLoginMutation:
    @pytest.mark.parametrize("value", UNSTORABLE)
    @pytest.mark.parametrize("field", ["username", "password"])
    async def test_unstorable_text_is_an_authentication_error(
        self, http: httpx.AsyncClient, field: str, value: str
    ) -> None:
        credentials = {"username": "ivan", "password": PASSWORD, field: value}

        body = await graphql_raw(http, "Login", {"input": credentials})

        assert body["data"]["login"]["__typename"] == "AuthenticationError"


class TestRefreshTokenMutation:
    @pytest.mark.parametrize("value", UNSTORABLE)
    async def test_unstorable_token_is_an_authentication_error(
        self, http: httpx.AsyncClient, value: str
    ) -> None:
        body = await graphql_raw(http, "RefreshToken", {"input": {"refreshToken": value}})

        assert body["data"]["refreshToken"]["__typename"] == "AuthenticationError"


class TestUsersQuery:
    @pytest.mark.parametrize("value", UNSTORABLE)
    async def test_unstorable_search_is_bad_user_input(
        self, http: httpx.AsyncClient, value: str
    ) -> None:
        token = await access_token(http)

        body = await graphql_raw(
            http, "Users", {"first": 10, "filter": {"search": value}}, token=token
        )

        assert body["data"] is None
        assert error_codes(body) == ["BAD_USER_INPUT"]

    @pytest.mark.parametrize("value", UNSTORABLE)
    async def test_unstorable_cursor_is_bad_user_input(
        self, http: httpx.AsyncClient, value: str
    ) -> None:
        token = await access_token(http)

        body = await graphql_raw(http, "Users", {"first": 10, "after": value}, token=token)

        assert body["data"] is None
        assert error_codes(body) == ["BAD_USER_INPUT"]


class TestChatsQuery:
    @pytest.mark.parametrize("value", UNSTORABLE)
    async def test_unstorable_search_is_bad_user_input(
        self, http: httpx.AsyncClient, value: str
    ) -> None:
        token = await access_token(http)

        body = await graphql_raw(
            http, "Chats", {"first": 10, "filter": {"search": value}}, token=token
        )

        assert body["data"] is None
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["message"] in UNSTORABLE_MESSAGES


class TestMessagesQuery:
    @pytest.mark.parametrize("value", UNSTORABLE)
    async def test_unstorable_search_is_bad_user_input(
        self, http: httpx.AsyncClient, value: str
    ) -> None:
        token = await access_token(http)
        chat_id = await private_chat(http, token)
        variables = {"chatId": chat_id, "first": 10, "filter": {"search": value}}

        body = await graphql_raw(http, "Messages", variables, token=token)

        assert body["data"] is None
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["message"] in UNSTORABLE_MESSAGES


class TestGraphQLBody:
    @pytest.mark.parametrize("body", HOSTILE_GRAPHQL_BODIES)
    async def test_unparsable_body_is_strawberrys_bad_request(
        self, http: httpx.AsyncClient, body: bytes
    ) -> None:
        response = await post_raw(http, "/graphql", body)

        assert response.status_code == 400
        assert response.text == STRAWBERRY_BAD_JSON


class TestWebsocketConnectionInit:
    async def test_token_with_a_lone_surrogate_closes_with_4403(self, server: LiveServer) -> None:
        init = {"type": "connection_init", "payload": {"authToken": "ey\ud800J.x.y"}}

        async with connect(server.ws_url, subprotocols=[Subprotocol(PROTOCOL)]) as ws:
            await ws.send(json.dumps(init))

            assert await close_code(ws) == 4403

    async def test_deeply_nested_message_closes_with_4400(self, server: LiveServer) -> None:
        async with connect(server.ws_url, subprotocols=[Subprotocol(PROTOCOL)]) as ws:
            await ws.send("[" * 100_000)

            assert await close_code(ws) == 4400


# --- legacy REST -----------------------------------------------------------------------------


class TestLegacyRouteFields:
    @pytest.mark.parametrize("value", UNSTORABLE)
    @pytest.mark.parametrize(("path", "field"), REST_FIELDS)
    async def test_unstorable_text_is_a_field_error(
        self, http: httpx.AsyncClient, settings: Settings, path: str, field: str, value: str
    ) -> None:
        body = {**VALID_REGISTRATION, "refresh": "x.y.z", "token": "x.y.z", field: value}

        response = await post_raw(http, path, raw_json(body))

        assert response.status_code == 400, response.text
        assert list(response.json()) == [field]
        assert set(response.json()[field]) <= UNSTORABLE_MESSAGES
        if path in REGISTER_ROUTES:
            assert await user_count(settings) == 0


class TestLegacyRouteBody:
    @pytest.mark.parametrize("body", HOSTILE_BODIES)
    @pytest.mark.parametrize("path", REST_ROUTES)
    async def test_unparsable_body_is_a_json_parse_error(
        self, http: httpx.AsyncClient, path: str, body: bytes
    ) -> None:
        response = await post_raw(http, path, body)

        assert response.status_code == 400, response.text
        assert list(response.json()) == ["detail"]
        assert response.json()["detail"].startswith("JSON parse error - ")


# --- outages and unexpected errors -----------------------------------------------------------


DATABASE_DOWN = "The database is unavailable; try again later."


class TestDatabaseOutage:
    async def test_graphql_viewer_with_a_valid_token_is_unavailable(
        self, database_down: httpx.AsyncClient
    ) -> None:
        request = {"query": operation("Viewer"), "operationName": "Viewer"}
        headers = {"authorization": f"Bearer {forged_access_token()}"}

        response = await database_down.post("/graphql", json=request, headers=headers)

        assert response.status_code == 200, response.text
        assert error_codes(response.json()) == ["UNAVAILABLE"]
        assert response.json()["errors"][0]["message"] == DATABASE_DOWN

    async def test_rest_token_verify_is_503(self, database_down: httpx.AsyncClient) -> None:
        response = await database_down.post(
            "/api/token/verify/", json={"token": forged_access_token()}
        )

        assert response.status_code == 503
        assert response.json() == {"detail": DATABASE_DOWN}

    async def test_outage_is_logged_by_type_without_the_token(
        self, database_down: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        token = forged_access_token()

        await database_down.post("/api/token/verify/", json={"token": token})

        records = [r for r in caplog.records if r.name == "domain.uow"]
        assert [r.getMessage() for r in records] == ["database unavailable: ConnectionRefusedError"]
        assert token not in caplog.text

    async def test_rest_registration_is_503(self, database_down: httpx.AsyncClient) -> None:
        response = await database_down.post("/api/register/", json=VALID_REGISTRATION)

        assert response.status_code == 503
        assert response.json() == {"detail": DATABASE_DOWN}

    async def test_graphql_registration_is_unavailable(
        self, database_down: httpx.AsyncClient
    ) -> None:
        variables = {"input": {"username": "ivan", "password": "secret123"}}
        body = await graphql(database_down, "Register", variables)

        assert error_codes(body) == ["UNAVAILABLE"]


class TestUnexpectedErrorHandler:
    async def test_answers_json_500_with_the_logged_request_id(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        request = Request({"type": "http", "method": "POST", "path": "/api/x/", "headers": []})

        with caplog.at_level(logging.ERROR, logger="tghub.http"):
            response = await unexpected_error(request, RuntimeError("secret detail"))

        request_id = response.headers["x-request-id"]
        assert response.status_code == 500
        assert json.loads(bytes(response.body)) == {
            "detail": INTERNAL_ERROR,
            "request_id": request_id,
        }
        (record,) = [r for r in caplog.records if r.name == "tghub.http"]
        assert request_id in record.getMessage()
        assert record.exc_info is not None
        assert b"secret detail" not in bytes(response.body)


class TestStarletteErrors:
    @pytest.mark.parametrize("path", REST_ROUTES)
    async def test_wrong_method_on_a_legacy_route_is_drf_json(
        self, http: httpx.AsyncClient, path: str
    ) -> None:
        response = await http.get(path)

        assert response.status_code == 405
        assert response.json() == {"detail": 'Method "GET" not allowed.'}
        assert response.headers["allow"] == "POST"

    async def test_unknown_path_is_drf_json(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/api/no-such-route/")

        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}

    async def test_http_exception_keeps_its_own_detail(self) -> None:
        request = Request({"type": "http", "method": "POST", "path": "/x", "headers": []})

        response = await http_error(request, HTTPException(413, "Request body too large."))

        assert response.status_code == 413
        assert json.loads(bytes(response.body)) == {"detail": "Request body too large."}


class TestRequestId:
    @pytest.mark.parametrize("path", REST_ROUTES)
    async def test_every_legacy_answer_names_its_request(
        self, http: httpx.AsyncClient, path: str
    ) -> None:
        response = await http.post(path, json={})

        assert len(response.headers.get_list("x-request-id")) == 1
        assert len(response.headers["x-request-id"]) == 32

    async def test_graphql_answer_keeps_its_single_context_id(
        self, http: httpx.AsyncClient
    ) -> None:
        request = {"query": operation("Viewer"), "operationName": "Viewer"}

        response = await http.post("/graphql", json=request)

        assert len(response.headers.get_list("x-request-id")) == 1
