"""Seed 001 users over real HTTP: profiles, avatars, account deletion, presence and the user
list (docs/rest.md, "001 Messenger")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.api.rest.factories import PASSWORD, messenger_registration
from tests.api.rest.messenger_factories import (
    DELETED_USER,
    GIF,
    JPEG,
    NO_USER,
    PNG,
    TOKEN_NOT_VALID,
    Actor,
    MediaUrl,
    actor,
    get_json,
    missing_id,
    private_chat,
    send,
)
from tests.conftest import ORIGIN

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

USER_KEYS = {
    "id",
    "username",
    "first_name",
    "last_name",
    "bio",
    "avatar",
    "is_online",
    "last_online_at",
}
OWN_ACCOUNT_ONLY = {"detail": "You may change only your own account."}


async def profile_of(http: httpx.AsyncClient, viewer: Actor, user_id: str) -> dict[str, Any]:
    body: dict[str, Any] = await get_json(http, viewer, f"/api/user/{user_id}/")
    return body


class TestUserDetail:
    async def test_current_user_is_the_caller_and_online(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime, first_name="Иван", last_name="Петров")

        body = await get_json(http, me, "/api/user/current/")

        assert set(body) == USER_KEYS
        # The request itself is activity: the caller is online as of now.
        assert body == me.json(is_online=True)

    async def test_by_id_matches_current(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me = await actor(http, runtime)

        current = await get_json(http, me, "/api/user/current/")
        by_id = await profile_of(http, me, me.id)

        assert by_id == current

    async def test_another_user_who_never_called_is_offline(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        viewer = await actor(http, runtime)
        other = await actor(http, runtime, first_name="Maria", last_name="Petrova")

        body = await profile_of(http, viewer, other.id)

        assert body == other.json(is_online=False)

    @pytest.mark.parametrize("user_id", ["unknown", "not-a-uuid", "123"])
    async def test_unknown_or_malformed_id_is_404(
        self, http: httpx.AsyncClient, runtime: Runtime, user_id: str
    ) -> None:
        me = await actor(http, runtime)
        path = missing_id() if user_id == "unknown" else user_id

        response = await http.get(f"/api/user/{path}/", headers=me.headers)

        assert response.status_code == 404
        assert response.json() == NO_USER


class TestProfileUpdate:
    async def test_json_patch_changes_names_and_bio_only(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        changes = {
            "first_name": "Пётр",
            "last_name": "Сидоров",
            "bio": "Programmer in VK",
            "username": "renamed",  # not a profile field: ignored
            "id": missing_id(),  # immutable
        }

        response = await http.patch(f"/api/user/{me.id}/", json=changes, headers=me.headers)

        assert response.status_code == 200, response.text
        expected = me.json(is_online=True, bio="Programmer in VK") | {
            "first_name": "Пётр",
            "last_name": "Сидоров",
        }
        assert response.json() == expected
        assert await get_json(http, me, "/api/user/current/") == expected

    async def test_patch_current_alias(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me = await actor(http, runtime)

        response = await http.patch("/api/user/current/", json={"bio": "hi"}, headers=me.headers)

        assert response.status_code == 200, response.text
        assert response.json()["bio"] == "hi"

    @pytest.mark.parametrize(
        ("filename", "content", "media_type"),
        [("me.png", PNG, "image/png"), ("me.jpg", JPEG, "image/jpeg")],
    )
    async def test_multipart_avatar_is_stored_and_served(
        self,
        http: httpx.AsyncClient,
        runtime: Runtime,
        filename: str,
        content: bytes,
        media_type: str,
    ) -> None:
        me = await actor(http, runtime)

        response = await http.patch(
            f"/api/user/{me.id}/",
            data={"bio": "Programmer in VK"},
            files={"avatar": (filename, content, media_type)},
            headers=me.headers,
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body == me.json(
            is_online=True, bio="Programmer in VK", avatar=MediaUrl(ORIGIN, filename)
        )
        served = await http.get(body["avatar"])
        assert served.status_code == 200
        assert served.content == content
        assert served.headers["content-type"] == media_type
        # Others see the same absolute URL.
        other = await actor(http, runtime)
        assert (await profile_of(http, other, me.id))["avatar"] == body["avatar"]

    async def test_avatar_of_another_type_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)

        response = await http.patch(
            f"/api/user/{me.id}/",
            data={"bio": "never saved"},
            files={"avatar": ("me.png", GIF, "image/png")},  # the name and type lie
            headers=me.headers,
        )

        assert response.status_code == 400
        assert response.json() == {"avatar": ["Upload a valid avatar file (jpg or png)."]}
        assert await get_json(http, me, "/api/user/current/") == me.json(is_online=True)

    async def test_name_with_digits_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)

        response = await http.patch(
            f"/api/user/{me.id}/", json={"first_name": "Ivan2"}, headers=me.headers
        )

        assert response.status_code == 400
        assert response.json() == {"first_name": ["Only letters are allowed."]}

    async def test_patch_of_another_user_is_forbidden(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        other = await actor(http, runtime)

        response = await http.patch(
            f"/api/user/{other.id}/", json={"bio": "hacked"}, headers=me.headers
        )

        assert response.status_code == 403
        assert response.json() == OWN_ACCOUNT_ONLY
        assert (await profile_of(http, me, other.id))["bio"] is None

    async def test_delete_of_another_user_is_forbidden(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        other = await actor(http, runtime)

        response = await http.delete(f"/api/user/{other.id}/", headers=me.headers)

        assert response.status_code == 403
        assert response.json() == OWN_ACCOUNT_ONLY
        assert (await get_json(http, other, "/api/user/current/"))["id"] == other.id


class TestDeleteAccount:
    async def test_deleted_account_is_gone_but_its_messages_stay(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        leaver = await actor(http, runtime)
        friend = await actor(http, runtime)
        chat = await private_chat(http, leaver, friend)
        message = await send(http, leaver, chat["id"], "bye")

        response = await http.delete(f"/api/user/{leaver.id}/", headers=leaver.headers)

        assert response.status_code == 204
        assert response.content == b""
        # The old token is dead, and so are the credentials.
        after = await http.get("/api/user/current/", headers=leaver.headers)
        assert after.status_code == 401
        assert after.json() == TOKEN_NOT_VALID
        login = await http.post(
            "/api/auth/", json={"username": leaver.username, "password": PASSWORD}
        )
        assert login.status_code == 401
        # The profile is gone, the message stays with the placeholder as its sender.
        gone = await http.get(f"/api/user/{leaver.id}/", headers=friend.headers)
        assert gone.status_code == 404
        assert gone.json() == NO_USER
        page = await get_json(http, friend, f"/api/messages/?chat={chat['id']}")
        assert [m["id"] for m in page["results"]] == [message["id"]]
        assert page["results"][0]["sender"] == DELETED_USER
        assert page["results"][0]["text"] == "bye"
        # The private chat shows the placeholder as the companion.
        seen = await get_json(http, friend, f"/api/chat/{chat['id']}/")
        assert DELETED_USER in seen["members"]
        assert (seen["title"], seen["avatar"]) == ("Удалённый Пользователь", None)
        # Nobody lists the deleted user.
        listed = await get_json(http, friend, "/api/users/")
        assert listed["count"] == 0

    async def test_username_is_free_again(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        leaver = await actor(http, runtime)
        deleted = await http.delete("/api/user/current/", headers=leaver.headers)
        assert deleted.status_code == 204

        response = await http.post(
            "/api/register/", json=messenger_registration(username=leaver.username)
        )

        assert response.status_code == 201, response.text
        assert response.json()["username"] == leaver.username
        assert response.json()["id"] != leaver.id


class TestPresence:
    async def test_head_online_answers_empty_200_and_marks_online(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        watcher = await actor(http, runtime)
        assert (await profile_of(http, watcher, me.id))["is_online"] is False

        response = await http.head("/api/user/online/", headers=me.headers)

        assert response.status_code == 200
        assert response.content == b""
        assert await profile_of(http, watcher, me.id) == me.json(is_online=True)

    async def test_post_online_answers_the_user(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)

        response = await http.post("/api/user/online/", headers=me.headers)

        assert response.status_code == 200, response.text
        assert response.json() == me.json(is_online=True)

    async def test_offline_until_the_next_authenticated_request(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        watcher = await actor(http, runtime)
        before = await get_json(http, me, "/api/user/current/")
        assert before["is_online"] is True

        response = await http.post("/api/user/offline/", headers=me.headers)

        assert response.status_code == 200, response.text
        offline = me.json(is_online=False) | {"last_online_at": before["last_online_at"]}
        assert response.json() == offline
        assert await profile_of(http, watcher, me.id) == offline
        # Any authenticated request is activity again.
        assert (await http.get("/api/chats/", headers=me.headers)).status_code == 200
        assert await profile_of(http, watcher, me.id) == me.json(is_online=True)


class TestUserList:
    async def test_lists_others_by_username(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime, username="caller")
        carol = await actor(http, runtime, username="carol")
        await actor(http, runtime, username="alice")
        await actor(http, runtime, username="bob")

        body = await get_json(http, me, "/api/users/")

        assert [u["username"] for u in body["results"]] == ["alice", "bob", "carol"]
        assert (body["count"], body["next"], body["previous"]) == (3, None, None)
        assert body["results"][2] == carol.json(is_online=False)

    async def test_search_ands_words_over_username_and_names(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime, username="caller", first_name="Ivan")
        for username, first, last in [
            ("alpha", "Ivan", "Petrov"),
            ("bravo", "Ivan", "Sidorov"),
            ("charlie", "Maria", "Petrova"),
            ("delta", "Petr", "Ivanov"),
            ("ivanhoe", "Olga", "Smirnova"),
        ]:
            await actor(http, runtime, username=username, first_name=first, last_name=last)
        expected = {
            "ivan": ["alpha", "bravo", "delta", "ivanhoe"],
            "IVAN PETR": ["alpha", "delta"],  # each word anywhere, every word required
            "petrova": ["charlie"],
            "Ivan sidorov": ["bravo"],
            "maria ivan": [],
            "CHAR": ["charlie"],
            "caller": [],  # never the caller
        }

        found: dict[str, tuple[int, list[str]]] = {}
        for search in expected:
            body = await get_json(http, me, f"/api/users/?search={search}")
            found[search] = (body["count"], [u["username"] for u in body["results"]])

        assert found == {search: (len(names), names) for search, names in expected.items()}
