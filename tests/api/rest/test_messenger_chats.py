"""Seed 001 chats over real HTTP: private and group creation, the chat list, detail, changes,
deletion, leaving and unread counters (docs/rest.md, "001 Messenger")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.accounts.model import User
from tests.api.rest.messenger_factories import (
    ISO,
    NO_CHAT,
    NOT_A_MEMBER,
    NOT_THE_CREATOR,
    PNG,
    Actor,
    MediaUrl,
    actor,
    actors,
    chat_view,
    created,
    get_json,
    group_chat,
    ids,
    missing_id,
    private_chat,
    send,
)
from tests.conftest import ORIGIN

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

PRIVATE_EXISTS = ["Private chat with these members already exists"]
ONE_COMPANION = {"members": ["A private chat has exactly one companion."]}
UNKNOWN_USERS = {"members": ["Some of these users do not exist."]}
PRIVATE_IMMUTABLE = {"detail": "A private chat cannot be changed."}


def by_id(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(users, key=lambda user: str(user["id"]))


async def chat_list(http: httpx.AsyncClient, who: Actor, query: str = "") -> dict[str, Any]:
    body: dict[str, Any] = await get_json(http, who, f"/api/chats/?page_size=100{query}")
    return body


async def post_chat(
    http: httpx.AsyncClient, who: Actor, body: dict[str, Any], query: str = ""
) -> httpx.Response:
    return await http.post(f"/api/chats/{query}", json=body, headers=who.headers)


class TestCreatePrivate:
    async def test_title_and_avatar_are_the_companions_from_each_side(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        owner = await actor(http, runtime, first_name="Ivan", last_name="Petrov")
        companion = await actor(http, runtime, first_name="Maria", last_name="Petrova")
        avatar = await http.patch(
            "/api/user/current/",
            files={"avatar": ("maria.png", PNG, "image/png")},
            headers=companion.headers,
        )
        assert avatar.status_code == 200, avatar.text
        companion_json = companion.json(is_online=True, avatar=avatar.json()["avatar"])

        response = await post_chat(http, owner, {"is_private": True, "members": [companion.id]})

        chat = created(response)
        assert chat == {
            "id": chat["id"],
            "title": "Maria Petrova",
            "members": chat["members"],
            "creator": owner.json(is_online=True),
            "avatar": MediaUrl(ORIGIN, "maria.png"),
            "created_at": ISO,
            "updated_at": ISO,
            "is_private": True,
            "last_message": None,
            "unread_messages_count": 0,
        }
        assert chat["avatar"] == companion_json["avatar"]
        assert by_id(chat["members"]) == by_id([owner.json(is_online=True), companion_json])
        assert uuid.UUID(chat["id"])
        seen = await chat_view(http, companion, chat["id"])
        assert (seen["title"], seen["avatar"]) == ("Ivan Petrov", None)
        assert seen["creator"] == owner.json(is_online=True)
        assert (seen["id"], seen["created_at"]) == (chat["id"], chat["created_at"])

    async def test_exactly_one_existing_companion(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, one, two = await actors(http, runtime, 3)
        cases: dict[str, list[str]] = {
            "none": [],
            "two": [one.id, two.id],
            "self": [me.id],
            "unknown": [missing_id()],
        }

        answers = {}
        for name, members in cases.items():
            response = await post_chat(http, me, {"is_private": True, "members": members})
            answers[name] = (response.status_code, response.json())

        assert answers == {
            "none": (400, ONE_COMPANION),
            "two": (400, ONE_COMPANION),
            "self": (400, ONE_COMPANION),
            "unknown": (400, UNKNOWN_USERS),
        }
        assert (await chat_list(http, me))["count"] == 0

    async def test_second_chat_of_a_pair_is_refused_or_falls_back(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        owner, companion = await actors(http, runtime, 2)
        first = await private_chat(http, owner, companion)

        again = await post_chat(http, owner, {"is_private": True, "members": [companion.id]})
        reverse = await post_chat(http, companion, {"is_private": True, "members": [owner.id]})
        fallback = await post_chat(
            http, companion, {"is_private": True, "members": [owner.id]}, "?fallback=on"
        )

        assert (again.status_code, again.json()) == (400, PRIVATE_EXISTS)
        assert (reverse.status_code, reverse.json()) == (400, PRIVATE_EXISTS)
        assert fallback.status_code == 201, fallback.text
        assert fallback.json()["id"] == first["id"]
        assert fallback.json()["title"] == f"{owner.first_name} {owner.last_name}"
        assert ids((await chat_list(http, owner))["results"]) == [first["id"]]

    async def test_is_private_is_required(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other = await actors(http, runtime, 2)

        response = await post_chat(http, me, {"members": [other.id], "title": "T"})

        assert response.status_code == 400
        assert response.json() == {"is_private": ["This field is required."]}


class TestCreateGroup:
    async def test_creator_is_added_to_the_members(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        creator, one, two = await actors(http, runtime, 3)
        await get_json(http, one, "/api/user/current/")  # online, like the others

        response = await post_chat(
            http, creator, {"is_private": False, "title": "Team", "members": [one.id, two.id]}
        )

        chat = created(response)
        assert chat == {
            "id": chat["id"],
            "title": "Team",
            "members": chat["members"],
            "creator": creator.json(is_online=True),
            "avatar": None,
            "created_at": ISO,
            "updated_at": ISO,
            "is_private": False,
            "last_message": None,
            "unread_messages_count": 0,
        }
        assert by_id(chat["members"]) == by_id(
            [creator.json(is_online=True), one.json(is_online=True), two.json(is_online=False)]
        )
        assert (await chat_view(http, two, chat["id"]))["title"] == "Team"

    async def test_invalid_groups_are_refused_and_not_created(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, other = await actors(http, runtime, 2)
        cases: dict[str, dict[str, Any]] = {
            "no_title": {"members": [other.id]},
            "blank_title": {"title": "   ", "members": [other.id]},
            "no_members": {"title": "T"},
            "empty_members": {"title": "T", "members": []},
            "nothing": {},
            "too_many": {"title": "T", "members": [missing_id() for _ in range(101)]},
            "unknown_member": {"title": "T", "members": [other.id, missing_id()]},
            "malformed_member": {"title": "T", "members": ["not-a-uuid"]},
        }

        answers = {}
        for name, body in cases.items():
            response = await post_chat(http, me, {"is_private": False, **body})
            answers[name] = (response.status_code, response.json())

        required = ["This field is required."]
        not_empty = ["This list may not be empty."]
        assert answers == {
            "no_title": (400, {"title": required}),
            "blank_title": (400, {"title": required}),
            "no_members": (400, {"members": not_empty}),
            "empty_members": (400, {"members": not_empty}),
            "nothing": (400, {"title": required, "members": not_empty}),
            "too_many": (400, {"members": ["Ensure this field has no more than 100 elements."]}),
            "unknown_member": (400, UNKNOWN_USERS),
            "malformed_member": (400, {"members": ["Must be a list of valid UUIDs."]}),
        }
        assert (await chat_list(http, me))["count"] == 0

    async def test_a_hundred_members_besides_the_creator_are_allowed(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        others = [User(username=f"member{i}", password_hash="!") for i in range(100)]
        async with runtime.uow() as uow:
            uow.session.add_all(others)
            await uow.commit()
        member_ids = [str(user.id) for user in others]

        response = await post_chat(
            http, me, {"is_private": False, "title": "Crowd", "members": member_ids}
        )

        chat = created(response)
        assert sorted(ids(chat["members"])) == sorted([me.id, *member_ids])

    async def test_multipart_group_with_avatar(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        creator, one, two = await actors(http, runtime, 3)

        response = await http.post(
            "/api/chats/",
            data={"is_private": "false", "title": "Team", "members": [one.id, two.id]},
            files={"avatar": ("team.png", PNG, "image/png")},
            headers=creator.headers,
        )

        chat = created(response)
        assert chat["title"] == "Team"
        assert chat["is_private"] is False
        assert sorted(ids(chat["members"])) == sorted([creator.id, one.id, two.id])
        assert chat["avatar"] == MediaUrl(ORIGIN, "team.png")
        served = await http.get(chat["avatar"])
        assert (served.status_code, served.content) == (200, PNG)
        assert (await chat_view(http, one, chat["id"]))["avatar"] == chat["avatar"]


class TestChatList:
    async def test_only_own_chats_liveliest_first(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, other, outsider = await actors(http, runtime, 3)
        first = await group_chat(http, me, [other], "first")
        second = await group_chat(http, me, [other], "second")
        third = await group_chat(http, other, [me], "third")
        await group_chat(http, outsider, [other], "not mine")
        assert ids((await chat_list(http, me))["results"]) == [
            third["id"],
            second["id"],
            first["id"],
        ]

        message = await send(http, other, first["id"], "bump")

        body = await chat_list(http, me)
        assert ids(body["results"]) == [first["id"], third["id"], second["id"]]
        assert body["count"] == 3
        assert body["results"][0]["last_message"] == message
        assert body["results"][0]["updated_at"] == message["created_at"]
        assert body["results"][0]["unread_messages_count"] == 1
        assert [c["last_message"] for c in body["results"][1:]] == [None, None]

    async def test_search_over_group_title_and_private_companion_names(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime, first_name="Ivan", last_name="Ivanov")
        maria = await actor(http, runtime, first_name="Maria", last_name="Petrova")
        oleg = await actor(http, runtime, first_name="Oleg", last_name="Backendov")
        await group_chat(http, me, [maria], "Backend team")
        await group_chat(http, maria, [me], "Frontend team")
        await group_chat(http, me, [oleg], "Design")
        await private_chat(http, me, maria)
        await private_chat(http, oleg, me)
        expected = {
            "team": ["Frontend team", "Backend team"],
            "BACKEND": ["Oleg Backendov", "Backend team"],
            "backend team": ["Backend team"],
            "petrova": ["Maria Petrova"],
            "maria petrova": ["Maria Petrova"],
            "ivanov": [],  # the caller's own name matches nothing
            "design": ["Design"],
        }

        found = {}
        for search, _ in expected.items():
            body = await chat_list(http, me, f"&search={search}")
            found[search] = (body["count"], [chat["title"] for chat in body["results"]])

        assert found == {search: (len(titles), titles) for search, titles in expected.items()}


class TestChatDetail:
    async def test_members_only(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other, outsider = await actors(http, runtime, 3)
        chat = await group_chat(http, me, [other])
        answers = {}

        for name, who, chat_id in [
            ("member", other, chat["id"]),
            ("outsider", outsider, chat["id"]),
            ("missing", me, missing_id()),
            ("malformed", me, "not-a-uuid"),
        ]:
            response = await http.get(f"/api/chat/{chat_id}/", headers=who.headers)
            answers[name] = (response.status_code, response.json())

        assert answers["member"][0] == 200
        assert answers["member"][1]["id"] == chat["id"]
        assert answers["outsider"] == (403, NOT_A_MEMBER)
        assert answers["missing"] == (404, NO_CHAT)
        assert answers["malformed"] == (404, NO_CHAT)


class TestChatUpdate:
    async def test_creator_renames_and_replaces_members_keeping_themself(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        creator, stays, goes, joins = await actors(http, runtime, 4)
        chat = await group_chat(http, creator, [stays, goes], "Old")

        response = await http.patch(
            f"/api/chat/{chat['id']}/",
            json={"title": "New", "members": [stays.id, joins.id]},
            headers=creator.headers,
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["title"] == "New"
        assert sorted(ids(body["members"])) == sorted([creator.id, stays.id, joins.id])
        assert body["creator"]["id"] == creator.id
        assert datetime.fromisoformat(body["updated_at"]) > datetime.fromisoformat(
            chat["updated_at"]
        )
        assert (await chat_view(http, joins, chat["id"]))["title"] == "New"
        gone = await http.get(f"/api/chat/{chat['id']}/", headers=goes.headers)
        assert (gone.status_code, gone.json()) == (403, NOT_A_MEMBER)

    async def test_title_alone_keeps_the_members(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        creator, one = await actors(http, runtime, 2)
        chat = await group_chat(http, creator, [one], "Old")

        response = await http.patch(
            f"/api/chat/{chat['id']}", json={"title": "Renamed"}, headers=creator.headers
        )

        assert response.status_code == 200, response.text
        assert response.json()["title"] == "Renamed"
        assert sorted(ids(response.json()["members"])) == sorted([creator.id, one.id])

    async def test_only_the_creator_of_a_group_changes_it(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        creator, member, outsider = await actors(http, runtime, 3)
        group = await group_chat(http, creator, [member], "Old")
        private = await private_chat(http, creator, member)
        answers = {}

        for name, who, chat_id in [
            ("member", member, group["id"]),
            ("outsider", outsider, group["id"]),
            ("private_creator", creator, private["id"]),
            ("private_companion", member, private["id"]),
            ("missing", creator, missing_id()),
        ]:
            response = await http.patch(
                f"/api/chat/{chat_id}/", json={"title": "Hacked"}, headers=who.headers
            )
            answers[name] = (response.status_code, response.json())

        assert answers == {
            "member": (403, NOT_THE_CREATOR),
            "outsider": (403, NOT_A_MEMBER),
            "private_creator": (405, PRIVATE_IMMUTABLE),
            "private_companion": (405, PRIVATE_IMMUTABLE),
            "missing": (404, NO_CHAT),
        }
        assert (await chat_view(http, member, group["id"]))["title"] == "Old"


class TestChatDelete:
    async def test_any_member_deletes_a_private_chat(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        owner, companion = await actors(http, runtime, 2)
        chat = await private_chat(http, owner, companion)
        message = await send(http, owner, chat["id"])

        response = await http.delete(f"/api/chat/{chat['id']}/", headers=companion.headers)

        assert response.status_code == 204
        assert response.content == b""
        gone = await http.get(f"/api/chat/{chat['id']}/", headers=owner.headers)
        assert (gone.status_code, gone.json()) == (404, NO_CHAT)
        lost = await http.get(f"/api/message/{message['id']}/", headers=owner.headers)
        assert lost.status_code == 404
        assert (await chat_list(http, owner))["count"] == 0
        # The pair may start again.
        assert (await private_chat(http, owner, companion))["id"] != chat["id"]

    async def test_only_the_creator_deletes_a_group(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        creator, member, outsider = await actors(http, runtime, 3)
        chat = await group_chat(http, creator, [member])
        path = f"/api/chat/{chat['id']}/"

        by_member = await http.delete(path, headers=member.headers)
        by_outsider = await http.delete(path, headers=outsider.headers)
        assert (by_member.status_code, by_member.json()) == (403, NOT_THE_CREATOR)
        assert (by_outsider.status_code, by_outsider.json()) == (403, NOT_A_MEMBER)
        assert (await chat_view(http, member, chat["id"]))["id"] == chat["id"]

        by_creator = await http.delete(path, headers=creator.headers)

        assert by_creator.status_code == 204
        assert (await http.get(path, headers=member.headers)).status_code == 404
        missing = await http.delete(path, headers=creator.headers)
        assert (missing.status_code, missing.json()) == (404, NO_CHAT)


class TestLeave:
    async def test_refusals(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        creator, member, outsider = await actors(http, runtime, 3)
        group = await group_chat(http, creator, [member])
        private = await private_chat(http, creator, member)
        answers = {}

        for name, who, chat_id in [
            ("private", member, private["id"]),
            ("creator", creator, group["id"]),
            ("outsider", outsider, group["id"]),
            ("missing", member, missing_id()),
        ]:
            response = await http.post(f"/api/chat/{chat_id}/leave/", headers=who.headers)
            answers[name] = (response.status_code, response.json())

        assert answers == {
            "private": (400, {"detail": "Chat must not be private"}),
            "creator": (400, {"detail": "Creator can't leave the chat"}),
            "outsider": (403, NOT_A_MEMBER),
            "missing": (404, NO_CHAT),
        }
        assert len((await chat_view(http, creator, group["id"]))["members"]) == 2

    async def test_a_member_leaves(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        creator, leaver, stays = await actors(http, runtime, 3)
        chat = await group_chat(http, creator, [leaver, stays])

        response = await http.post(f"/api/chat/{chat['id']}/leave/", headers=leaver.headers)

        assert response.status_code == 200, response.text
        assert response.json() == {"detail": "You leave the chat"}
        members = (await chat_view(http, creator, chat["id"]))["members"]
        assert sorted(ids(members)) == sorted([creator.id, stays.id])
        assert (await chat_list(http, leaver))["count"] == 0
        again = await http.post(f"/api/chat/{chat['id']}/leave", headers=leaver.headers)
        assert (again.status_code, again.json()) == (403, NOT_A_MEMBER)


class TestUnreadCount:
    async def test_counts_others_messages_until_read(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)
        theirs = [await send(http, other, chat["id"], f"m{i}") for i in range(3)]
        mine = await send(http, me, chat["id"], "mine")

        async def unread(who: Actor) -> tuple[int, int]:
            listed = (await chat_list(http, who))["results"][0]["unread_messages_count"]
            return (await chat_view(http, who, chat["id"]))["unread_messages_count"], listed

        assert await unread(me) == (3, 3)  # my own message never counts
        assert await unread(other) == (1, 1)
        assert (await chat_view(http, me, chat["id"]))["last_message"] == mine

        read = await http.post(f"/api/message/{theirs[1]['id']}/read/", headers=me.headers)
        assert read.status_code == 200, read.text
        assert await unread(me) == (1, 1)

        read_all = await http.post(f"/api/messages/read_all/?chat={chat['id']}", headers=me.headers)
        assert read_all.status_code == 200, read_all.text
        assert read_all.json() == {"chat": chat["id"], "user": me.id, "messages": [theirs[2]["id"]]}
        assert await unread(me) == (0, 0)
        assert await unread(other) == (1, 1)

    async def test_group_counts_per_reader(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        creator, one, two = await actors(http, runtime, 3)
        chat = await group_chat(http, creator, [one, two])
        await send(http, creator, chat["id"], "a")
        await send(http, one, chat["id"], "b")
        last = await send(http, two, chat["id"], "c")

        read = await http.post(f"/api/message/{last['id']}/read/", headers=one.headers)
        assert read.status_code == 200, read.text

        counts = {
            who.id: (await chat_view(http, who, chat["id"]))["unread_messages_count"]
            for who in (creator, one, two)
        }
        assert counts == {creator.id: 2, one.id: 0, two.id: 2}
