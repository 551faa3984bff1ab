"""Seed 001 across routes: authentication on every route, both slash forms, the 10 MB body
limit, and the Centrifugo tokens (docs/rest.md, "001 Messenger")."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import jwt
import pytest

from tests.api.rest.factories import PASSWORD, basic_header
from tests.api.rest.messenger_factories import (
    NO_CREDENTIALS,
    TOKEN_NOT_VALID,
    Actor,
    actors,
    message_ids,
    private_chat,
    send,
)
from tests.conftest import TEST_SECRET

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from domain.bootstrap import Runtime

TOO_LARGE = {"detail": "Request body is larger than 10 MB."}
MB = 1024 * 1024


async def chat_with_message(
    http: httpx.AsyncClient, runtime: Runtime
) -> tuple[Actor, Actor, dict[str, Any], dict[str, Any]]:
    me, other = await actors(http, runtime, 2)
    chat = await private_chat(http, me, other)
    message = await send(http, other, chat["id"])
    return me, other, chat, message


def routes(user_id: str, chat_id: str, message_id: str) -> list[tuple[str, str]]:
    """Every authenticated seed 001 route, with real ids."""
    return [
        ("GET", "/api/user/current/"),
        ("GET", f"/api/user/{user_id}/"),
        ("PATCH", f"/api/user/{user_id}/"),
        ("DELETE", f"/api/user/{user_id}/"),
        ("HEAD", "/api/user/online/"),
        ("POST", "/api/user/online/"),
        ("POST", "/api/user/offline/"),
        ("GET", "/api/users/"),
        ("GET", "/api/chats/"),
        ("POST", "/api/chats/"),
        ("GET", f"/api/chat/{chat_id}/"),
        ("PATCH", f"/api/chat/{chat_id}/"),
        ("DELETE", f"/api/chat/{chat_id}/"),
        ("POST", f"/api/chat/{chat_id}/leave/"),
        ("GET", f"/api/messages/?chat={chat_id}"),
        ("POST", "/api/messages/"),
        ("POST", f"/api/messages/read_all/?chat={chat_id}"),
        ("GET", f"/api/message/{message_id}/"),
        ("PATCH", f"/api/message/{message_id}/"),
        ("DELETE", f"/api/message/{message_id}/"),
        ("POST", f"/api/message/{message_id}/read/"),
        ("POST", "/api/centrifugo/connect/"),
        ("POST", "/api/centrifugo/subscribe/"),
    ]


async def answers_without(
    http: httpx.AsyncClient, headers: dict[str, str], chat: dict[str, Any], message: dict[str, Any]
) -> dict[str, tuple[int, Any]]:
    user_id = chat["creator"]["id"]
    found: dict[str, tuple[int, Any]] = {}
    for method, path in routes(user_id, chat["id"], message["id"]):
        body = {"chat": chat["id"], "text": "x", "is_private": True, "members": [user_id]}
        sent = None if method in {"GET", "HEAD", "DELETE"} else body
        response = await http.request(method, path, json=sent, headers=headers)
        payload = None if method == "HEAD" else response.json()
        found[f"{method} {path}"] = (response.status_code, payload)
        assert response.headers.get("www-authenticate") == 'Bearer realm="api"', path
    return found


class TestAuthentication:
    async def test_every_route_needs_a_token(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, _, chat, message = await chat_with_message(http, runtime)

        found = await answers_without(http, {}, chat, message)
        with_basic = await answers_without(
            http, {"Authorization": basic_header(me.username, PASSWORD)}, chat, message
        )

        expected = {
            f"{method} {path}": (401, None if method == "HEAD" else NO_CREDENTIALS)
            for method, path in routes(me.id, chat["id"], message["id"])
        }
        assert found == expected
        assert with_basic == expected  # seed 001 knew only Bearer tokens
        # Nothing happened on the way.
        assert await message_ids(http, me, chat["id"]) == [message["id"]]

    async def test_every_route_refuses_a_garbage_token(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, _, chat, message = await chat_with_message(http, runtime)

        found = await answers_without(http, {"Authorization": "Bearer garbage"}, chat, message)

        assert found == {
            f"{method} {path}": (401, None if method == "HEAD" else TOKEN_NOT_VALID)
            for method, path in routes(me.id, chat["id"], message["id"])
        }
        assert await message_ids(http, me, chat["id"]) == [message["id"]]


class TestSlashes:
    async def test_both_forms_answer_without_redirect(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, _, chat, message = await chat_with_message(http, runtime)
        found = {}

        for method, path in [
            ("GET", "/api/user/current/"),
            ("GET", "/api/users/"),
            ("GET", "/api/chats/"),
            ("GET", f"/api/chat/{chat['id']}/"),
            ("GET", f"/api/message/{message['id']}/"),
            ("HEAD", "/api/user/online/"),
            ("POST", "/api/centrifugo/connect/"),
        ]:
            for form in (path, path.rstrip("/")):
                response = await http.request(method, form, headers=me.headers)
                found[f"{method} {form}"] = response.status_code

        assert set(found.values()) == {200}, found
        bare = await http.get(f"/api/messages?chat={chat['id']}", headers=me.headers)
        assert bare.status_code == 200
        assert bare.json()["count"] == 1

    async def test_both_forms_of_a_post(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, _, chat, _ = await chat_with_message(http, runtime)

        with_slash = await http.post(
            "/api/messages/", json={"chat": chat["id"], "text": "a"}, headers=me.headers
        )
        bare = await http.post(
            "/api/messages", json={"chat": chat["id"], "text": "b"}, headers=me.headers
        )

        assert (with_slash.status_code, bare.status_code) == (201, 201)
        assert len(await message_ids(http, me, chat["id"])) == 3


class TestBodyLimit:
    async def test_declared_body_over_10_mb_is_refused_before_anything_is_written(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, _, chat, message = await chat_with_message(http, runtime)

        response = await http.post(
            "/api/messages/",
            data={"chat": chat["id"], "text": "big"},
            files={"files": ("big.bin", b"x" * (11 * MB), "application/octet-stream")},
            headers=me.headers,
        )

        assert response.status_code == 413
        assert response.json() == TOO_LARGE
        assert await message_ids(http, me, chat["id"]) == [message["id"]]

    async def test_declared_json_over_10_mb(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, _, chat, message = await chat_with_message(http, runtime)

        response = await http.post(
            "/api/messages/",
            json={"chat": chat["id"], "text": "x" * (11 * MB)},
            headers=me.headers,
        )

        assert (response.status_code, response.json()) == (413, TOO_LARGE)
        assert await message_ids(http, me, chat["id"]) == [message["id"]]

    async def test_a_body_under_the_limit_is_accepted(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, _, chat, _ = await chat_with_message(http, runtime)
        content = b"y" * (9 * MB)

        response = await http.post(
            "/api/messages/",
            data={"chat": chat["id"]},
            files={"files": ("nine.bin", content, "application/octet-stream")},
            headers=me.headers,
        )

        assert response.status_code == 201, response.text
        served = await http.get(response.json()["files"][0]["item"])
        assert served.content == content

    async def test_streamed_json_over_10_mb(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, _, chat, message = await chat_with_message(http, runtime)

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(11):
                yield b" " * MB

        response = await http.post(
            "/api/messages/",
            content=chunks(),
            headers=me.headers | {"content-type": "application/json"},
        )

        assert "content-length" not in response.request.headers
        assert (response.status_code, response.json()) == (413, TOO_LARGE)
        assert await message_ids(http, me, chat["id"]) == [message["id"]]

    async def test_streamed_multipart_over_10_mb(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, _, chat, message = await chat_with_message(http, runtime)
        boundary = "tghubboundary"
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="chat"\r\n\r\n{chat["id"]}\r\n'
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="big.bin"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()

        async def chunks() -> AsyncIterator[bytes]:
            yield head
            for _ in range(11):
                yield b"z" * MB
            yield f"\r\n--{boundary}--\r\n".encode()

        response = await http.post(
            "/api/messages/",
            content=chunks(),
            headers=me.headers | {"content-type": f"multipart/form-data; boundary={boundary}"},
        )

        assert await message_ids(http, me, chat["id"]) == [message["id"]]
        assert (response.status_code, response.json()) == (413, TOO_LARGE)


def decoded(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, TEST_SECRET, algorithms=["HS256"])
    return claims


class TestCentrifugoTokens:
    async def test_connect_token(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, _ = await actors(http, runtime, 2)

        response = await http.post("/api/centrifugo/connect/", json={}, headers=me.headers)

        assert response.status_code == 200, response.text
        assert list(response.json()) == ["token"]
        token = response.json()["token"]
        assert jwt.get_unverified_header(token)["alg"] == "HS256"
        claims = decoded(token)
        assert claims["sub"] == me.id
        assert "channel" not in claims
        assert abs(claims["exp"] - (time.time() + 3600)) < 60

    @pytest.mark.parametrize("names_channel", [False, True], ids=["no_channel", "own_channel"])
    async def test_subscribe_token_names_the_own_channel(
        self, http: httpx.AsyncClient, runtime: Runtime, names_channel: bool
    ) -> None:
        (me,) = await actors(http, runtime, 1)
        body = {"channel": me.id} if names_channel else {}

        response = await http.post("/api/centrifugo/subscribe/", json=body, headers=me.headers)

        assert response.status_code == 200, response.text
        assert list(response.json()) == ["token"]
        claims = decoded(response.json()["token"])
        assert (claims["sub"], claims["channel"]) == (me.id, me.id)
        assert abs(claims["exp"] - (time.time() + 3600)) < 60

    async def test_another_channel_is_forbidden(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, other = await actors(http, runtime, 2)

        response = await http.post(
            "/api/centrifugo/subscribe/", json={"channel": other.id}, headers=me.headers
        )

        assert response.status_code == 403
        assert response.json() == {"detail": "You may subscribe only to your own channel."}

    async def test_realtime_tokens_are_not_access_tokens(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        (me,) = await actors(http, runtime, 1)
        tokens = [
            (await http.post(path, json={}, headers=me.headers)).json()["token"]
            for path in ("/api/centrifugo/connect/", "/api/centrifugo/subscribe/")
        ]
        found = []

        for token in tokens:
            response = await http.get(
                "/api/user/current/", headers={"Authorization": f"Bearer {token}"}
            )
            found.append((response.status_code, response.json()))

        assert found == [(401, TOKEN_NOT_VALID), (401, TOKEN_NOT_VALID)]
