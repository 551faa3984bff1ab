"""Messenger mutations over real HTTP: each one's success and its refusals (payload unions).

SendMessage, EditMessage and ReadMessage select an error's ``message`` as ``errorMessage``:
their success member has a ``message`` field of another type (codegen/operations says why).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from strawberry.relay import GlobalID

from tests.api.graphql.factories import PASSWORD, error_codes, refresh, register
from tests.api.graphql.test_messenger_support import (
    Person,
    chat_of,
    chats_of,
    create_group,
    create_private,
    data,
    field_errors,
    messages_of,
    nodes,
    person,
    raw,
    send,
    texts,
    titles,
)
from tests.conftest import graphql

if TYPE_CHECKING:
    import httpx


def unknown(type_name: str) -> str:
    return str(GlobalID(type_name, str(uuid.uuid4())))


async def create_chat(http: httpx.AsyncClient, owner: Person, **fields: Any) -> dict[str, Any]:
    body = await graphql(http, "CreateChat", {"input": fields}, token=owner.token)
    payload: dict[str, Any] = data(body, "createChat")
    return payload


async def update_chat(
    http: httpx.AsyncClient, viewer: Person, chat_id: str, **fields: Any
) -> dict[str, Any]:
    body = await graphql(
        http, "UpdateChat", {"input": {"chatId": chat_id, **fields}}, token=viewer.token
    )
    payload: dict[str, Any] = data(body, "updateChat")
    return payload


async def on_chat(
    http: httpx.AsyncClient, name: str, viewer: Person, chat_id: str
) -> dict[str, Any]:
    """DeleteChat, LeaveChat or ReadAllMessages on one chat: the payload."""
    body = await graphql(http, name, {"input": {"chatId": chat_id}}, token=viewer.token)
    field = name[0].lower() + name[1:]
    payload: dict[str, Any] = data(body, field)
    return payload


async def send_message(http: httpx.AsyncClient, sender: Person, **fields: Any) -> dict[str, Any]:
    body = await graphql(http, "SendMessage", {"input": fields}, token=sender.token)
    payload: dict[str, Any] = data(body, "sendMessage")
    return payload


async def edit(
    http: httpx.AsyncClient, viewer: Person, message_id: str, text: str
) -> dict[str, Any]:
    variables = {"input": {"messageId": message_id, "text": text}}
    payload: dict[str, Any] = data(
        await graphql(http, "EditMessage", variables, token=viewer.token), "editMessage"
    )
    return payload


async def on_message(
    http: httpx.AsyncClient, name: str, viewer: Person, message_id: str
) -> dict[str, Any]:
    """DeleteMessage or ReadChatMessage on one message: the payload."""
    body = await graphql(http, name, {"input": {"messageId": message_id}}, token=viewer.token)
    field = {"DeleteMessage": "deleteMessage", "ReadMessage": "readMessage"}[name]
    payload: dict[str, Any] = data(body, field)
    return payload


async def update_profile(http: httpx.AsyncClient, viewer: Person, **fields: Any) -> dict[str, Any]:
    body = await graphql(http, "UpdateProfile", {"input": fields}, token=viewer.token)
    payload: dict[str, Any] = data(body, "updateProfile")
    return payload


def usernames(users: list[dict[str, Any]]) -> list[str]:
    return sorted(user["username"] for user in users)


class TestCreateChat:
    async def test_creates_a_private_chat(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        payload = await create_chat(http, ivan, isPrivate=True, memberIds=[olga.id])

        assert payload["__typename"] == "CreateChatSuccess"
        assert payload["created"] is True
        chat = payload["chat"]
        assert chat["isPrivate"] is True
        assert chat["title"] == "Olga Ivanova"  # the companion's name, for the creator
        assert chat["creator"]["username"] == "ivan"
        assert usernames(chat["members"]) == ["ivan", "olga"]
        assert chat["lastMessage"] is None
        assert chat["unreadMessagesCount"] == 0
        assert (await chat_of(http, olga, chat["id"]))["title"] == "Ivan Petrov"

    async def test_refuses_a_raw_uuid_member(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        payload = await create_chat(http, ivan, isPrivate=True, memberIds=[olga.raw_id])

        assert field_errors(payload) == {"memberIds": ["Every id must be a User id."]}
        assert (await chats_of(http, ivan))["totalCount"] == 0

    @pytest.mark.parametrize("from_companion", [False, True], ids=["same-creator", "companion"])
    async def test_refuses_a_second_private_chat_of_a_pair(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, from_companion: bool
    ) -> None:
        await create_private(http, ivan, olga)
        creator, companion = (olga, ivan) if from_companion else (ivan, olga)

        payload = await create_chat(http, creator, isPrivate=True, memberIds=[companion.id])

        assert field_errors(payload) == {
            "nonFieldErrors": ["Private chat with these members already exists"]
        }
        assert payload["code"] == "invalid"
        assert (await chats_of(http, ivan))["totalCount"] == 1

    @pytest.mark.parametrize("from_companion", [False, True], ids=["same-creator", "companion"])
    async def test_fallback_returns_the_existing_private_chat(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, from_companion: bool
    ) -> None:
        first = await create_private(http, ivan, olga)
        creator, companion = (olga, ivan) if from_companion else (ivan, olga)

        payload = await create_chat(
            http, creator, isPrivate=True, memberIds=[companion.id], fallback=True
        )

        assert payload["__typename"] == "CreateChatSuccess"
        assert payload["created"] is False
        assert payload["chat"]["id"] == first["id"]

    async def test_a_private_chat_needs_exactly_one_companion(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        seen = [
            field_errors(await create_chat(http, ivan, isPrivate=True, memberIds=members))
            for members in ([], [ivan.id], [olga.id, petr.id])  # nobody, self, two companions
        ]

        assert seen == [{"members": ["A private chat has exactly one companion."]}] * 3

    async def test_a_private_chat_with_an_unknown_user_is_refused(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        payload = await create_chat(http, ivan, isPrivate=True, memberIds=[unknown("User")])

        assert field_errors(payload) == {"members": ["Some of these users do not exist."]}

    async def test_creates_a_group(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        payload = await create_chat(
            http, ivan, isPrivate=False, title="Book club", memberIds=[olga.id, petr.id, olga.id]
        )

        assert payload["__typename"] == "CreateChatSuccess"
        assert payload["created"] is True
        chat = payload["chat"]
        assert (chat["title"], chat["isPrivate"], chat["avatar"]) == ("Book club", False, None)
        assert usernames(chat["members"]) == ["ivan", "olga", "petr"]  # the creator joins
        assert chat["creator"]["username"] == "ivan"
        assert titles(await chats_of(http, petr)) == ["Book club"]

    async def test_refuses_an_invalid_group(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        ids = {"OLGA": olga.id, "UNKNOWN": unknown("User"), "A-CHAT-ID": unknown("Chat")}
        required, empty = ["This field is required."], ["This list may not be empty."]
        table: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
            ({"memberIds": ["OLGA"]}, {"title": required}),
            ({"memberIds": ["OLGA"], "title": "   "}, {"title": required}),
            (
                {"memberIds": ["OLGA"], "title": "x" * 256},
                {"title": ["Ensure this field has no more than 255 characters."]},
            ),
            ({"memberIds": [], "title": "Club"}, {"members": empty}),
            ({"memberIds": []}, {"title": required, "members": empty}),
            (
                {"memberIds": ["OLGA", "UNKNOWN"], "title": "Club"},
                {"members": ["Some of these users do not exist."]},
            ),
            (
                {"memberIds": ["A-CHAT-ID"], "title": "Club"},
                {"memberIds": ["Every id must be a User id."]},
            ),
        ]

        seen = []
        for fields, _ in table:
            members = [ids[m] for m in fields["memberIds"]]
            payload = await create_chat(
                http, ivan, isPrivate=False, **{**fields, "memberIds": members}
            )
            seen.append(field_errors(payload))

        assert seen == [errors for _, errors in table]
        assert (await chats_of(http, ivan))["totalCount"] == 0

    async def test_fallback_holds_when_both_members_create_at_once(
        self, http: httpx.AsyncClient
    ) -> None:
        def create(owner: Person, companion: Person) -> Any:
            variables = {
                "input": {"isPrivate": True, "memberIds": [companion.id], "fallback": True}
            }
            return graphql(http, "CreateChat", variables, token=owner.token)

        refused: list[dict[str, Any]] = []
        # A pair's concurrent requests race between the lookup and the insert about nine times
        # in ten; a dozen pairs leave the bug no chance to hide.
        for i in range(12):
            left, right = await person(http, f"left{i}"), await person(http, f"right{i}")
            bodies = await asyncio.gather(
                create(left, right), create(right, left), create(left, right)
            )
            payloads = [data(body, "createChat") for body in bodies]
            refused = [p for p in payloads if p["__typename"] != "CreateChatSuccess"]
            if refused:
                break
            assert len({p["chat"]["id"] for p in payloads}) == 1
            assert sorted(p["created"] for p in payloads) == [False, False, True]

        assert refused == []


class TestUpdateChat:
    async def test_the_creator_renames_and_replaces_members(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])

        payload = await update_chat(http, ivan, chat["id"], title="Beta", memberIds=[petr.id])

        assert payload["__typename"] == "UpdateChatSuccess"
        updated = payload["chat"]
        assert (updated["id"], updated["title"]) == (chat["id"], "Beta")
        assert usernames(updated["members"]) == ["ivan", "petr"]  # the creator always stays
        assert updated["updatedAt"] > chat["updatedAt"]
        assert titles(await chats_of(http, petr)) == ["Beta"]
        assert (await chats_of(http, olga))["totalCount"] == 0

    async def test_without_changes_keeps_the_title(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])

        payload = await update_chat(http, ivan, chat["id"], title="")

        assert payload["chat"]["title"] == "Alpha"
        assert usernames(payload["chat"]["members"]) == ["ivan", "olga"]

    async def test_a_member_who_is_not_the_creator_is_refused(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])

        payload = await update_chat(http, olga, chat["id"], title="Mine")

        assert payload["__typename"] == "PermissionDeniedError"
        assert payload["code"] == "permission_denied"
        assert (await chat_of(http, ivan, chat["id"]))["title"] == "Alpha"

    async def test_a_private_chat_cannot_be_changed(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)

        payload = await update_chat(http, ivan, chat["id"], title="Ours")

        assert payload["__typename"] == "ConflictError"
        assert payload["message"] == "A private chat cannot be changed."

    async def test_unknown_chat_and_invalid_fields(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])

        missing = await update_chat(http, ivan, unknown("Chat"), title="X")
        long_title = await update_chat(http, ivan, chat["id"], title="x" * 256)
        no_members = await update_chat(http, ivan, chat["id"], memberIds=[])
        stranger = await update_chat(http, ivan, chat["id"], memberIds=[unknown("User")])

        assert missing["__typename"] == "NotFoundError"
        assert field_errors(long_title) == {
            "title": ["Ensure this field has no more than 255 characters."]
        }
        assert field_errors(no_members) == {"members": ["This list may not be empty."]}
        assert field_errors(stranger) == {"members": ["Some of these users do not exist."]}
        after = await chat_of(http, ivan, chat["id"])
        assert (after["title"], usernames(after["members"])) == ("Alpha", ["ivan", "olga"])


class TestDeleteChat:
    async def test_the_creator_deletes_a_group(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])
        await send(http, olga, chat["id"], "hi")

        payload = await on_chat(http, "DeleteChat", ivan, chat["id"])

        assert payload == {"__typename": "DeleteChatSuccess", "chatId": chat["id"]}
        assert (await chats_of(http, olga))["totalCount"] == 0
        gone = await graphql(http, "Chat", {"id": chat["id"]}, token=ivan.token)
        assert gone == {"data": {"chat": None}}

    async def test_a_member_may_not_delete_a_group(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])

        payload = await on_chat(http, "DeleteChat", olga, chat["id"])

        assert payload["__typename"] == "PermissionDeniedError"
        assert (await chats_of(http, ivan))["totalCount"] == 1

    async def test_either_member_deletes_a_private_chat(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)

        payload = await on_chat(http, "DeleteChat", olga, chat["id"])

        assert payload["__typename"] == "DeleteChatSuccess"
        assert (await chats_of(http, ivan))["totalCount"] == 0
        # The pair may start a new one afterwards.
        again = await create_chat(http, ivan, isPrivate=True, memberIds=[olga.id])
        assert again["created"] is True

    async def test_an_unknown_chat_is_not_found(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        assert (await on_chat(http, "DeleteChat", ivan, unknown("Chat")))["__typename"] == (
            "NotFoundError"
        )


class TestLeaveChat:
    async def test_a_member_leaves_a_group(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga, petr])

        payload = await on_chat(http, "LeaveChat", olga, chat["id"])

        assert payload == {"__typename": "LeaveChatSuccess", "chatId": chat["id"]}
        assert (await chats_of(http, olga))["totalCount"] == 0
        assert usernames((await chat_of(http, ivan, chat["id"]))["members"]) == ["ivan", "petr"]
        body = await graphql(http, "Chat", {"id": chat["id"]}, token=olga.token)
        assert body == {"data": {"chat": None}}

    async def test_the_creator_cannot_leave(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])

        payload = await on_chat(http, "LeaveChat", ivan, chat["id"])

        assert payload["__typename"] == "ValidationError"
        assert payload["message"] == "Creator can't leave the chat"
        assert (await chats_of(http, ivan))["totalCount"] == 1

    async def test_nobody_leaves_a_private_chat(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)

        payload = await on_chat(http, "LeaveChat", olga, chat["id"])

        assert payload["__typename"] == "ValidationError"
        assert payload["message"] == "Chat must not be private"
        assert (await chats_of(http, olga))["totalCount"] == 1

    async def test_a_non_member_and_an_unknown_chat(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_group(http, ivan, "Alpha", [olga])

        stranger = await on_chat(http, "LeaveChat", petr, chat["id"])
        missing = await on_chat(http, "LeaveChat", olga, unknown("Chat"))

        assert stranger["__typename"] == "NotFoundError"  # an outsider learns nothing more
        assert missing["__typename"] == "NotFoundError"


class TestSendMessage:
    async def test_sends_text(self, http: httpx.AsyncClient, ivan: Person, olga: Person) -> None:
        chat = await create_private(http, ivan, olga)

        payload = await send_message(http, olga, chatId=chat["id"], text="Привет!")

        assert payload["__typename"] == "SendMessageSuccess"
        message = payload["message"]
        assert GlobalID.from_id(message["id"]).type_name == "Message"
        assert message["chatId"] == chat["id"]
        assert (message["text"], message["voice"], message["files"]) == ("Привет!", None, [])
        assert message["sender"]["username"] == "olga"
        assert message["wasReadBy"] == []
        assert message["createdAt"] == message["updatedAt"]
        [listed] = nodes(await chats_of(http, ivan))
        assert listed["lastMessage"]["id"] == message["id"]
        assert listed["unreadMessagesCount"] == 1
        assert listed["updatedAt"] == message["createdAt"]

    async def test_accepts_exactly_500_characters(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)

        payload = await send_message(http, ivan, chatId=chat["id"], text="я" * 500)

        assert payload["__typename"] == "SendMessageSuccess"

    async def test_refuses_an_invalid_message(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        nothing = {"nonFieldErrors": ["A message needs text, files or a voice recording."]}
        table: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
            ({"text": "я" * 501}, {"text": ["Ensure this field has no more than 500 characters."]}),
            ({}, nothing),
            ({"text": ""}, nothing),
            ({"text": "a\x00b"}, {"text": ["Null characters are not allowed."]}),
        ]

        seen = [
            field_errors(await send_message(http, ivan, chatId=chat["id"], **fields))
            for fields, _ in table
        ]

        assert seen == [errors for _, errors in table]
        assert (await messages_of(http, ivan, chat["id"]))["totalCount"] == 0

    async def test_a_non_member_is_refused(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)

        payload = await send_message(http, petr, chatId=chat["id"], text="hi")

        assert payload["__typename"] == "NotFoundError"
        assert payload["errorMessage"] == "No Chat matches the given query."
        assert (await messages_of(http, ivan, chat["id"]))["totalCount"] == 0

    async def test_an_unknown_chat_is_not_found(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        payload = await send_message(http, ivan, chatId=unknown("Chat"), text="hi")

        assert payload["__typename"] == "NotFoundError"
        assert payload["code"] == "not_found"

    async def test_an_id_that_is_no_chat_id_is_invalid(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        payload = await send_message(http, ivan, chatId=ivan.id, text="hi")

        assert field_errors(payload) == {"chatId": ["Not a Chat id."]}

    async def test_a_raw_uuid_is_no_chat_id(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)

        payload = await send_message(http, ivan, chatId=raw(chat["id"]), text="hi")

        assert field_errors(payload) == {"chatId": ["Not a Chat id."]}
        assert (await messages_of(http, ivan, chat["id"]))["totalCount"] == 0


class TestEditMessage:
    async def test_the_sender_edits_and_updated_at_moves(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        sent = await send(http, olga, chat["id"], "helo")

        payload = await edit(http, olga, sent["id"], "hello")

        assert payload["__typename"] == "EditMessageSuccess"
        edited = payload["message"]
        assert (edited["id"], edited["text"]) == (sent["id"], "hello")
        assert edited["createdAt"] == sent["createdAt"]
        assert edited["updatedAt"] > sent["updatedAt"]
        assert texts(await messages_of(http, ivan, chat["id"])) == ["hello"]

    async def test_another_member_may_not_edit(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        sent = await send(http, olga, chat["id"], "mine")

        payload = await edit(http, ivan, sent["id"], "yours")

        assert payload["__typename"] == "PermissionDeniedError"
        assert payload["errorMessage"] == "Only the sender may change or delete a message."
        assert texts(await messages_of(http, ivan, chat["id"])) == ["mine"]

    @pytest.mark.parametrize(
        ("text", "errors"),
        [
            pytest.param(
                "x" * 501,
                {"text": ["Ensure this field has no more than 500 characters."]},
                id="too-long",
            ),
            pytest.param("", {"text": ["This field may not be blank."]}, id="blank"),
        ],
    )
    async def test_refuses_invalid_text(
        self,
        http: httpx.AsyncClient,
        ivan: Person,
        olga: Person,
        text: str,
        errors: dict[str, list[str]],
    ) -> None:
        chat = await create_private(http, ivan, olga)
        sent = await send(http, olga, chat["id"], "original")

        payload = await edit(http, olga, sent["id"], text)

        assert field_errors(payload) == errors
        assert texts(await messages_of(http, ivan, chat["id"])) == ["original"]

    async def test_an_unknown_message_is_not_found(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        assert (await edit(http, ivan, unknown("Message"), "x"))["__typename"] == "NotFoundError"


class TestDeleteMessage:
    async def test_the_sender_deletes(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        first = await send(http, olga, chat["id"], "first")
        second = await send(http, olga, chat["id"], "second")

        payload = await on_message(http, "DeleteMessage", olga, second["id"])

        assert payload == {"__typename": "DeleteMessageSuccess", "messageId": second["id"]}
        assert texts(await messages_of(http, ivan, chat["id"])) == ["first"]
        [listed] = nodes(await chats_of(http, ivan))
        assert listed["lastMessage"]["id"] == first["id"]
        assert listed["unreadMessagesCount"] == 1
        gone = await graphql(http, "Message", {"id": second["id"]}, token=ivan.token)
        assert gone == {"data": {"message": None}}

    async def test_another_member_may_not_delete(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        sent = await send(http, olga, chat["id"], "mine")

        payload = await on_message(http, "DeleteMessage", ivan, sent["id"])

        assert payload["__typename"] == "PermissionDeniedError"
        assert texts(await messages_of(http, ivan, chat["id"])) == ["mine"]

    async def test_an_unknown_message_is_not_found(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        payload = await on_message(http, "DeleteMessage", ivan, unknown("Message"))

        assert payload["__typename"] == "NotFoundError"


class TestReadMessage:
    async def test_reads_the_message_and_every_earlier_one(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_group(http, olga, "Alpha", [ivan, petr])
        sent = [await send(http, olga, chat["id"], f"m{i}") for i in range(3)]

        payload = await on_message(http, "ReadMessage", ivan, sent[1]["id"])

        assert payload["__typename"] == "ReadMessageSuccess"
        assert payload["message"]["id"] == sent[1]["id"]
        assert [u["username"] for u in payload["message"]["wasReadBy"]] == ["ivan"]
        page = await messages_of(http, olga, chat["id"])
        readers = {n["text"]: [u["username"] for u in n["wasReadBy"]] for n in nodes(page)}
        assert readers == {"m2": [], "m1": ["ivan"], "m0": ["ivan"]}
        [mine] = nodes(await chats_of(http, ivan))
        [his] = nodes(await chats_of(http, petr))
        assert (mine["unreadMessagesCount"], his["unreadMessagesCount"]) == (1, 3)

    async def test_reading_an_older_message_unreads_nothing(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, olga, ivan)
        first = await send(http, olga, chat["id"], "first")
        second = await send(http, olga, chat["id"], "second")
        await on_message(http, "ReadMessage", ivan, second["id"])

        payload = await on_message(http, "ReadMessage", ivan, first["id"])

        assert [u["username"] for u in payload["message"]["wasReadBy"]] == ["ivan"]
        [listed] = nodes(await chats_of(http, ivan))
        assert listed["unreadMessagesCount"] == 0
        assert [u["username"] for u in listed["lastMessage"]["wasReadBy"]] == ["ivan"]

    async def test_the_sender_does_not_read_their_own_message(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        sent = await send(http, olga, chat["id"], "mine")

        payload = await on_message(http, "ReadMessage", olga, sent["id"])

        assert payload["__typename"] == "ValidationError"
        assert payload["errorMessage"] == "The sender does not read their own message."
        assert (await messages_of(http, olga, chat["id"]))["edges"][0]["node"]["wasReadBy"] == []

    async def test_a_non_member_and_an_unknown_message(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        sent = await send(http, olga, chat["id"], "hi")

        stranger = await on_message(http, "ReadMessage", petr, sent["id"])
        missing = await on_message(http, "ReadMessage", ivan, unknown("Message"))

        assert stranger["__typename"] == "NotFoundError"  # an outsider learns nothing more
        assert missing["__typename"] == "NotFoundError"


class TestReadAllMessages:
    async def test_reads_everything_and_names_what_it_read(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        first = await send(http, olga, chat["id"], "one")
        await send(http, ivan, chat["id"], "mine")
        second = await send(http, olga, chat["id"], "two")
        assert nodes(await chats_of(http, ivan))[0]["unreadMessagesCount"] == 2

        payload = await on_chat(http, "ReadAllMessages", ivan, chat["id"])

        assert payload["__typename"] == "ReadAllMessagesSuccess"
        assert payload["chatId"] == chat["id"]
        assert payload["messageIds"] == [first["id"], second["id"]]
        assert nodes(await chats_of(http, ivan))[0]["unreadMessagesCount"] == 0
        page = await messages_of(http, olga, chat["id"])
        readers = {n["text"]: [u["username"] for u in n["wasReadBy"]] for n in nodes(page)}
        assert readers == {"two": ["ivan"], "mine": [], "one": ["ivan"]}

    async def test_with_nothing_unread_reads_nothing(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        await send(http, ivan, chat["id"], "mine")

        empty = await on_chat(http, "ReadAllMessages", olga, unknown("Chat"))
        payload = await on_chat(http, "ReadAllMessages", ivan, chat["id"])

        assert empty["__typename"] == "NotFoundError"
        assert payload == {
            "__typename": "ReadAllMessagesSuccess",
            "chatId": chat["id"],
            "messageIds": [],
        }

    async def test_a_non_member_is_refused(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person, petr: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)

        payload = await on_chat(http, "ReadAllMessages", petr, chat["id"])

        assert payload["__typename"] == "NotFoundError"


class TestUpdateProfile:
    async def test_changes_names_and_bio(self, http: httpx.AsyncClient, ivan: Person) -> None:
        payload = await update_profile(http, ivan, firstName="Иван", lastName="Иванов", bio="Hi")

        assert payload["__typename"] == "UpdateProfileSuccess"
        user = payload["user"]
        assert (user["firstName"], user["lastName"], user["bio"]) == ("Иван", "Иванов", "Hi")
        viewer = data(await graphql(http, "Viewer", token=ivan.token), "viewer")
        assert (viewer["firstName"], viewer["lastName"], viewer["bio"]) == ("Иван", "Иванов", "Hi")

    async def test_leaves_fields_not_given_alone(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        payload = await update_profile(http, ivan, bio="Only the bio")

        user = payload["user"]
        assert (user["firstName"], user["lastName"], user["bio"]) == (
            "Ivan",
            "Petrov",
            "Only the bio",
        )

    async def test_refuses_bad_names_field_by_field(
        self, http: httpx.AsyncClient, ivan: Person
    ) -> None:
        payload = await update_profile(
            http, ivan, firstName="Ivan2", lastName="P" * 21, bio="a\x00"
        )

        assert field_errors(payload) == {
            "firstName": ["Only letters are allowed."],
            "lastName": ["Ensure this field has no more than 20 characters."],
            "bio": ["Null characters are not allowed."],
        }
        viewer = data(await graphql(http, "Viewer", token=ivan.token), "viewer")
        assert (viewer["firstName"], viewer["lastName"], viewer["bio"]) == ("Ivan", "Petrov", None)

    async def test_a_new_name_shows_in_the_companions_chat_title(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)

        await update_profile(http, olga, lastName="Petrova")

        assert (await chat_of(http, ivan, chat["id"]))["title"] == "Olga Petrova"


class TestDeleteAccount:
    async def test_ends_every_session(self, http: httpx.AsyncClient, olga: Person) -> None:
        payload = data(await graphql(http, "DeleteAccount", token=olga.token), "deleteAccount")

        assert payload == {"__typename": "DeleteAccountSuccess", "userId": olga.id}
        viewer = await graphql(http, "Viewer", token=olga.token)
        assert viewer["data"] == {"viewer": None}
        assert error_codes(viewer) == ["UNAUTHENTICATED"]
        assert (await refresh(http, olga.tokens.refresh))["__typename"] == "AuthenticationError"
        login = await graphql(http, "Login", {"input": {"username": "olga", "password": PASSWORD}})
        assert login["data"]["login"]["__typename"] == "AuthenticationError"
        again = await graphql(http, "DeleteAccount", token=olga.token)
        assert error_codes(again) == ["UNAUTHENTICATED"]

    async def test_messages_keep_an_anonymised_sender(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        chat = await create_private(http, ivan, olga)
        await send(http, olga, chat["id"], "bye")

        await graphql(http, "DeleteAccount", token=olga.token)

        [message] = nodes(await messages_of(http, ivan, chat["id"]))
        sender = message["sender"]
        assert sender is not None, "schema allows null here; the account row stays"
        assert sender["isDeleted"] is True
        assert (sender["firstName"], sender["lastName"], sender["bio"]) == ("", "", None)
        assert sender["username"] != "olga"
        assert sender["isOnline"] is False
        listed = await chat_of(http, ivan, chat["id"])
        assert listed["title"] == "Удалённый Пользователь"
        deleted = [m for m in listed["members"] if m["id"] == olga.id]
        assert [m["isDeleted"] for m in deleted] == [True]

    async def test_frees_the_username_and_refuses_the_user_as_a_member(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        await graphql(http, "DeleteAccount", token=olga.token)

        refused = await create_chat(http, ivan, isPrivate=True, memberIds=[olga.id])
        await register(http, "olga")

        assert field_errors(refused) == {"members": ["Some of these users do not exist."]}

    async def test_needs_authentication(self, http: httpx.AsyncClient) -> None:
        body = await graphql(http, "DeleteAccount")

        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]


class TestPresenceMutations:
    async def test_go_offline_and_online_flip_is_online(
        self, http: httpx.AsyncClient, ivan: Person, olga: Person
    ) -> None:
        async def seen_by_ivan() -> bool:
            body = await graphql(http, "MessengerUsers", {"first": 10}, token=ivan.token)
            [user] = nodes(data(body, "users"))
            online: bool = user["isOnline"]
            return online

        offline = data(await graphql(http, "GoOffline", token=olga.token), "goOffline")["user"]
        assert offline["isOnline"] is False
        assert offline["lastOnlineAt"] is not None
        assert await seen_by_ivan() is False

        online = data(await graphql(http, "GoOnline", token=olga.token), "goOnline")["user"]
        assert online["isOnline"] is True
        assert online["lastOnlineAt"] >= offline["lastOnlineAt"]
        assert await seen_by_ivan() is True

        assert (
            data(await graphql(http, "GoOffline", token=olga.token), "goOffline")["user"][
                "isOnline"
            ]
            is False
        )
        assert await seen_by_ivan() is False
