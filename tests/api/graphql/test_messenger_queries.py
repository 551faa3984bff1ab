"""Messenger queries over real HTTP: chats, chat, messages, message, node and users."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from strawberry.relay import GlobalID

from tests.api.graphql.factories import error_codes
from tests.api.graphql.test_messenger_support import (
    Person,
    chat_of,
    chats_of,
    create_group,
    create_private,
    data,
    messages_of,
    nodes,
    raw,
    send,
    texts,
    titles,
)
from tests.conftest import graphql

if TYPE_CHECKING:
    import httpx


async def all_pages(
    http: httpx.AsyncClient, viewer: Person, size: int, fetch: str, **kwargs: Any
) -> list[dict[str, Any]]:
    """Every page of ``chats`` or ``messages`` (``fetch``), following endCursor."""
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        if fetch == "chats":
            page = await chats_of(http, viewer, first=size, after=after)
        else:
            page = await messages_of(http, viewer, kwargs["chat_id"], first=size, after=after)
        pages.append(page)
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        assert len(pages) < 20, "pagination does not end"


class TestChats:
    async def test_lists_the_viewers_chats_liveliest_first(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        alpha = await create_group(http, ivan, "Alpha", [olga])
        await create_private(http, ivan, petr)
        await create_group(http, olga, "Gamma", [ivan])
        await send(http, olga, alpha["id"], "bump")  # a new message makes a chat the liveliest

        page = await chats_of(http, ivan)

        assert titles(page) == ["Alpha", "Gamma", "Petr Sidorov"]
        assert page["totalCount"] == 3
        stamps = [node["updatedAt"] for node in nodes(page)]
        assert stamps == sorted(stamps, reverse=True)
        assert titles(await chats_of(http, olga)) == ["Alpha", "Gamma"]
        assert (await chats_of(http, petr))["totalCount"] == 1

    async def test_pages_with_first_and_after_without_duplicates(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        for i in range(7):
            await create_group(http, ivan, f"Group {i}", [olga])

        pages = await all_pages(http, ivan, 3, "chats")

        assert [len(page["edges"]) for page in pages] == [3, 3, 1]
        assert [page["totalCount"] for page in pages] == [7, 7, 7]
        assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
        paged = [title for page in pages for title in titles(page)]
        assert (
            paged == titles(await chats_of(http, ivan)) == [f"Group {i}" for i in range(6, -1, -1)]
        )

    async def test_a_bad_cursor_or_page_size_is_bad_input(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        for variables in ({"first": 5, "after": "garbage"}, {"first": 101}, {"first": -1}):
            body = await graphql(http, "Chats", variables, token=ivan.token)
            assert error_codes(body) == ["BAD_USER_INPUT"], variables

    async def test_search_matches_group_titles_and_private_companion_names(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        await create_group(http, ivan, "Book club", [olga])
        await create_group(http, ivan, "Football 100% fun", [petr])
        await create_private(http, ivan, olga)
        await create_private(http, petr, ivan)

        async def found(words: str) -> list[str]:
            page = await chats_of(http, ivan, search=words)
            assert page["totalCount"] == len(page["edges"])
            return sorted(titles(page))

        assert await found("book") == ["Book club"]
        assert await found("BOOK CLUB") == ["Book club"]
        assert await found("book football") == []  # every word must match
        assert await found("ivanova") == ["Olga Ivanova"]  # a companion's last name
        assert await found("petr") == ["Petr Sidorov"]  # username and first name
        assert await found("petrov") == []  # the viewer's own name matches nothing
        assert await found("%") == ["Football 100% fun"]  # LIKE wildcards are literal
        assert await found("_") == []
        assert len(await found("")) == 4

    async def test_shows_members_creator_last_message_and_unread_count(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        await send(http, olga, chat["id"], "one")
        await send(http, olga, chat["id"], "two")
        await send(http, ivan, chat["id"], "three")

        [mine] = nodes(await chats_of(http, ivan))
        [hers] = nodes(await chats_of(http, olga))

        assert mine["unreadMessagesCount"] == 2  # own messages are never unread
        assert hers["unreadMessagesCount"] == 1
        assert mine["lastMessage"]["text"] == hers["lastMessage"]["text"] == "three"
        assert mine["creator"]["username"] == "ivan"
        assert sorted(m["username"] for m in mine["members"]) == ["ivan", "olga"]
        assert mine["isPrivate"] is True
        assert (mine["title"], hers["title"]) == ("Olga Ivanova", "Ivan Petrov")

    async def test_a_chat_without_messages_has_no_last_message(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        await create_group(http, ivan, "Quiet", [olga])

        [chat] = nodes(await chats_of(http, ivan))

        assert chat["lastMessage"] is None
        assert chat["unreadMessagesCount"] == 0


class TestChat:
    async def test_finds_a_chat_by_its_global_id(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])

        found = await chat_of(http, olga, chat["id"])

        assert found["id"] == chat["id"]
        assert GlobalID.from_id(chat["id"]).type_name == "Chat"
        assert found["title"] == "Alpha"
        assert sorted(m["username"] for m in found["members"]) == ["ivan", "olga"]

    @pytest.mark.parametrize(
        "chat_id",
        [
            pytest.param(lambda chat: raw(chat["id"]), id="its-raw-uuid"),
            pytest.param(lambda chat: str(GlobalID("Chat", str(uuid.uuid4()))), id="unknown"),
            pytest.param(lambda chat: "garbage", id="garbage"),
            pytest.param(lambda chat: str(GlobalID("Message", raw(chat["id"]))), id="other-type"),
        ],
    )
    async def test_is_null_for_an_id_that_names_no_chat(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, chat_id: Any
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])

        body = await graphql(http, "Chat", {"id": chat_id(chat)}, token=ivan.token)

        assert body == {"data": {"chat": None}}

    async def test_is_null_for_a_non_member(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])

        body = await graphql(http, "Chat", {"id": chat["id"]}, token=petr.token)

        assert body == {"data": {"chat": None}}  # as for a chat that does not exist


class TestMessages:
    async def test_lists_newest_first(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        for i in range(3):
            await send(http, olga if i % 2 else ivan, chat["id"], f"m{i}")

        page = await messages_of(http, ivan, chat["id"])

        assert texts(page) == ["m2", "m1", "m0"]
        assert page["totalCount"] == 3
        stamps = [node["createdAt"] for node in nodes(page)]
        assert stamps == sorted(stamps, reverse=True)
        assert {node["chatId"] for node in nodes(page)} == {chat["id"]}
        assert [node["sender"]["username"] for node in nodes(page)] == ["ivan", "olga", "ivan"]

    @pytest.mark.parametrize(
        "chat_id",
        [
            pytest.param(lambda chat: raw(chat["id"]), id="raw-uuid"),
            pytest.param(lambda chat: str(GlobalID("Message", raw(chat["id"]))), id="other-type"),
        ],
    )
    async def test_an_id_that_is_no_chat_id_is_bad_input(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, chat_id: Any
    ) -> None:
        chat = await create_private(http, ivan, olga)
        await send(http, olga, chat["id"], "hi")

        variables = {"chatId": chat_id(chat), "first": 5}
        body = await graphql(http, "Messages", variables, token=ivan.token)

        assert body["data"] is None
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["message"] == "Not a Chat id."

    async def test_pages_with_first_and_after_without_duplicates(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        for i in range(5):
            await send(http, ivan, chat["id"], f"m{i}")

        pages = await all_pages(http, olga, 2, "messages", chat_id=chat["id"])

        assert [texts(page) for page in pages] == [["m4", "m3"], ["m2", "m1"], ["m0"]]
        assert [page["totalCount"] for page in pages] == [5, 5, 5]

    async def test_search_matches_text_and_sender_names(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga, petr])
        await send(http, olga, chat["id"], "hello world")
        await send(http, ivan, chat["id"], "good morning")
        await send(http, olga, chat["id"], "see you")
        await send(http, petr, chat["id"], "50% off_today")

        async def found(words: str) -> list[str | None]:
            page = await messages_of(http, ivan, chat["id"], search=words)
            assert page["totalCount"] == len(page["edges"])
            return texts(page)

        assert await found("HELLO") == ["hello world"]
        assert await found("olga") == ["see you", "hello world"]  # username
        assert await found("ivanova") == ["see you", "hello world"]  # last name
        assert await found("morning petrov") == ["good morning"]  # a text word and a name
        assert await found("morning olga") == []
        assert await found("%") == ["50% off_today"]
        assert await found("50_") == []  # "_" is no single-character wildcard

    async def test_a_non_member_is_forbidden(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)

        body = await graphql(http, "Messages", {"chatId": chat["id"], "first": 5}, token=petr.token)

        assert body["data"] is None
        assert error_codes(body) == ["NOT_FOUND"]


class TestMessage:
    async def test_returns_the_message_with_its_chat(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])
        sent = await send(http, olga, chat["id"], "hello")

        found = data(
            await graphql(http, "Message", {"id": sent["id"]}, token=ivan.token), "message"
        )

        assert found["chat"] == {"id": chat["id"], "title": "Alpha"}
        assert {k: v for k, v in found.items() if k != "chat"} == sent

    @pytest.mark.parametrize(
        "message_id",
        [
            pytest.param(lambda sent: raw(sent["id"]), id="its-raw-uuid"),
            pytest.param(lambda sent: str(GlobalID("Message", str(uuid.uuid4()))), id="unknown"),
            pytest.param(lambda sent: "garbage", id="garbage"),
            pytest.param(lambda sent: str(GlobalID("Chat", raw(sent["id"]))), id="other-type"),
        ],
    )
    async def test_is_null_for_an_id_that_names_no_message(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, message_id: Any
    ) -> None:
        chat = await create_private(http, ivan, olga)
        sent = await send(http, olga, chat["id"], "hello")

        body = await graphql(http, "Message", {"id": message_id(sent)}, token=ivan.token)

        assert body == {"data": {"message": None}}

    async def test_is_null_for_a_non_member(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        sent = await send(http, olga, chat["id"], "hello")

        body = await graphql(http, "Message", {"id": sent["id"]}, token=petr.token)

        assert body == {"data": {"message": None}}


class TestNode:
    async def test_resolves_a_chat_and_a_message_for_a_member(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])
        sent = await send(http, ivan, chat["id"], "hello")

        as_chat = await graphql(http, "ChatNode", {"id": chat["id"]}, token=olga.token)
        as_message = await graphql(http, "ChatNode", {"id": sent["id"]}, token=olga.token)

        assert as_chat == {
            "data": {"node": {"__typename": "Chat", "id": chat["id"], "title": "Alpha"}}
        }
        assert as_message == {
            "data": {"node": {"__typename": "Message", "id": sent["id"], "text": "hello"}}
        }

    async def test_is_null_for_a_non_member(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])
        sent = await send(http, ivan, chat["id"], "hello")

        for node_id in (chat["id"], sent["id"]):
            body = await graphql(http, "ChatNode", {"id": node_id}, token=petr.token)
            assert body == {"data": {"node": None}}

    async def test_is_null_for_an_unknown_chat_or_message(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        for type_name in ("Chat", "Message"):
            node_id = str(GlobalID(type_name, str(uuid.uuid4())))
            body = await graphql(http, "ChatNode", {"id": node_id}, token=ivan.token)
            assert body == {"data": {"node": None}}


class TestUsers:
    async def test_shows_avatar_and_is_deleted(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        body = await graphql(http, "MessengerUsers", {"first": 10}, token=ivan.token)

        users = nodes(data(body, "users"))
        assert [(u["username"], u["avatar"], u["isDeleted"]) for u in users] == [
            ("olga", None, False),
            ("petr", None, False),
        ]

    async def test_a_deleted_account_is_not_listed(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        await graphql(http, "DeleteAccount", token=petr.token)

        page = data(await graphql(http, "MessengerUsers", {"first": 10}, token=ivan.token), "users")

        assert [u["username"] for u in nodes(page)] == ["olga"]
        assert page["totalCount"] == 1
