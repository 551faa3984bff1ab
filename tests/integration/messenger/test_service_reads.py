"""What members read, against the real database and bus: read markers (one message, a whole
chat), the unread counts derived from them (docs/decisions.md, "Read receipts"), and the chat
and message lists with their pages and searches."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from domain.messenger import service
from domain.messenger.errors import ChatNotFound, MessageNotFound, NotAMember, OwnMessage
from domain.messenger.events import MessageEvent, MessagesReadAll
from domain.messenger.model import ChatMember
from domain.types import PageRequest
from tests.integration.messenger.factories import (
    as_actor,
    chat_id_of,
    get_message,
    group,
    inbox,
    marker,
    new_users,
    overview,
    private,
    purge_user,
    read,
    refused,
    send,
    user_channel,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime

    from domain.accounts.model import User
    from domain.events import Event
    from domain.messenger.cards import MessageCard
    from domain.messenger.model import Chat
    from tests.integration.messenger.factories import Hub


def sent_at(card: MessageCard) -> datetime:
    return card.created_at


async def conversation(hub: Hub, chat: Chat, *senders: User) -> list[MessageCard]:
    """One message from each sender in turn, each strictly later than the one before."""
    cards = [await send(hub, sender, chat, f"message {n}") for n, sender in enumerate(senders)]
    times = [sent_at(card) for card in cards]
    assert times == sorted(set(times)), "the clock must order the messages"
    return cards


async def read_all(hub: Hub, viewer: User, chat: Chat | uuid.UUID) -> service.ReadAll:
    async with hub.uow() as uow:
        return await service.read_all_messages(
            uow, actor=as_actor(viewer), chat_id=chat_id_of(chat)
        )


def readers(card: MessageCard) -> list[uuid.UUID]:
    return [reader.id for reader in card.was_read_by]


def marker_seen_by(hub: Hub, reader: User) -> Callable[[Event], Awaitable[object]]:
    """A look at the reader's marker through another connection while the event goes out."""

    async def look(event: Event) -> object:
        assert isinstance(event, MessageEvent | MessagesReadAll)
        async with hub.runtime.uow() as uow:
            member = await uow.session.get(ChatMember, (event.chat_id, reader.id))
            assert member is not None
            return member.last_read_at

    return look


async def unread(hub: Hub, viewer: User, chat: Chat) -> int:
    return (await overview(hub, viewer, chat)).unread_messages_count


async def chat_list(
    hub: Hub, viewer: User, search: str | None = None, *, first: int = 20
) -> list[uuid.UUID]:
    async with hub.uow() as uow:
        page = await service.list_chats(
            uow, actor=as_actor(viewer), search=search, page=PageRequest(first=first)
        )
    return [chat.id for chat in page.items]


async def texts(
    hub: Hub, viewer: User, chat: Chat | uuid.UUID, search: str | None = None
) -> list[str | None]:
    """The chat's messages as the viewer lists them (newest first), by text."""
    async with hub.uow() as uow:
        page = await service.list_messages(
            uow,
            actor=as_actor(viewer),
            chat_id=chat_id_of(chat),
            search=search,
            page=PageRequest(first=100),
        )
    return [card.text for card in page.items]


class TestReadMessage:
    async def test_the_marker_moves_to_the_message(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        seen = await read(hub, olga, card)
        assert await marker(hub, chat, olga) == sent_at(card)
        assert readers(seen) == [olga.id]

    async def test_reading_one_message_reads_everything_before_it(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        first, second, third = await conversation(hub, chat, petr, ivan, ivan)
        await read(hub, olga, second)
        cards = [await get_message(hub, ivan, card) for card in (first, second, third)]
        assert [olga.id in readers(card) for card in cards] == [True, True, False]
        assert await unread(hub, olga, chat) == 1

    async def test_reading_an_older_message_unreads_nothing(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        older, newer = await conversation(hub, chat, ivan, ivan)
        await read(hub, olga, newer)
        await read(hub, olga, older)
        assert await marker(hub, chat, olga) == sent_at(newer)
        assert readers(await get_message(hub, ivan, newer)) == [olga.id]

    async def test_readers_are_listed_in_the_order_they_joined_never_the_sender(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        card = await send(hub, olga, chat)
        await read(hub, petr, card)
        seen = await read(hub, ivan, card)
        assert readers(seen) == [ivan.id, petr.id]

    async def test_members_get_a_read_event_once_the_marker_is_committed(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        async with inbox(hub.runtime, ivan) as to_ivan:
            with hub.watch(marker_seen_by(hub, olga)) as published:
                seen = await read(hub, olga, card)
            event = await to_ivan.next()
        assert event == MessageEvent(kind="read", chat_id=chat.id, message=seen)
        assert [(p.channel, p.seen) for p in published] == [
            (user_channel(ivan), sent_at(card)),
            (user_channel(olga), sent_at(card)),
        ]

    async def test_the_sender_cannot_read_their_own_message(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        async with refused(hub, OwnMessage):
            await read(hub, ivan, card)

    async def test_an_outsider_is_refused(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        card = await send(hub, ivan, chat)
        async with refused(hub, NotAMember):
            await read(hub, stranger, card)

    async def test_an_unknown_message_is_not_found(self, hub: Hub, ivan: User) -> None:
        async with refused(hub, MessageNotFound):
            await read(hub, ivan, uuid.uuid4())


class TestReadAll:
    async def test_reads_the_messages_of_others_and_answers_their_ids_oldest_first(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        first, _own, last = await conversation(hub, chat, ivan, olga, petr)
        done = await read_all(hub, olga, chat)
        assert done == service.ReadAll(
            chat_id=chat.id, user_id=olga.id, message_ids=(first.id, last.id)
        )
        assert await marker(hub, chat, olga) == sent_at(last)
        assert await unread(hub, olga, chat) == 0

    async def test_only_messages_after_the_marker_are_listed(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        first, second, third = await conversation(hub, chat, ivan, ivan, ivan)
        await read(hub, olga, first)
        done = await read_all(hub, olga, chat)
        assert done.message_ids == (second.id, third.id)

    async def test_a_second_read_all_lists_nothing(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        await conversation(hub, chat, ivan, ivan)
        await read_all(hub, olga, chat)
        assert (await read_all(hub, olga, chat)).message_ids == ()

    async def test_the_marker_reaches_the_newest_message_even_ones_own(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        _, own = await conversation(hub, chat, ivan, olga)
        await read_all(hub, olga, chat)
        assert await marker(hub, chat, olga) == sent_at(own)

    async def test_members_get_read_all_once_the_marker_is_committed(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        (card,) = await conversation(hub, chat, ivan)
        async with inbox(hub.runtime, ivan) as to_ivan:
            with hub.watch(marker_seen_by(hub, olga)) as published:
                await read_all(hub, olga, chat)
            event = await to_ivan.next()
        assert event == MessagesReadAll(
            chat_id=chat.id,
            user_id=olga.id,
            message_ids=(card.id,),
        )
        assert [(p.channel, p.seen) for p in published] == [
            (user_channel(ivan), sent_at(card)),
            (user_channel(olga), sent_at(card)),
        ]

    async def test_a_chat_without_messages_reads_nothing_and_publishes_nothing(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        with hub.watch() as published:
            done = await read_all(hub, olga, chat)
        assert done.message_ids == ()
        assert published == []
        assert await marker(hub, chat, olga) is None

    async def test_an_outsider_is_refused(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        await conversation(hub, chat, ivan)
        async with refused(hub, NotAMember):
            await read_all(hub, stranger, chat)

    async def test_an_unknown_chat_is_not_found(self, hub: Hub, ivan: User) -> None:
        async with refused(hub, ChatNotFound):
            await read_all(hub, ivan, uuid.uuid4())


class TestListMessages:
    async def test_newest_first_with_the_total(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        for text in ("one", "two", "three"):
            await send(hub, ivan, chat, text)
        assert await texts(hub, olga, chat) == ["three", "two", "one"]

    async def test_keyset_pages_cover_every_message_once(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        for n in range(5):
            await send(hub, ivan, chat, str(n))
        seen: list[str | None] = []
        after = None
        while True:
            async with hub.uow() as uow:
                page = await service.list_messages(
                    uow,
                    actor=as_actor(olga),
                    chat_id=chat.id,
                    search=None,
                    page=PageRequest(first=2, after=after),
                )
            assert page.total == 5
            seen += [card.text for card in page.items]
            if not page.has_next:
                break
            after = service.message_cursor(page.items[-1])
        assert seen == ["4", "3", "2", "1", "0"]

    async def test_offset_pages_count_and_end(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        for n in range(3):
            await send(hub, ivan, chat, str(n))
        async with hub.uow() as uow:
            pages = [
                await service.list_messages_by_offset(
                    uow, actor=as_actor(olga), chat_id=chat.id, search=None, offset=offset, limit=2
                )
                for offset in (0, 2)
            ]
        assert [([c.text for c in p.items], p.total, p.has_next) for p in pages] == [
            (["2", "1"], 3, True),
            (["0"], 3, False),
        ]

    async def test_an_outsider_is_refused(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        with pytest.raises(NotAMember):
            await texts(hub, stranger, chat)

    async def test_an_unknown_chat_is_not_found(self, hub: Hub, ivan: User) -> None:
        with pytest.raises(ChatNotFound):
            await texts(hub, ivan, uuid.uuid4())

    async def test_search_matches_text_or_the_senders_names(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        await send(hub, ivan, chat, "lunch at noon?")
        await send(hub, olga, chat, "yes")
        await send(hub, ivan, chat, "great")
        assert await texts(hub, olga, chat, "LUNCH") == ["lunch at noon?"]
        assert await texts(hub, olga, chat, "smirnova") == ["yes"]
        assert await texts(hub, olga, chat, "petrov") == ["great", "lunch at noon?"]

    async def test_search_words_must_all_match(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        await send(hub, ivan, chat, "lunch at noon?")
        await send(hub, olga, chat, "lunch then")
        assert await texts(hub, olga, chat, "lunch, olga") == ["lunch then"]
        assert await texts(hub, olga, chat, "lunch dinner") == []

    async def test_percent_and_underscore_match_only_themselves(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        for text in ("100% sure", "snake_case", "1000 sure", "snakeXcase", "back\\slash"):
            await send(hub, ivan, chat, text)
        assert await texts(hub, olga, chat, "0%") == ["100% sure"]
        assert await texts(hub, olga, chat, "e_c") == ["snake_case"]
        assert await texts(hub, olga, chat, "\\") == ["back\\slash"]


class TestListChats:
    async def test_lists_only_the_viewers_chats_liveliest_first(
        self, hub: Hub, ivan: User, olga: User, petr: User, stranger: User
    ) -> None:
        older = await group(hub, ivan, olga, title="Older")
        newer = await private(hub, ivan, petr)
        await group(hub, olga, stranger, title="Not Ivan's")
        assert await chat_list(hub, ivan) == [newer.id, older.id]
        await send(hub, olga, older)  # a new message makes it the liveliest
        assert await chat_list(hub, ivan) == [older.id, newer.id]

    async def test_keyset_pages_cover_every_chat_once(self, hub: Hub, ivan: User) -> None:
        companions = await new_users(hub, 5)
        for companion in companions:
            await private(hub, ivan, companion)
        seen: list[uuid.UUID] = []
        after = None
        while True:
            async with hub.uow() as uow:
                page = await service.list_chats(
                    uow, actor=as_actor(ivan), search=None, page=PageRequest(first=2, after=after)
                )
            assert page.total == 5
            seen += [chat.id for chat in page.items]
            if not page.has_next:
                break
            after = service.chat_cursor(page.items[-1])
        assert len(seen) == len(set(seen)) == 5
        assert seen == await chat_list(hub, ivan)

    async def test_offset_pages_count_and_end(self, hub: Hub, ivan: User) -> None:
        for companion in await new_users(hub, 3):
            await private(hub, ivan, companion)
        async with hub.uow() as uow:
            first = await service.list_chats_by_offset(
                uow, actor=as_actor(ivan), search=None, offset=0, limit=2
            )
            last = await service.list_chats_by_offset(
                uow, actor=as_actor(ivan), search=None, offset=2, limit=2
            )
        assert (len(first.items), first.total, first.has_next) == (2, 3, True)
        assert (len(last.items), last.total, last.has_next) == (1, 3, False)
        assert [c.id for c in [*first.items, *last.items]] == await chat_list(hub, ivan)

    async def test_search_matches_group_titles_and_private_companions_names(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        team = await group(hub, ivan, petr, title="Smirnova fans")
        with_olga = await private(hub, ivan, olga)
        await private(hub, ivan, petr)
        assert set(await chat_list(hub, ivan, "smirnova")) == {team.id, with_olga.id}
        assert await chat_list(hub, ivan, "OLGA") == [with_olga.id]

    async def test_search_never_matches_the_viewers_own_name(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        await private(hub, ivan, olga)
        assert await chat_list(hub, ivan, "ivan") == []

    async def test_search_words_must_all_match(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        with_olga = await private(hub, ivan, olga)
        await private(hub, ivan, petr)
        assert await chat_list(hub, ivan, "olga smirnova") == [with_olga.id]
        assert await chat_list(hub, ivan, "olga, ivanov") == []

    async def test_percent_and_underscore_match_only_themselves(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        sale = await group(hub, ivan, olga, title="50% off")
        under = await group(hub, ivan, olga, title="snake_case")
        await group(hub, ivan, olga, title="500 goff snakeXcase")
        assert await chat_list(hub, ivan, "0%") == [sale.id]
        assert await chat_list(hub, ivan, "e_c") == [under.id]


class TestChatOverviews:
    async def test_members_creator_last_message_and_unread_count_per_viewer(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        await send(hub, olga, chat, "first")
        await send(hub, ivan, chat, "mine")
        last = await send(hub, petr, chat, "last")
        async with hub.uow() as uow:
            (seen,) = await service.chat_overviews(uow, actor=as_actor(ivan), chats=[chat])
        assert [m.id for m in seen.members] == [ivan.id, olga.id, petr.id]
        assert seen.creator is not None
        assert seen.creator.id == ivan.id
        assert seen.last_message == last
        assert seen.unread_messages_count == 2  # never one's own

    async def test_a_chat_without_messages_has_no_last_message_and_nothing_unread(
        self, hub: Hub, ivan: User, olga: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with hub.uow() as uow:
            (seen,) = await service.chat_overviews(uow, actor=as_actor(olga), chats=[chat])
        assert (seen.last_message, seen.unread_messages_count) == (None, 0)

    async def test_many_chats_in_one_call_keep_their_order(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        quiet = await group(hub, ivan, olga, title="Quiet")
        busy = await private(hub, petr, ivan)
        await send(hub, petr, busy, "hi")
        async with hub.uow() as uow:
            seen = await service.chat_overviews(uow, actor=as_actor(ivan), chats=[quiet, busy])
            assert await service.chat_overviews(uow, actor=as_actor(ivan), chats=[]) == []
        assert [(o.chat.id, o.unread_messages_count) for o in seen] == [(quiet.id, 0), (busy.id, 1)]
        assert [m.id for m in seen[1].members] == [petr.id, ivan.id]

    async def test_a_creator_whose_row_is_gone_is_none(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        await purge_user(hub, ivan)
        async with hub.uow() as uow:
            fresh = await service.get_chat(uow, actor=as_actor(olga), chat_id=chat.id)
            (seen,) = await service.chat_overviews(uow, actor=as_actor(olga), chats=[fresh])
        assert seen.creator is None
        assert [m.id for m in seen.members] == [olga.id, petr.id]

    async def test_the_last_sender_who_left_is_still_shown(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        await send(hub, petr, chat, "bye")
        async with hub.uow() as uow:
            await service.leave_chat(uow, actor=as_actor(petr), chat_id=chat.id)
        async with hub.uow() as uow:
            fresh = await service.get_chat(uow, actor=as_actor(olga), chat_id=chat.id)
            (seen,) = await service.chat_overviews(uow, actor=as_actor(olga), chats=[fresh])
        assert [m.id for m in seen.members] == [ivan.id, olga.id]
        assert seen.last_message is not None
        sender = seen.last_message.sender
        assert sender is not None
        assert (sender.id, sender.username, sender.first_name) == (
            petr.id,
            petr.username,
            petr.first_name,
        )

    async def test_ones_own_messages_never_count(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        await conversation(hub, chat, ivan, ivan, ivan)
        assert (await unread(hub, ivan, chat), await unread(hub, olga, chat)) == (0, 3)

    async def test_messages_after_the_marker_count(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        by_ivan, _, by_olga, _ = await conversation(hub, chat, ivan, petr, olga, ivan)
        await read(hub, olga, by_ivan)
        await read(hub, petr, by_olga)
        counts = [await unread(hub, member, chat) for member in (ivan, olga, petr)]
        assert counts == [2, 2, 1]

    async def test_messages_of_a_sender_whose_row_is_gone_still_count(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        (card,) = await conversation(hub, chat, petr)
        await purge_user(hub, petr)
        assert await unread(hub, olga, chat) == 1
        assert (await get_message(hub, olga, card)).sender is None

    async def test_a_message_read_by_one_member_is_still_unread_for_another(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        chat = await group(hub, ivan, olga, petr)
        (card,) = await conversation(hub, chat, ivan)
        await read(hub, petr, card)
        assert (await unread(hub, petr, chat), await unread(hub, olga, chat)) == (0, 1)


class TestVisibleChats:
    async def test_answers_only_the_chats_the_actor_is_in(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        ours = await group(hub, ivan, olga)
        theirs = await group(hub, olga, petr)
        async with hub.uow() as uow:
            found = await service.visible_chats(
                uow, actor=as_actor(ivan), chat_ids=[ours.id, theirs.id, uuid.uuid4()]
            )
        assert list(found) == [ours.id]

    async def test_a_chat_left_is_no_longer_visible(self, hub: Hub, ivan: User, olga: User) -> None:
        chat = await group(hub, ivan, olga)
        async with hub.uow() as uow:
            await service.leave_chat(uow, actor=as_actor(olga), chat_id=chat.id)
        async with hub.uow() as uow:
            assert await service.visible_chats(uow, actor=as_actor(olga), chat_ids=[chat.id]) == {}

    async def test_find_chat_answers_none_to_an_outsider_and_for_no_chat(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        chat = await group(hub, ivan, olga)
        async with hub.uow() as uow:
            assert await service.find_chat(uow, actor=as_actor(stranger), chat_id=chat.id) is None
            assert await service.find_chat(uow, actor=as_actor(ivan), chat_id=uuid.uuid4()) is None
            found = await service.find_chat(uow, actor=as_actor(olga), chat_id=chat.id)
        assert found is not None
        assert found.id == chat.id


class TestVisibleMessages:
    async def test_answers_cards_of_the_messages_in_the_actors_chats_only(
        self, hub: Hub, ivan: User, olga: User, petr: User
    ) -> None:
        ours, theirs = await group(hub, ivan, olga), await group(hub, olga, petr)
        mine, hidden = await send(hub, olga, ours), await send(hub, olga, theirs)
        async with hub.uow() as uow:
            found = await service.visible_messages(
                uow, actor=as_actor(ivan), message_ids=[mine.id, hidden.id, uuid.uuid4()]
            )
        assert found == {mine.id: await get_message(hub, ivan, mine)}

    async def test_find_message_answers_none_to_an_outsider_and_for_no_message(
        self, hub: Hub, ivan: User, olga: User, stranger: User
    ) -> None:
        card = await send(hub, ivan, await group(hub, ivan, olga))
        actor = as_actor(stranger)
        async with hub.uow() as uow:
            assert await service.find_message(uow, actor=actor, message_id=card.id) is None
            assert await service.find_message(uow, actor=actor, message_id=uuid.uuid4()) is None
            assert await service.find_message(uow, actor=as_actor(olga), message_id=card.id) == card
