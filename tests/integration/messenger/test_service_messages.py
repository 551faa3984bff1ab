"""Message use cases of the messenger against the real database and the real Redis bus: send,
edit, delete and get, with their files and their events."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from domain.errors import Invalid
from domain.files.model import StoredFile
from domain.files.rules import FileKind
from domain.messenger import service
from domain.messenger.cards import MessageCard, user_card
from domain.messenger.errors import ChatNotFound, MessageNotFound, NotAMember, NotTheSender
from domain.messenger.events import MessageEvent
from domain.messenger.model import Message
from tests.api.rest.messenger_factories import GIF, MP3, OGG, PNG
from tests.integration.messenger.factories import (
    as_actor,
    channels,
    delete_account,
    find_chat,
    get_message,
    group,
    inbox,
    marker,
    message_id,
    private,
    read,
    refused,
    send,
    state,
    upload,
    user_channel,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from domain.accounts.model import User
    from domain.events import Event
    from tests.integration.messenger.factories import Hub

TOO_LONG = ["Ensure this field has no more than 500 characters."]


async def edit(hub: Hub, viewer: User, card: MessageCard | uuid.UUID, text: str) -> MessageCard:
    async with hub.uow() as uow:
        return await service.edit_message(
            uow, hub.ports, actor=as_actor(viewer), message_id=message_id(card), text=text
        )


async def remove(hub: Hub, viewer: User, card: MessageCard | uuid.UUID) -> None:
    async with hub.uow() as uow:
        await service.delete_message(uow, actor=as_actor(viewer), message_id=message_id(card))


def message_text_seen_by(hub: Hub) -> Callable[[Event], Awaitable[object]]:
    """A look at the event's message row through another connection: its text, if it is there."""

    async def look(event: Event) -> object:
        assert isinstance(event, MessageEvent)
        async with hub.runtime.uow() as uow:
            row = await uow.session.get(Message, event.message.id)
            return "<no row>" if row is None else row.text

    return look


async def stored_files(hub: Hub, keys: Sequence[str]) -> list[tuple[str, FileKind, str, int]]:
    async with hub.runtime.uow() as uow:
        found = [await uow.session.get(StoredFile, key) for key in keys]
    return [(s.key, s.kind, s.content_type, s.size) for s in found if s is not None]


class TestSendMessage:
    async def test_a_member_sends_text_and_gets_its_card(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, olga, chat, "hello")
        assert card == MessageCard(
            id=card.id,
            chat_id=chat.id,
            text="hello",
            voice=None,
            files=(),
            sender=user_card(olga),
            was_read_by=(),
            created_at=card.created_at,
            updated_at=card.created_at,
        )
        assert await get_message(hub, ivan, card) == card

    async def test_every_member_receives_it_on_their_own_channel(
        self, hub: Hub, ivan: User, olga: User, petr: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        async with inbox(hub.runtime, olga) as to_olga, inbox(hub.runtime, ivan) as to_ivan:
            with hub.watch() as published:
                card = await send(hub, ivan, chat, "hi all")
            expected = MessageEvent(kind="create", chat_id=chat.id, message=card)
            assert await to_olga.next() == expected
            assert await to_ivan.next() == expected
        assert channels(published) == {user_channel(u) for u in (ivan, olga, petr)}
        assert [p.event for p in published] == [expected] * 3  # one publication per member

    async def test_the_event_is_published_after_the_message_is_committed(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        with hub.watch(message_text_seen_by(hub)) as published:
            await send(hub, ivan, chat, "committed first")
        assert [p.seen for p in published] == ["committed first"] * 2

    async def test_the_chat_moves_to_the_message_time(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, olga, chat)
        moved = await find_chat(hub, chat)
        assert moved is not None
        assert moved.updated_at == card.created_at

    async def test_sending_does_not_move_the_senders_read_marker(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        await send(hub, olga, chat)
        assert await marker(hub, chat, olga) is None

    async def test_an_outsider_is_refused_before_their_message_is_judged(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, NotAMember):
            await send(hub, stranger, chat, "   ", files=[upload(PNG)] * 6)

    async def test_a_member_who_left_is_refused(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        async with hub.uow() as uow:
            await service.leave_chat(uow, actor=as_actor(olga), chat_id=chat.id)
        async with refused(hub, NotAMember):
            await send(hub, olga, chat)

    async def test_an_unknown_chat_is_not_found(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await private(hub, ivan, olga)
        async with hub.uow() as uow:
            await service.delete_chat(uow, actor=as_actor(ivan), chat_id=chat.id)
        async with refused(hub, ChatNotFound):
            await send(hub, ivan, chat)

    async def test_500_characters_are_sent_and_501_refused(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        assert (await send(hub, ivan, chat, "я" * 500)).text == "я" * 500
        async with refused(hub, Invalid) as error:
            await send(hub, ivan, chat, "я" * 501)
        assert error.value.field_errors == {"text": TOO_LONG}

    @pytest.mark.parametrize("text", [None, "", "   ", "\n\t"])
    async def test_nothing_to_send_is_refused(
        self, hub: Hub, ivan: User, olga: User, text: str | None
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, Invalid) as error:
            await send(hub, ivan, chat, text)
        assert error.value.field_errors == {
            "non_field_errors": ["A message needs text, files or a voice recording."]
        }

    async def test_files_are_stored_in_order_with_their_types(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        files = [
            upload(PNG, "photo.png"),
            upload(GIF, "anim.gif", declared="image/gif"),
            upload(b"%PDF-1.7", "doc.pdf", declared="application/pdf"),
            upload(b"<html>", "page.html", declared="text/html"),
            upload(b"bytes", "../../etc/passwd"),
        ]
        card = await send(hub, ivan, chat, "   ", files=files)
        assert card.text is None  # whitespace alone is no text
        keys = card.files
        assert [key.split("/")[1] for key in keys] == [
            "photo.png",
            "anim.gif",
            "doc.pdf",
            "page.html",
            "passwd",
        ]
        assert await stored_files(hub, keys) == [
            (keys[0], FileKind.ATTACHMENT, "image/png", len(PNG)),
            (keys[1], FileKind.ATTACHMENT, "image/gif", len(GIF)),
            (keys[2], FileKind.ATTACHMENT, "application/pdf", 8),
            (keys[3], FileKind.ATTACHMENT, "application/octet-stream", 6),
            (keys[4], FileKind.ATTACHMENT, "application/octet-stream", 5),
        ]
        assert [await hub.ports.files.read(key) for key in keys] == [f.content for f in files]
        assert (await get_message(hub, olga, card)).files == keys

    async def test_six_files_are_refused(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, Invalid) as error:
            await send(hub, ivan, chat, files=[upload(PNG)] * 6)
        assert error.value.field_errors == {
            "files": ["Ensure this field has no more than 5 elements."]
        }

    async def test_one_empty_file_refuses_the_whole_message(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, Invalid) as error:
            await send(hub, ivan, chat, files=[upload(PNG), upload(b"")])
        assert error.value.field_errors == {"files": ["The submitted file is empty."]}

    @pytest.mark.parametrize("content", [OGG, MP3])
    async def test_a_voice_recording_alone_is_sent(
        self, hub: Hub, ivan: User, olga: User, content: bytes
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat, None, voice=upload(content, "voice.ogg"))
        assert (card.text, card.files) == (None, ())
        assert card.voice is not None
        [(_, kind, _, size)] = await stored_files(hub, [card.voice])
        assert (kind, size) == (FileKind.VOICE, len(content))

    async def test_a_voice_recording_with_text_is_refused(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, Invalid) as error:
            await send(hub, ivan, chat, "and text", voice=upload(OGG))
        assert error.value.field_errors == {
            "voice": ["A voice message carries neither text nor files."]
        }

    async def test_a_voice_recording_that_is_no_sound_is_refused(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with refused(hub, Invalid) as error:
            await send(hub, ivan, chat, None, voice=upload(PNG, "voice.ogg", "audio/ogg"))
        assert error.value.field_errors == {
            "voice": ["Upload a valid voice file (mp3, wav or ogg)."]
        }


class TestEditMessage:
    async def test_the_sender_replaces_the_text_and_members_get_an_update(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat, "befor")
        async with inbox(hub.runtime, olga) as to_olga:
            with hub.watch(message_text_seen_by(hub)) as published:
                edited = await edit(hub, ivan, card, "before")
            event = await to_olga.next()
        assert isinstance(event, MessageEvent)
        assert (event.kind, event.message) == ("update", edited)
        assert [p.seen for p in published] == ["before", "before"]  # committed, then published
        assert edited.text == "before"
        assert edited.created_at == card.created_at
        assert edited.updated_at > card.updated_at
        assert await get_message(hub, olga, card) == edited

    async def test_the_card_keeps_its_readers(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        await read(hub, olga, card)
        edited = await edit(hub, ivan, card, "changed")
        assert edited.was_read_by == (user_card(olga),)

    async def test_500_characters_are_kept_and_501_refused(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        assert (await edit(hub, ivan, card, "a" * 500)).text == "a" * 500
        async with refused(hub, Invalid) as error:
            await edit(hub, ivan, card, "a" * 501)
        assert error.value.field_errors == {"text": TOO_LONG}

    @pytest.mark.parametrize("text", ["", "   "])
    async def test_a_text_only_message_cannot_be_blanked(
        self, hub: Hub, ivan: User, olga: User, text: str
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        async with refused(hub, Invalid) as error:
            await edit(hub, ivan, card, text)
        assert error.value.field_errors == {"text": ["This field may not be blank."]}

    async def test_blanking_a_message_with_files_leaves_the_files(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat, "caption", files=[upload(PNG)])
        edited = await edit(hub, ivan, card, "  ")
        assert (edited.text, edited.files) == (None, card.files)

    async def test_a_voice_message_has_no_text_to_edit(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat, None, voice=upload(OGG))
        async with refused(hub, Invalid) as error:
            await edit(hub, ivan, card, "words")
        assert error.value.field_errors == {"text": ["A voice message has no text to edit."]}

    async def test_another_member_may_not_edit(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        async with refused(hub, NotTheSender):
            await edit(hub, olga, card, "not mine")

    async def test_an_outsider_is_refused(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        async with refused(hub, NotAMember):
            await edit(hub, stranger, card, "not mine")

    async def test_an_unknown_message_is_not_found(self, hub: Hub, ivan: User) -> None:
        async with refused(hub, MessageNotFound):
            await edit(hub, ivan, uuid.uuid4(), "text")


class TestDeleteMessage:
    async def test_the_sender_deletes_it_and_members_get_it_as_it_was(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat, "oops", files=[upload(PNG)])
        await read(hub, olga, card)
        as_it_was = await get_message(hub, ivan, card)
        async with inbox(hub.runtime, olga) as to_olga:
            with hub.watch(message_text_seen_by(hub)) as published:
                await remove(hub, ivan, card)
            event = await to_olga.next()
        assert isinstance(event, MessageEvent)
        assert (event.kind, event.message) == ("delete", as_it_was)
        assert [p.seen for p in published] == ["<no row>", "<no row>"]  # committed, then published
        rows = (await state(hub)).rows
        assert (rows["messages"], rows["message_files"]) == ([], [])
        # The stored file stays: a message's files are kept on disk (docs/decisions.md).
        assert len(rows["stored_files"]) == 1

    async def test_another_member_may_not_delete_it(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        async with refused(hub, NotTheSender):
            await remove(hub, olga, card)

    async def test_not_even_the_chats_creator(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, olga, chat)
        async with refused(hub, NotTheSender):
            await remove(hub, ivan, card)

    async def test_an_outsider_is_refused(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        async with refused(hub, NotAMember):
            await remove(hub, stranger, card)

    async def test_an_unknown_message_is_not_found(self, hub: Hub, ivan: User) -> None:
        async with refused(hub, MessageNotFound):
            await remove(hub, ivan, uuid.uuid4())


class TestGetMessage:
    async def test_an_outsider_is_refused(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        with pytest.raises(NotAMember):
            await get_message(hub, stranger, card)

    async def test_an_unknown_message_is_not_found(self, hub: Hub, ivan: User) -> None:
        with pytest.raises(MessageNotFound):
            await get_message(hub, ivan, uuid.uuid4())

    async def test_a_deleted_sender_shows_as_deleted(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, olga, chat)
        await delete_account(hub, olga)
        sender = (await get_message(hub, ivan, card)).sender
        assert sender is not None
        assert (sender.id, sender.deleted, sender.first_name) == (olga.id, True, "")
