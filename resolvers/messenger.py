"""Messenger: Query, Mutation and Subscription fields.

Resolvers translate: global IDs in, the viewer as the actor, one service call, the result
rendered. Who may do what is the service's to decide.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, NamedTuple

import strawberry

from domain.accounts.events import PresenceChanged
from domain.errors import Invalid
from domain.messenger import service
from domain.messenger.events import MessageEvent as MessageChanged
from domain.messenger.events import MessagesReadAll
from domain.messenger.service import ChatChanges, NewChat, NewMessage
from resolvers.events import KeyClock, decoded, key_clock
from resolvers.permissions import require_viewer
from resolvers.sharing import SHAREABLE
from resolvers.uploads import upload_of
from schema.context import Info
from schema.messenger import (
    Chat,
    ChatFilter,
    CreateChatInput,
    CreateChatPayload,
    CreateChatSuccess,
    DeleteChatInput,
    DeleteChatPayload,
    DeleteChatSuccess,
    DeleteMessageInput,
    DeleteMessagePayload,
    DeleteMessageSuccess,
    EditMessageInput,
    EditMessagePayload,
    EditMessageSuccess,
    LeaveChatInput,
    LeaveChatPayload,
    LeaveChatSuccess,
    Message,
    MessageEvent,
    MessageEventKind,
    MessageFilter,
    PresenceEvent,
    ReadAllMessagesInput,
    ReadAllMessagesPayload,
    ReadAllMessagesSuccess,
    ReadMessageInput,
    ReadMessagePayload,
    ReadMessageSuccess,
    SendMessageInput,
    SendMessagePayload,
    SendMessageSuccess,
    UpdateChatInput,
    UpdateChatPayload,
    UpdateChatSuccess,
)
from schema.relay import (
    Connection,
    View,
    connection,
    global_id,
    id_of,
    not_an_id,
    page_request,
    uuid_of,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from domain.events import Event
    from schema.context import Context

MAX_PRESENCE_USERS = 100


def chat_id_of(value: str, field: str = "chatId") -> uuid.UUID:
    return id_of(value, "Chat", field)


def message_id_of(value: str) -> uuid.UUID:
    return id_of(value, "Message", "messageId")


def user_ids_of(values: Sequence[str], field: str = "memberIds") -> list[uuid.UUID]:
    ids = [uuid_of(value, "User") for value in values]
    if any(i is None for i in ids):
        raise not_an_id(field, "Every id must be a User id.")
    return [i for i in ids if i is not None]


def search_of(filter: ChatFilter | MessageFilter | None) -> str | None:
    return None if filter is None else filter.search


@strawberry.type
class MessengerQuery:
    @strawberry.field(description="The viewer's chats, the liveliest first.")
    async def chats(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: ChatFilter | None = None,
    ) -> Connection[Chat]:
        viewer = require_viewer(info.context)
        page = page_request(first, after, max_size=info.context.max_page_size)
        # One transaction for the page and what its chats show (a node always shows them).
        async with info.context.uow() as uow:
            found = await service.list_chats(uow, actor=viewer, search=search_of(filter), page=page)
            overviews = await service.chat_overviews(uow, actor=viewer, chats=found.items)
        view = View.of(info)
        nodes = {overview.chat.id: Chat.from_overview(overview, view) for overview in overviews}
        return connection(
            found, lambda chat: nodes[chat.id], service.chat_cursor, has_previous=bool(after)
        )

    @strawberry.field(description="One of the viewer's chats; null for any other id.")
    async def chat(self, info: Info, id: strawberry.ID) -> Chat | None:
        viewer = require_viewer(info.context)
        chat_id = uuid_of(id, "Chat")
        loader = info.context.loaders.chats
        found = None if chat_id is None else await loader.load((chat_id, viewer))
        return None if found is None else await Chat.load(info, found)

    @strawberry.field(description="Messages of a chat the viewer is in, newest first.")
    async def messages(
        self,
        info: Info,
        chat_id: strawberry.ID,
        first: int = 20,
        after: str | None = None,
        filter: MessageFilter | None = None,
    ) -> Connection[Message]:
        viewer = require_viewer(info.context)
        page = page_request(first, after, max_size=info.context.max_page_size)
        chat = chat_id_of(chat_id)
        async with info.context.uow() as uow:
            found = await service.list_messages(
                uow, actor=viewer, chat_id=chat, search=search_of(filter), page=page
            )
        view = View.of(info)
        return connection(
            found,
            lambda card: Message.from_card(card, view),
            service.message_cursor,
            has_previous=bool(after),
        )

    @strawberry.field(description="One message of a chat the viewer is in; null otherwise.")
    async def message(self, info: Info, id: strawberry.ID) -> Message | None:
        viewer = require_viewer(info.context)
        message_id = uuid_of(id, "Message")
        loader = info.context.loaders.messages
        card = None if message_id is None else await loader.load((message_id, viewer))
        return None if card is None else Message.from_card(card, View.of(info))


@strawberry.type
class MessengerMutation:
    @strawberry.mutation(description="A private chat with one companion, or a group.")
    async def create_chat(self, info: Info, input: CreateChatInput) -> CreateChatPayload:
        viewer = require_viewer(info.context)
        new = NewChat(
            is_private=input.is_private,
            member_ids=user_ids_of(input.member_ids),
            title=input.title,
            avatar=await upload_of(input.avatar),
        )
        async with info.context.uow() as uow:
            chat, created = await service.create_chat(
                uow, info.context.messenger, actor=viewer, new=new, fallback=input.fallback
            )
        return CreateChatSuccess(chat=await Chat.load(info, chat), created=created)

    @strawberry.mutation(description="The creator renames a group or changes its members.")
    async def update_chat(self, info: Info, input: UpdateChatInput) -> UpdateChatPayload:
        viewer = require_viewer(info.context)
        chat_id = chat_id_of(input.chat_id)
        members = None if input.member_ids is None else user_ids_of(input.member_ids)
        changes = ChatChanges(
            title=input.title, member_ids=members, avatar=await upload_of(input.avatar)
        )
        async with info.context.uow() as uow:
            chat = await service.update_chat(
                uow, info.context.messenger, actor=viewer, chat_id=chat_id, changes=changes
            )
        return UpdateChatSuccess(chat=await Chat.load(info, chat))

    @strawberry.mutation(description="Any member deletes a private chat; the creator a group.")
    async def delete_chat(self, info: Info, input: DeleteChatInput) -> DeleteChatPayload:
        viewer = require_viewer(info.context)
        chat_id = chat_id_of(input.chat_id)
        async with info.context.uow() as uow:
            await service.delete_chat(uow, actor=viewer, chat_id=chat_id)
        return DeleteChatSuccess(chat_id=global_id("Chat", chat_id))

    @strawberry.mutation(description="Leave a group (not its creator); an empty group is gone.")
    async def leave_chat(self, info: Info, input: LeaveChatInput) -> LeaveChatPayload:
        viewer = require_viewer(info.context)
        chat_id = chat_id_of(input.chat_id)
        async with info.context.uow() as uow:
            await service.leave_chat(uow, actor=viewer, chat_id=chat_id)
        return LeaveChatSuccess(chat_id=global_id("Chat", chat_id))

    @strawberry.mutation(description="Text (≤ 500), up to five files, or one voice recording.")
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessagePayload:
        viewer = require_viewer(info.context)
        new = NewMessage(
            chat_id=chat_id_of(input.chat_id),
            text=input.text,
            files=[u for f in input.files if (u := await upload_of(f)) is not None],
            voice=await upload_of(input.voice),
        )
        async with info.context.uow() as uow:
            card = await service.send_message(uow, info.context.messenger, actor=viewer, new=new)
        return SendMessageSuccess(message=Message.from_card(card, View.of(info)))

    @strawberry.mutation(description="The sender replaces a message's text.")
    async def edit_message(self, info: Info, input: EditMessageInput) -> EditMessagePayload:
        viewer = require_viewer(info.context)
        message_id = message_id_of(input.message_id)
        async with info.context.uow() as uow:
            card = await service.edit_message(
                uow, info.context.messenger, actor=viewer, message_id=message_id, text=input.text
            )
        return EditMessageSuccess(message=Message.from_card(card, View.of(info)))

    @strawberry.mutation(description="The sender deletes a message.")
    async def delete_message(self, info: Info, input: DeleteMessageInput) -> DeleteMessagePayload:
        viewer = require_viewer(info.context)
        message_id = message_id_of(input.message_id)
        async with info.context.uow() as uow:
            await service.delete_message(uow, actor=viewer, message_id=message_id)
        return DeleteMessageSuccess(message_id=global_id("Message", message_id))

    @strawberry.mutation(description="Mark a message of someone else, and all before it, read.")
    async def read_message(self, info: Info, input: ReadMessageInput) -> ReadMessagePayload:
        viewer = require_viewer(info.context)
        message_id = message_id_of(input.message_id)
        async with info.context.uow() as uow:
            card = await service.read_message(uow, actor=viewer, message_id=message_id)
        return ReadMessageSuccess(message=Message.from_card(card, View.of(info)))

    @strawberry.mutation(description="Mark every message of a chat read.")
    async def read_all_messages(
        self, info: Info, input: ReadAllMessagesInput
    ) -> ReadAllMessagesPayload:
        viewer = require_viewer(info.context)
        chat_id = chat_id_of(input.chat_id)
        async with info.context.uow() as uow:
            done = await service.read_all_messages(uow, actor=viewer, chat_id=chat_id)
        ids = [global_id("Message", message_id) for message_id in done.message_ids]
        return ReadAllMessagesSuccess(chat_id=global_id("Chat", done.chat_id), message_ids=ids)


@strawberry.type
class MessengerSubscription:
    @strawberry.subscription(description="Changes in the viewer's chats, or in one of them.")
    async def message_events(
        self, info: Info, chat_id: strawberry.ID | None = None
    ) -> AsyncGenerator[MessageEvent, None]:
        viewer = require_viewer(info.context)
        clock = key_clock(info.context.auth.clock)
        only = None
        if chat_id is not None:
            only = chat_id_of(chat_id)
            async with info.context.uow() as uow:  # members only, checked once
                await service.get_chat(uow, actor=viewer, chat_id=only)
        view = View.of(info)
        sharing = SharingKey(only, view.base_url, view.viewer_id, view.viewer_is_admin, clock)
        async with info.context.events.subscribe(f"user:{viewer.user_id}") as messages:
            async for text in messages:
                event = shared_message_event(text, sharing)
                if event is not None:
                    yield event

    @strawberry.subscription(description="These users coming online or going offline.")
    async def presence(
        self, info: Info, user_ids: list[strawberry.ID]
    ) -> AsyncGenerator[PresenceEvent, None]:
        require_viewer(info.context)
        if len(user_ids) > MAX_PRESENCE_USERS:
            raise Invalid.single("userIds", f"At most {MAX_PRESENCE_USERS} users.")
        ids = user_ids_of(user_ids, "userIds")
        async for event in presence_changes(info.context, ids):
            yield PresenceEvent(
                user_id=global_id("User", event.user_id),
                is_online=event.online,
                last_online_at=event.last_online_at,
            )


class SharingKey(NamedTuple):
    """Everything a ``messageEvents`` payload depends on besides the event: subscriptions
    with equal keys get the very same payload object (``resolvers.sharing``)."""

    only: uuid.UUID | None  # the chat filter
    base_url: str
    viewer_id: uuid.UUID | None
    viewer_is_admin: bool
    clock: KeyClock


@functools.lru_cache(maxsize=1024)
def shared_message_event(text: str, key: SharingKey) -> MessageEvent | None:
    """The payload of one bus message for every subscription with this key, built once.

    The first render's ``now`` stands for all of them (only ``isOnline``'s five-minute window
    depends on it), as the Centrifugo socket's cached publications do.
    """
    view = View(
        now=key.clock.now(),
        base_url=key.base_url,
        viewer_id=key.viewer_id,
        viewer_is_admin=key.viewer_is_admin,
    )
    return message_event(decoded(text), key.only, view)


SHAREABLE.add(MessageEvent)


def message_event(event: Event | None, only: uuid.UUID | None, view: View) -> MessageEvent | None:
    """The GraphQL shape of a messenger event; None for others, or for another chat."""
    if not isinstance(event, (MessageChanged, MessagesReadAll)):
        return None
    if only is not None and event.chat_id != only:
        return None
    chat_id = global_id("Chat", event.chat_id)
    if isinstance(event, MessagesReadAll):
        return MessageEvent(
            kind=MessageEventKind.READ_ALL,
            chat_id=chat_id,
            message=None,
            reader_id=global_id("User", event.user_id),
            message_ids=[global_id("Message", i) for i in event.message_ids],
        )
    return MessageEvent(
        kind=MessageEventKind(event.kind),
        chat_id=chat_id,
        message=Message.from_card(event.message, view),
        message_ids=[global_id("Message", event.message.id)],
    )


async def presence_changes(
    context: Context, user_ids: list[uuid.UUID]
) -> AsyncGenerator[PresenceChanged, None]:
    """Presence events of these users, merged from their channels; a channel's error (the
    bus lost Redis) ends the whole subscription."""
    queue: asyncio.Queue[PresenceChanged | Exception] = asyncio.Queue()

    async def follow(user_id: uuid.UUID) -> None:
        try:
            async with context.events.subscribe(f"presence:{user_id}") as messages:
                async for text in messages:
                    event = decoded(text)
                    if isinstance(event, PresenceChanged):
                        queue.put_nowait(event)
        except Exception as exc:  # handed over, or the subscription would wait forever
            queue.put_nowait(exc)

    tasks = [asyncio.create_task(follow(user_id)) for user_id in dict.fromkeys(user_ids)]
    try:
        while True:
            item = await queue.get()
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
