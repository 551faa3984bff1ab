"""Relay: ``node(id:)`` with global IDs, and the ``users`` connection (keyset cursors)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import update
from strawberry.relay import to_base64

from domain.accounts.model import User
from tests.api.graphql.factories import (
    Tokens,
    error_codes,
    login,
    register,
    register_and_login,
)
from tests.api.rest.factories import PASSWORD as ADMIN_PASSWORD
from tests.api.rest.factories import create_admin
from tests.conftest import graphql

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

# Registered in this (shuffled) order; the connection lists them by username.
PEOPLE = [
    ("olga", "Olga", "Ivanova"),
    ("boris", "Boris", "Petrov"),
    ("ivan", "Ivan", "Petrov"),
    ("anna", "Anna", "Smirnova"),
    ("petr", "Petr", "Ivanov"),
    ("dmitry", "Dmitry", "Sidorov"),
    ("kate", "Ekaterina", "Volkova"),
]


def cursor(key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


async def populate(http: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Registers ``PEOPLE``; returns the users by username."""
    users = {}
    for username, first_name, last_name in PEOPLE:
        users[username] = await register(http, username, first_name=first_name, last_name=last_name)
    return users


async def users_page(
    http: httpx.AsyncClient,
    token: str,
    *,
    first: int,
    after: str | None = None,
    search: str | None = None,
) -> dict[str, Any]:
    variables = {"first": first, "after": after, "filter": {"search": search}}
    body = await graphql(http, "Users", variables, token=token)
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["users"]
    return page


def usernames(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["username"] for edge in page["edges"]]


async def search(http: httpx.AsyncClient, token: str, words: str) -> list[str]:
    return usernames(await users_page(http, token, first=100, search=words))


@pytest.fixture
async def viewer(http: httpx.AsyncClient) -> Tokens:
    return await register_and_login(http, "viewer", first_name="Ivan")


class TestNode:
    async def test_resolves_a_user_by_global_id(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        olga = await register(http, "olga")

        body = await graphql(http, "Node", {"id": olga["id"]}, token=viewer.access)

        assert body == {
            "data": {"node": {"__typename": "User", "id": olga["id"], "username": "olga"}}
        }

    async def test_global_id_names_the_type(self, http: httpx.AsyncClient, viewer: Tokens) -> None:
        body = await graphql(http, "ViewerId", token=viewer.access)

        assert body["data"]["viewer"]["id"] == to_base64("User", viewer.user_id)

    @pytest.mark.parametrize(
        "global_id",
        [
            pytest.param(to_base64("User", uuid.uuid4()), id="unknown-user"),
            pytest.param(to_base64("User", "not-a-uuid"), id="not-a-uuid"),
            pytest.param(to_base64("Nonexistent", "1"), id="unknown-type"),
            pytest.param(to_base64("LoginSuccess", "1"), id="not-a-node-type"),
        ],
    )
    async def test_is_null_for_an_id_that_names_nothing(
        self, http: httpx.AsyncClient, viewer: Tokens, global_id: str
    ) -> None:
        body = await graphql(http, "Node", {"id": global_id}, token=viewer.access)

        assert body == {"data": {"node": None}}

    async def test_is_null_for_an_undecodable_id(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        body = await graphql(http, "Node", {"id": "garbage"}, token=viewer.access)

        assert body["data"] == {"node": None}
        assert "INTERNAL_SERVER_ERROR" not in error_codes(body)

    async def test_is_null_for_a_deactivated_user(
        self, http: httpx.AsyncClient, viewer: Tokens, runtime: Runtime
    ) -> None:
        olga = await register(http, "olga")
        async with runtime.uow() as uow:
            await uow.session.execute(
                update(User).where(User.username == "olga").values(is_active=False)
            )
            await uow.commit()

        body = await graphql(http, "Node", {"id": olga["id"]}, token=viewer.access)

        assert body["data"]["node"] is None

    async def test_requires_a_token(self, http: httpx.AsyncClient) -> None:
        olga = await register(http, "olga")

        body = await graphql(http, "Node", {"id": olga["id"]})

        assert body["data"] == {"node": None}
        assert error_codes(body) == ["UNAUTHENTICATED"]


class TestRoles:
    async def test_a_role_shows_to_the_user_and_to_admins_only(
        self, runtime: Runtime, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        await populate(http)
        admin = await create_admin(runtime)
        admin_tokens = await login(http, admin.username, ADMIN_PASSWORD)

        seen_by_user = await users_page(http, viewer.access, first=20)
        seen_by_admin = await users_page(http, admin_tokens.access, first=20)
        own = await graphql(http, "Viewer", token=viewer.access)

        assert {edge["node"]["role"] for edge in seen_by_user["edges"]} == {None}
        assert {edge["node"]["role"] for edge in seen_by_admin["edges"]} == {"USER"}
        assert own["data"]["viewer"]["role"] == "USER"


class TestUsers:
    async def test_lists_users_by_username_excluding_the_viewer(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        users = await populate(http)

        page = await users_page(http, viewer.access, first=20)

        assert usernames(page) == sorted(users)
        assert page["totalCount"] == len(users)
        # Their roles are theirs and the admins' to see (shown to each at registration).
        expected = [{**users[name], "role": None} for name in sorted(users)]
        assert [edge["node"] for edge in page["edges"]] == expected
        assert page["pageInfo"] == {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": page["edges"][0]["cursor"],
            "endCursor": page["edges"][-1]["cursor"],
        }

    async def test_pages_through_everyone_without_duplicates_or_gaps(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        users = await populate(http)
        seen: list[str] = []
        after = None

        for _ in range(len(users)):
            page = await users_page(http, viewer.access, first=3, after=after)
            assert page["totalCount"] == len(users)
            assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
            seen += usernames(page)
            after = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"]:
                break

        assert seen == sorted(users)

    async def test_last_page_has_no_next_page(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        users = await populate(http)

        page = await users_page(http, viewer.access, first=len(users))

        assert len(page["edges"]) == len(users)
        assert page["pageInfo"]["hasNextPage"] is False

    async def test_a_cursor_resumes_right_after_its_edge(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        await populate(http)
        everyone = await users_page(http, viewer.access, first=100)

        page = await users_page(http, viewer.access, first=2, after=everyone["edges"][2]["cursor"])

        assert usernames(page) == usernames(everyone)[3:5]

    async def test_first_zero_returns_only_the_count(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        users = await populate(http)

        page = await users_page(http, viewer.access, first=0)

        assert page["edges"] == []
        assert page["totalCount"] == len(users)
        assert page["pageInfo"]["hasNextPage"] is True
        assert page["pageInfo"]["endCursor"] is None

    async def test_search_matches_username_first_and_last_name(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        await populate(http)

        assert await search(http, viewer.access, "kate") == ["kate"]
        assert await search(http, viewer.access, "Ekaterina") == ["kate"]
        assert await search(http, viewer.access, "Volkova") == ["kate"]

    async def test_search_is_case_insensitive_and_matches_parts(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        await populate(http)

        assert await search(http, viewer.access, "PETROV") == ["boris", "ivan"]
        assert await search(http, viewer.access, "ivano") == ["olga", "petr"]

    async def test_search_words_are_and_ed(self, http: httpx.AsyncClient, viewer: Tokens) -> None:
        await populate(http)

        assert await search(http, viewer.access, "ivan petrov") == ["ivan"]
        assert await search(http, viewer.access, "  petrov   boris ") == ["boris"]
        assert await search(http, viewer.access, "olga petrov") == []

    async def test_search_treats_like_wildcards_literally(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        await populate(http)

        assert await search(http, viewer.access, "%") == []
        assert await search(http, viewer.access, "_") == []
        assert await search(http, viewer.access, "o_ga") == []

    async def test_search_never_returns_the_viewer(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        await populate(http)

        # The viewer's first name is Ivan: only the other Ivan* people match.
        assert await search(http, viewer.access, "ivan") == ["ivan", "olga", "petr"]

    async def test_total_count_counts_the_filtered_set(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        await populate(http)

        page = await users_page(http, viewer.access, first=1, search="petrov")

        assert page["totalCount"] == 2
        assert usernames(page) == ["boris"]
        assert page["pageInfo"]["hasNextPage"] is True

    async def test_requires_a_token(self, http: httpx.AsyncClient) -> None:
        body = await graphql(http, "Users", {"first": 10})

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]

    async def test_accepts_the_maximum_page_size(
        self, http: httpx.AsyncClient, viewer: Tokens
    ) -> None:
        users = await populate(http)

        page = await users_page(http, viewer.access, first=100)

        assert len(page["edges"]) == len(users)

    @pytest.mark.parametrize("first", [101, 1000, -1])
    async def test_rejects_a_page_size_out_of_range(
        self, http: httpx.AsyncClient, viewer: Tokens, first: int
    ) -> None:
        body = await graphql(http, "Users", {"first": first}, token=viewer.access)

        assert body["data"] is None
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["message"] == "first must be between 0 and 100."

    @pytest.mark.parametrize(
        "after",
        [
            pytest.param("not base64!", id="not-base64"),
            pytest.param(base64.urlsafe_b64encode(b"not json").decode(), id="not-json"),
            pytest.param(cursor({"username": "anna"}), id="not-a-list"),
            pytest.param(cursor([1, 2]), id="not-strings"),
            pytest.param(cursor([]), id="empty"),
            pytest.param(cursor(["anna"]), id="too-short"),
            pytest.param(cursor(["anna", str(uuid.uuid4()), "x"]), id="too-long"),
            pytest.param(cursor(["anna", "not-a-uuid"]), id="bad-id"),
        ],
    )
    async def test_rejects_an_invalid_cursor(
        self, http: httpx.AsyncClient, viewer: Tokens, after: str
    ) -> None:
        body = await graphql(http, "Users", {"first": 10, "after": after}, token=viewer.access)

        assert body["data"] is None
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["message"] == "Invalid cursor."
