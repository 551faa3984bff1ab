"""Query limits (depth, tokens, aliases) and the error policy (codes, masking, request ids)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import strawberry

from domain.errors import (
    Conflict,
    DomainError,
    Invalid,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from resolvers.errors import MASKED_MESSAGE, ErrorPolicy
from tests.api.graphql.factories import error_codes, post_document
from tests.conftest import DEADLINE, app_client, graphql

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx
    from graphql import GraphQLError

    from domain.settings import Settings

STRICT_LIMITS = {"graphql_max_depth": 2, "graphql_max_tokens": 100, "graphql_max_aliases": 2}


def aliased(count: int) -> str:
    return "{ " + " ".join(f"v{i}: viewer {{ id }}" for i in range(count)) + " }"


def operations(count: int) -> str:
    """A document of ``8 * count`` tokens: ``query Qn { viewer { id } }`` repeated.

    Separate operations, because one selection set repeating a field costs graphql-core's
    overlapping-fields rule quadratic time.
    """
    return " ".join(f"query Q{i} {{ viewer {{ id }} }}" for i in range(count))


def assert_refused(body: dict[str, Any], message: str) -> None:
    assert body.get("data") is None
    assert [error["message"] for error in body["errors"]] == [message]


@pytest.fixture
async def strict_http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with tiny limits, so the small accounts schema can exceed them."""
    async with app_client(settings.model_copy(update=STRICT_LIMITS)) as client:
        yield client


class TestQueryDepth:
    async def test_refuses_an_operation_deeper_than_the_limit(
        self, strict_http: httpx.AsyncClient
    ) -> None:
        # users > edges > node > username is three levels deep.
        body = await graphql(strict_http, "Users", {"first": 1})

        assert_refused(body, "'Users' exceeds maximum operation depth of 2")

    async def test_allows_an_operation_at_the_limit(self, strict_http: httpx.AsyncClient) -> None:
        body = await graphql(strict_http, "ViewerId")

        assert body == {"data": {"viewer": None}}

    async def test_default_limit_admits_every_accounts_operation(
        self, http: httpx.AsyncClient
    ) -> None:
        body = await graphql(http, "Users", {"first": 1})

        # Refused for want of a token, not for its depth.
        assert error_codes(body) == ["UNAUTHENTICATED"]


class TestTokenLimit:
    async def test_refuses_a_document_over_the_default_limit(self, http: httpx.AsyncClient) -> None:
        body = await post_document(http, operations(126), operation_name="Q0")

        assert_refused(
            body, "Syntax Error: Document contains more than 1000 tokens. Parsing aborted."
        )

    async def test_allows_a_document_at_the_default_limit(self, http: httpx.AsyncClient) -> None:
        body = await post_document(http, operations(125), operation_name="Q0")

        assert body == {"data": {"viewer": None}}

    async def test_limit_comes_from_settings(self, strict_http: httpx.AsyncClient) -> None:
        body = await post_document(strict_http, operations(13), operation_name="Q0")

        assert_refused(
            body, "Syntax Error: Document contains more than 100 tokens. Parsing aborted."
        )


class TestAliasLimit:
    async def test_refuses_more_aliases_than_the_default_limit(
        self, http: httpx.AsyncClient
    ) -> None:
        body = await post_document(http, aliased(21))

        assert_refused(body, "21 aliases found. Allowed: 20")

    async def test_allows_the_default_limit(self, http: httpx.AsyncClient) -> None:
        body = await post_document(http, aliased(20))

        assert body == {"data": {f"v{i}": None for i in range(20)}}

    async def test_limit_comes_from_settings(self, strict_http: httpx.AsyncClient) -> None:
        body = await post_document(strict_http, aliased(3))

        assert_refused(body, "3 aliases found. Allowed: 2")


class TestRequestId:
    async def test_every_response_carries_its_own_request_id(self, http: httpx.AsyncClient) -> None:
        responses = [await http.post("/graphql", json={"query": "{ viewer { id } }"}) for _ in "ab"]

        ids = [response.headers["X-Request-ID"] for response in responses]
        assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids)
        assert ids[0] != ids[1]

    async def test_refused_documents_carry_one_too(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/graphql", json={"query": "{ viewer { "})

        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


# A tiny schema with the real ErrorPolicy, whose fields fail on demand in every way.

DOMAIN_ERRORS: dict[str, tuple[DomainError, str]] = {
    "not_found": (NotFound("Chat", 42), "NOT_FOUND"),
    "permission_denied": (PermissionDenied(), "FORBIDDEN"),
    "unauthenticated": (Unauthenticated(), "UNAUTHENTICATED"),
    "invalid": (Invalid.single("title", "Too long."), "BAD_USER_INPUT"),
    "conflict": (Conflict("Already linked."), "CONFLICT"),
}


@strawberry.type
class FailingQuery:
    @strawberry.field
    def answer(self) -> int:
        return 42

    @strawberry.field
    def explode(self) -> str | None:
        raise RuntimeError("password=hunter2 leaked in a driver message")

    @strawberry.field
    def fail(self, kind: str) -> str | None:
        raise DOMAIN_ERRORS[kind][0]


@strawberry.type
class FailingSubscription:
    @strawberry.subscription
    async def explode(self) -> AsyncGenerator[int, None]:
        yield 1
        raise RuntimeError("password=hunter2 leaked in a driver message")

    @strawberry.subscription
    async def fail(self, kind: str) -> AsyncGenerator[int, None]:
        if kind in DOMAIN_ERRORS:  # always: the yield only makes this a generator
            raise DOMAIN_ERRORS[kind][0]
        yield 0


FAILING_SCHEMA = strawberry.Schema(
    query=FailingQuery, subscription=FailingSubscription, extensions=[ErrorPolicy]
)


@dataclass
class RequestContext:
    request_id: str


async def execute(query: str, request_id: str = "req-0123456789abcdef") -> Any:
    return await FAILING_SCHEMA.execute(query, context_value=RequestContext(request_id))


@dataclass(frozen=True)
class Streamed:
    """One streamed result as a transport sends it: taken when yielded, not at stream end."""

    data: Any
    errors: list[GraphQLError]


async def subscribe(query: str, request_id: str = "req-0123456789abcdef") -> list[Streamed]:
    """Every result the subscription streams (bounded: the tiny ones all end)."""

    async def every_result() -> list[Streamed]:
        stream = await FAILING_SCHEMA.subscribe(query, context_value=RequestContext(request_id))
        return [Streamed(result.data, list(result.errors or [])) async for result in stream]

    return await asyncio.wait_for(every_result(), DEADLINE)


class TestErrorPolicy:
    async def test_masks_an_unexpected_error(self) -> None:
        result = await execute("{ answer explode }")

        assert result.data == {"answer": 42, "explode": None}
        [error] = result.errors
        assert error.message == MASKED_MESSAGE == "Unexpected error."
        assert error.path == ["explode"]
        assert error.extensions == {
            "code": "INTERNAL_SERVER_ERROR",
            "requestId": "req-0123456789abcdef",
        }
        assert "hunter2" not in str(error.formatted)

    async def test_logs_an_unexpected_error_with_the_request_id(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="tghub.graphql"):
            await execute("{ explode }", request_id="req-for-the-log")

        [record] = [r for r in caplog.records if r.name == "tghub.graphql"]
        assert "req-for-the-log" in record.getMessage()
        assert "explode" in record.getMessage()
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], RuntimeError)

    @pytest.mark.parametrize("kind", DOMAIN_ERRORS)
    async def test_a_domain_error_keeps_its_message_and_gets_a_code(
        self, kind: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        exception, code = DOMAIN_ERRORS[kind]

        with caplog.at_level(logging.ERROR, logger="tghub.graphql"):
            result = await execute(f'{{ fail(kind: "{kind}") }}')

        [error] = result.errors
        assert error.message == exception.message
        assert error.extensions == {"code": code}
        assert not [r for r in caplog.records if r.name == "tghub.graphql"]

    async def test_graphql_validation_errors_pass_through(self) -> None:
        result = await execute("{ nope }")

        [error] = result.errors
        assert error.message == "Cannot query field 'nope' on type 'FailingQuery'."
        assert error.extensions in (None, {})


class TestErrorPolicyOnSubscriptions:
    async def test_masks_an_unexpected_error_in_a_stream(self) -> None:
        first, failed = await subscribe("subscription { explode }")

        assert first.data == {"explode": 1}
        [error] = failed.errors
        assert error.message == MASKED_MESSAGE
        assert error.extensions == {
            "code": "INTERNAL_SERVER_ERROR",
            "requestId": "req-0123456789abcdef",
        }
        assert "hunter2" not in str(error.formatted)

    async def test_logs_an_unexpected_error_in_a_stream_with_the_request_id(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="tghub.graphql"):
            await subscribe("subscription { explode }", request_id="req-for-the-log")

        [record] = [r for r in caplog.records if r.name == "tghub.graphql"]
        assert "req-for-the-log" in record.getMessage()
        assert isinstance(record.exc_info and record.exc_info[1], RuntimeError)

    @pytest.mark.parametrize("kind", DOMAIN_ERRORS)
    async def test_a_domain_error_in_a_stream_keeps_its_message_and_gets_a_code(
        self, kind: str
    ) -> None:
        exception, code = DOMAIN_ERRORS[kind]

        [failed] = await subscribe(f'subscription {{ fail(kind: "{kind}") }}')

        [error] = failed.errors
        assert error.message == exception.message
        assert error.extensions == {"code": code}


class TestSubscriptionsOverHttp:
    async def test_are_refused_with_a_clear_error(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/graphql", json={"query": "subscription { accountEvents { reason } }"}
        )

        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
        assert "websocket" in body["errors"][0]["message"]
