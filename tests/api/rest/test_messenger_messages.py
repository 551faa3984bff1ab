"""Seed 001 messages over real HTTP: listing, search, sending text, files and voice, editing,
deleting and read markers (docs/rest.md, "001 Messenger")."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.rest.messenger_factories import (
    GIF,
    ISO,
    MP3,
    NO_CHAT,
    NO_MESSAGE,
    NOT_A_MEMBER,
    NOT_THE_SENDER,
    OGG,
    PNG,
    WAV,
    Actor,
    MediaUrl,
    actor,
    actors,
    chat_view,
    created,
    get_json,
    group_chat,
    message_ids,
    missing_id,
    private_chat,
    send,
)
from tests.conftest import ORIGIN

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

CHAT_REQUIRED = ["Chat UUID is required in url"]
FileParts = list[tuple[str, tuple[str, bytes, str]]]


def parts(*files: tuple[str, bytes], field: str = "files") -> FileParts:
    return [(field, (name, content, "application/octet-stream")) for name, content in files]


async def message(http: httpx.AsyncClient, who: Actor, message_id: str) -> dict[str, Any]:
    body: dict[str, Any] = await get_json(http, who, f"/api/message/{message_id}/")
    return body


class TestMessageList:
    async def test_chat_is_required(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me = await actor(http, runtime)
        answers = {}

        for query in ["", "?chat=", "?chat=not-a-uuid"]:
            response = await http.get(f"/api/messages/{query}", headers=me.headers)
            answers[query] = (response.status_code, response.json())

        assert answers == dict.fromkeys(answers, (400, CHAT_REQUIRED))

    async def test_members_only(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other, outsider = await actors(http, runtime, 3)
        chat = await private_chat(http, me, other)
        sent = await send(http, me, chat["id"])

        foreign = await http.get(f"/api/messages/?chat={chat['id']}", headers=outsider.headers)
        missing = await http.get(f"/api/messages/?chat={missing_id()}", headers=me.headers)
        one = await http.get(f"/api/message/{sent['id']}/", headers=outsider.headers)

        assert (foreign.status_code, foreign.json()) == (403, NOT_A_MEMBER)
        assert (missing.status_code, missing.json()) == (404, NO_CHAT)
        assert (one.status_code, one.json()) == (403, NOT_A_MEMBER)

    async def test_newest_first(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await group_chat(http, me, [other])
        sent = [
            await send(http, me, chat["id"], "one"),
            await send(http, other, chat["id"], "two"),
            await send(http, me, chat["id"], "three"),
        ]

        body = await get_json(http, other, f"/api/messages/?chat={chat['id']}")

        assert body == {
            "count": 3,
            "next": None,
            "previous": None,
            "results": list(reversed(sent)),
        }
        assert await message(http, other, sent[0]["id"]) == sent[0]

    async def test_search_over_text_and_sender_names(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime, first_name="Ivan", last_name="Petrov")
        maria = await actor(http, runtime, first_name="Maria", last_name="Sidorova")
        chat = await private_chat(http, me, maria)
        for sender, text in [
            (me, "Hello world"),
            (maria, "good morning"),
            (me, "WORLD peace"),
            (maria, "bye 100%"),
        ]:
            await send(http, sender, chat["id"], text)
        expected = {
            "world": ["WORLD peace", "Hello world"],
            "maria": ["bye 100%", "good morning"],
            "SIDOROVA bye": ["bye 100%"],
            "petrov world": ["WORLD peace", "Hello world"],
            "hello peace": [],
            maria.username: ["bye 100%", "good morning"],
            "100%": ["bye 100%"],
            "%": ["bye 100%"],
            "_": [],  # a literal underscore, not a wildcard
        }

        found = {}
        for search in expected:
            response = await http.get(
                "/api/messages/",
                params={"chat": chat["id"], "search": search},
                headers=me.headers,
            )
            assert response.status_code == 200, response.text
            body = response.json()
            found[search] = (body["count"], [m["text"] for m in body["results"]])

        assert found == {search: (len(texts), texts) for search, texts in expected.items()}


class TestSendMessage:
    async def test_text_message(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)

        response = await http.post(
            "/api/messages/", json={"chat": chat["id"], "text": "hello"}, headers=me.headers
        )

        body = created(response)
        assert body == {
            "id": body["id"],
            "text": "hello",
            "voice": None,
            "sender": me.json(is_online=True),
            "chat": chat["id"],
            "files": [],
            "updated_at": ISO,
            "created_at": ISO,
            "was_read_by": [],
        }
        assert body["updated_at"] == body["created_at"]
        assert await message_ids(http, other, chat["id"]) == [body["id"]]

    async def test_exactly_500_characters(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)

        sent = await send(http, me, chat["id"], "я" * 500)

        assert sent["text"] == "я" * 500

    async def test_multipart_files_are_stored_and_served(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)
        notes = b"plain notes \x00\x01"

        response = await http.post(
            "/api/messages/",
            data={"chat": chat["id"], "text": "see attached"},
            files=parts(("notes.txt", notes), ("photo.png", PNG)),
            headers=me.headers,
        )

        body = created(response)
        assert body["text"] == "see attached"
        assert body["voice"] is None
        assert body["files"] == [
            {"item": MediaUrl(ORIGIN, "notes.txt")},
            {"item": MediaUrl(ORIGIN, "photo.png")},
        ]
        first = await http.get(body["files"][0]["item"])
        assert (first.status_code, first.content) == (200, notes)
        assert first.headers["content-disposition"] == "attachment"
        second = await http.get(body["files"][1]["item"])
        assert (second.status_code, second.content) == (200, PNG)
        assert second.headers["content-type"] == "image/png"
        assert (await message(http, other, body["id"]))["files"] == body["files"]

    async def test_files_without_text(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)

        five = await http.post(
            "/api/messages/",
            data={"chat": chat["id"]},
            files=parts(*[(f"f{i}.bin", bytes([i + 1]) * 10) for i in range(5)]),
            headers=me.headers,
        )

        body = created(five)
        assert body["text"] is None
        assert len(body["files"]) == 5
        contents = [(await http.get(f["item"])).content for f in body["files"]]
        assert contents == [bytes([i + 1]) * 10 for i in range(5)]

    @pytest.mark.parametrize(
        ("name", "content", "media_type"),
        [("v.mp3", MP3, "audio/mpeg"), ("v.ogg", OGG, "audio/ogg"), ("v.wav", WAV, "audio/wav")],
    )
    async def test_voice(
        self,
        http: httpx.AsyncClient,
        runtime: Runtime,
        name: str,
        content: bytes,
        media_type: str,
    ) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)

        response = await http.post(
            "/api/messages/",
            data={"chat": chat["id"]},
            files=parts((name, content), field="voice"),
            headers=me.headers,
        )

        body = created(response)
        assert (body["text"], body["files"]) == (None, [])
        assert body["voice"] == MediaUrl(ORIGIN, name)
        served = await http.get(body["voice"])
        assert (served.status_code, served.content) == (200, content)
        assert served.headers["content-type"] == media_type

    async def test_invalid_messages_are_refused_and_not_stored(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)
        chat_id = chat["id"]
        voice = parts(("v.mp3", MP3), field="voice")
        cases: dict[str, dict[str, Any]] = {
            "voice_and_text": {"data": {"chat": chat_id, "text": "hi"}, "files": voice},
            "voice_and_files": {"data": {"chat": chat_id}, "files": voice + parts(("a", b"a"))},
            "voice_not_audio": {
                "data": {"chat": chat_id},
                "files": parts(("v.mp3", GIF), field="voice"),
            },
            "six_files": {
                "data": {"chat": chat_id},
                "files": parts(*[(f"f{i}", b"x") for i in range(6)]),
            },
            "empty_file": {"data": {"chat": chat_id}, "files": parts(("empty.txt", b""))},
            "long_text": {"json": {"chat": chat_id, "text": "x" * 501}},
            "nothing": {"json": {"chat": chat_id}},
            "blank_text": {"json": {"chat": chat_id, "text": ""}},
            "spaces_text": {"json": {"chat": chat_id, "text": " \n\t "}},
            "no_chat": {"json": {"text": "hi"}},
            "malformed_chat": {"json": {"chat": "not-a-uuid", "text": "hi"}},
            "missing_chat": {"json": {"chat": missing_id(), "text": "hi"}},
        }

        answers = {}
        for name, request in cases.items():
            response = await http.post("/api/messages/", headers=me.headers, **request)
            answers[name] = (response.status_code, response.json())

        voice_alone = {"voice": ["A voice message carries neither text nor files."]}
        needs_content = {"non_field_errors": ["A message needs text, files or a voice recording."]}
        assert answers == {
            "voice_and_text": (400, voice_alone),
            "voice_and_files": (400, voice_alone),
            "voice_not_audio": (400, {"voice": ["Upload a valid voice file (mp3, wav or ogg)."]}),
            "six_files": (400, {"files": ["Ensure this field has no more than 5 elements."]}),
            "empty_file": (400, {"files": ["The submitted file is empty."]}),
            "long_text": (400, {"text": ["Ensure this field has no more than 500 characters."]}),
            "nothing": (400, needs_content),
            "blank_text": (400, needs_content),
            "spaces_text": (400, needs_content),
            "no_chat": (400, {"chat": ["This field is required."]}),
            "malformed_chat": (400, {"chat": ["Must be a valid UUID."]}),
            "missing_chat": (404, NO_CHAT),
        }
        assert await message_ids(http, me, chat_id) == []
        assert (await chat_view(http, me, chat_id))["last_message"] is None

    async def test_members_only(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other, outsider = await actors(http, runtime, 3)
        chat = await private_chat(http, me, other)

        response = await http.post(
            "/api/messages/", json={"chat": chat["id"], "text": "spam"}, headers=outsider.headers
        )

        assert response.status_code == 403
        assert response.json() == NOT_A_MEMBER
        assert await message_ids(http, me, chat["id"]) == []


class TestEditMessage:
    async def test_sender_edits_text(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)
        sent = await send(http, me, chat["id"], "draft")

        response = await http.patch(
            f"/api/message/{sent['id']}/", json={"text": "final"}, headers=me.headers
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body == sent | {"text": "final", "updated_at": body["updated_at"]}
        assert datetime.fromisoformat(body["updated_at"]) > datetime.fromisoformat(
            sent["created_at"]
        )
        # Saved: everyone reads the new text.
        assert await message(http, other, sent["id"]) == body
        listed = await get_json(http, other, f"/api/messages/?chat={chat['id']}")
        assert [m["text"] for m in listed["results"]] == ["final"]

    async def test_only_the_sender_edits(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other, outsider = await actors(http, runtime, 3)
        chat = await private_chat(http, me, other)
        sent = await send(http, me, chat["id"], "original")
        answers = {}

        for name, who, message_id, text in [
            ("member", other, sent["id"], "hacked"),
            ("outsider", outsider, sent["id"], "hacked"),
            ("missing", me, missing_id(), "x"),
            ("blank", me, sent["id"], ""),
            ("spaces", me, sent["id"], "   "),
            ("long", me, sent["id"], "x" * 501),
        ]:
            response = await http.patch(
                f"/api/message/{message_id}/", json={"text": text}, headers=who.headers
            )
            answers[name] = (response.status_code, response.json())

        assert answers == {
            "member": (403, NOT_THE_SENDER),
            "outsider": (403, NOT_A_MEMBER),
            "missing": (404, NO_MESSAGE),
            "blank": (400, {"text": ["This field may not be blank."]}),
            "spaces": (400, {"text": ["This field may not be blank."]}),
            "long": (400, {"text": ["Ensure this field has no more than 500 characters."]}),
        }
        assert await message(http, other, sent["id"]) == sent


class TestDeleteMessage:
    async def test_sender_deletes(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)
        kept = await send(http, me, chat["id"], "kept")
        doomed = await send(http, me, chat["id"], "doomed")

        response = await http.delete(f"/api/message/{doomed['id']}/", headers=me.headers)

        assert response.status_code == 204
        assert response.content == b""
        gone = await http.get(f"/api/message/{doomed['id']}/", headers=other.headers)
        assert (gone.status_code, gone.json()) == (404, NO_MESSAGE)
        assert await message_ids(http, other, chat["id"]) == [kept["id"]]
        assert (await chat_view(http, other, chat["id"]))["last_message"] == kept

    async def test_only_the_sender_deletes(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other, outsider = await actors(http, runtime, 3)
        chat = await private_chat(http, me, other)
        sent = await send(http, me, chat["id"])

        by_member = await http.delete(f"/api/message/{sent['id']}/", headers=other.headers)
        by_outsider = await http.delete(f"/api/message/{sent['id']}/", headers=outsider.headers)
        missing = await http.delete(f"/api/message/{missing_id()}/", headers=me.headers)

        assert (by_member.status_code, by_member.json()) == (403, NOT_THE_SENDER)
        assert (by_outsider.status_code, by_outsider.json()) == (403, NOT_A_MEMBER)
        assert (missing.status_code, missing.json()) == (404, NO_MESSAGE)
        assert await message_ids(http, me, chat["id"]) == [sent["id"]]


class TestReadMessage:
    async def test_reading_marks_it_and_everything_before(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        sender, reader, other = await actors(http, runtime, 3)
        chat = await group_chat(http, sender, [reader, other])
        first, second, third = [await send(http, sender, chat["id"], t) for t in "abc"]

        response = await http.post(f"/api/message/{second['id']}/read/", headers=reader.headers)

        assert response.status_code == 200, response.text
        reader_json = reader.json(is_online=True)
        assert response.json() == second | {"was_read_by": [reader_json]}
        assert (await message(http, other, first["id"]))["was_read_by"] == [reader_json]
        assert (await message(http, other, third["id"]))["was_read_by"] == []
        # Reading an older one later un-reads nothing.
        again = await http.post(f"/api/message/{first['id']}/read", headers=reader.headers)
        assert again.status_code == 200, again.text
        assert (await message(http, other, second["id"]))["was_read_by"] == [reader_json]

    async def test_non_member_and_missing(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        sender, reader, outsider = await actors(http, runtime, 3)
        chat = await private_chat(http, sender, reader)
        sent = await send(http, sender, chat["id"])

        foreign = await http.post(f"/api/message/{sent['id']}/read/", headers=outsider.headers)
        missing = await http.post(f"/api/message/{missing_id()}/read/", headers=reader.headers)

        assert (foreign.status_code, foreign.json()) == (403, NOT_A_MEMBER)
        assert (missing.status_code, missing.json()) == (404, NO_MESSAGE)
        assert (await message(http, sender, sent["id"]))["was_read_by"] == []

    async def test_the_sender_is_forbidden(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        sender, reader = await actors(http, runtime, 2)
        chat = await private_chat(http, sender, reader)
        sent = await send(http, sender, chat["id"])

        response = await http.post(f"/api/message/{sent['id']}/read/", headers=sender.headers)

        assert response.status_code == 403, response.text
        assert (await message(http, reader, sent["id"]))["was_read_by"] == []

    async def test_the_sender_is_refused(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        """Whatever the status, a sender never appears among the readers of their message."""
        sender, reader = await actors(http, runtime, 2)
        chat = await private_chat(http, sender, reader)
        sent = await send(http, sender, chat["id"])

        response = await http.post(f"/api/message/{sent['id']}/read/", headers=sender.headers)

        assert response.status_code in {400, 403}
        assert (await message(http, reader, sent["id"]))["was_read_by"] == []


class TestReadAll:
    async def test_reads_every_message_of_others(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)
        theirs = [await send(http, other, chat["id"], t) for t in "ab"]
        mine = await send(http, me, chat["id"], "mine")
        assert (await chat_view(http, me, chat["id"]))["unread_messages_count"] == 2

        response = await http.post(
            "/api/messages/read_all/", params={"chat": chat["id"]}, headers=me.headers
        )

        assert response.status_code == 200, response.text
        assert response.json() == {
            "chat": chat["id"],
            "user": me.id,
            "messages": [m["id"] for m in theirs],
        }
        assert (await chat_view(http, me, chat["id"]))["unread_messages_count"] == 0
        me_json = me.json(is_online=True)
        assert [(await message(http, other, m["id"]))["was_read_by"] for m in theirs] == [
            [me_json],
            [me_json],
        ]
        assert (await message(http, other, mine["id"]))["was_read_by"] == []
        again = await http.post(f"/api/messages/read_all?chat={chat['id']}", headers=me.headers)
        assert again.json() == {"chat": chat["id"], "user": me.id, "messages": []}

    async def test_refusals(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other, outsider = await actors(http, runtime, 3)
        chat = await private_chat(http, me, other)
        await send(http, me, chat["id"])

        foreign = await http.post(
            f"/api/messages/read_all/?chat={chat['id']}", headers=outsider.headers
        )
        missing = await http.post(
            f"/api/messages/read_all/?chat={missing_id()}", headers=me.headers
        )
        no_chat = await http.post("/api/messages/read_all/", headers=me.headers)

        assert (foreign.status_code, foreign.json()) == (403, NOT_A_MEMBER)
        assert (missing.status_code, missing.json()) == (404, NO_CHAT)
        assert no_chat.status_code == 400
        assert (await chat_view(http, other, chat["id"]))["unread_messages_count"] == 1

    async def test_missing_chat_answers_detail(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)

        response = await http.post("/api/messages/read_all/", headers=me.headers)

        assert response.json() == {"detail": "Chat UUID is required in url"}
