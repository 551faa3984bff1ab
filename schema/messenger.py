"""GraphQL shapes of the messenger: chats, messages, their events, presence.

These types render what the services hand out (chats a viewer may see, message cards); who
may see what is decided there, not here. Every id is a global ID.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload
from typing_extensions import override

from domain.errors import Unauthenticated
from schema.accounts import User
from schema.context import Info
from schema.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from schema.relay import View, global_id, uuid_or_none

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from domain.messenger.cards import ChatRow, MessageCard
    from domain.messenger.model import Chat as ChatModel
    from domain.messenger.service import ChatOverview


@strawberry.type
class Attachment:
    url: str


@strawberry.type(description="A chat message; `wasReadBy` lists members whose marker passed it.")
class Message(relay.Node):
    id: relay.NodeID[str]
    chat_id: strawberry.ID = strawberry.field(description="The global ID of the message's chat.")
    text: str | None
    voice: str | None = strawberry.field(description="Absolute URL of the voice recording.")
    files: list[Attachment]
    sender: User | None = strawberry.field(
        description="The sender; null when the row no longer exists."
    )
    was_read_by: list[User]
    created_at: datetime
    updated_at: datetime
    chat_uuid: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def chat(self, info: Info) -> Chat | None:
        viewer = info.context.viewer
        found = (
            None
            if viewer is None
            else await info.context.loaders.chats.load((self.chat_uuid, viewer))
        )
        return None if found is None else await Chat.load(info, found)

    @classmethod
    def from_card(cls, card: MessageCard, view: View) -> Message:
        sender = card.sender
        return cls(
            id=str(card.id),
            chat_id=global_id("Chat", card.chat_id),
            chat_uuid=card.chat_id,
            text=card.text,
            voice=view.media(card.voice),
            files=[Attachment(url=view.media(key) or "") for key in card.files],
            sender=None if sender is None else User.from_card(sender, view),
            was_read_by=[User.from_card(reader, view) for reader in card.was_read_by],
            created_at=card.created_at,
            updated_at=card.updated_at,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Message | None]:
        ids = [uuid_or_none(node_id) for node_id in node_ids]
        viewer = info.context.viewer
        keys = [] if viewer is None else [(i, viewer) for i in ids if i]
        cards = await info.context.loaders.messages.load_many(keys)
        found = {card.id: card for card in cards if card is not None}
        view = View.of(info)
        return [cls.from_card(found[i], view) if i in found else None for i in ids]


@strawberry.type(description="A private chat (two members) or a group chat.")
class Chat(relay.Node):
    id: relay.NodeID[str]
    title: str = strawberry.field(
        description="A group's title; a private chat shows its companion's name."
    )
    is_private: bool
    avatar: str | None = strawberry.field(
        description="A group's picture; a private chat shows its companion's."
    )
    members: list[User]
    creator: User | None
    last_message: Message | None
    unread_messages_count: int = strawberry.field(
        description="Messages of others the viewer has not read."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_overview(cls, overview: ChatOverview, view: View) -> Chat:
        chat, last = overview.chat, overview.last_message
        return cls(
            id=str(chat.id),
            title=overview.title,
            is_private=chat.is_private,
            avatar=view.media(overview.avatar),
            members=[User.from_card(user, view) for user in overview.members],
            creator=None if overview.creator is None else User.from_card(overview.creator, view),
            last_message=None if last is None else Message.from_card(last, view),
            unread_messages_count=overview.unread_messages_count,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
        )

    @classmethod
    async def load_many(cls, info: Info, chats: Sequence[ChatModel | ChatRow]) -> list[Chat]:
        """These chats as the viewer sees them, their relations read in one batch."""
        viewer = info.context.viewer
        if viewer is None:  # chats reach a request only through its viewer
            raise info.context.auth_error or Unauthenticated()
        keys = [(chat, viewer) for chat in chats]
        overviews = await info.context.loaders.chat_overviews.load_many(keys)
        view = View.of(info)
        return [cls.from_overview(overview, view) for overview in overviews]

    @classmethod
    async def load(cls, info: Info, chat: ChatModel | ChatRow) -> Chat:
        return (await cls.load_many(info, [chat]))[0]

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Chat | None]:
        ids = [uuid_or_none(node_id) for node_id in node_ids]
        viewer = info.context.viewer
        keys = [] if viewer is None else [(i, viewer) for i in ids if i]
        chats = await info.context.loaders.chats.load_many(keys)
        shown = await cls.load_many(info, [chat for chat in chats if chat is not None])
        by_id = {chat.id: chat for chat in shown}
        return [by_id.get(str(i)) for i in ids]


@strawberry.enum
class MessageEventKind(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    READ = "read"
    READ_ALL = "read_all"


@strawberry.type(description="A change in one of the viewer's chats (seed 001's publications).")
class MessageEvent:
    kind: MessageEventKind
    chat_id: strawberry.ID
    message: Message | None = strawberry.field(
        description="The message after the change (as it was, for delete); null for readAll."
    )
    reader_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who read every message (readAll)."
    )
    message_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The messages readAll marked as read."
    )


@strawberry.type(description="A messenger user came online or went offline.")
class PresenceEvent:
    user_id: strawberry.ID
    is_online: bool
    last_online_at: datetime | None


# --- filters and inputs ----------------------------------------------------------------------


@strawberry.input
class ChatFilter:
    search: str | None = strawberry.field(
        default=None, description="Words matched in a group's title or the companion's names."
    )


@strawberry.input
class MessageFilter:
    search: str | None = strawberry.field(
        default=None, description="Words matched in the text or the sender's names."
    )


@strawberry.input
class CreateChatInput:
    is_private: bool
    member_ids: list[strawberry.ID] = strawberry.field(description="Global IDs of users.")
    title: str | None = None
    avatar: Upload | None = None
    fallback: bool = strawberry.field(
        default=False, description="Return the pair's existing private chat instead of failing."
    )


@strawberry.input
class UpdateChatInput:
    chat_id: strawberry.ID
    title: str | None = None
    member_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Replaces the members; the creator always stays."
    )
    avatar: Upload | None = None


@strawberry.input
class DeleteChatInput:
    chat_id: strawberry.ID


@strawberry.input
class LeaveChatInput:
    chat_id: strawberry.ID


@strawberry.input
class ReadAllMessagesInput:
    chat_id: strawberry.ID


@strawberry.input
class SendMessageInput:
    chat_id: strawberry.ID
    text: str | None = None
    files: list[Upload] = strawberry.field(default_factory=list)
    voice: Upload | None = None


@strawberry.input
class EditMessageInput:
    message_id: strawberry.ID
    text: str


@strawberry.input
class DeleteMessageInput:
    message_id: strawberry.ID


@strawberry.input
class ReadMessageInput:
    message_id: strawberry.ID


# --- payloads: each mutation's union lists the errors it can return ---------------------------


@strawberry.type
class CreateChatSuccess:
    chat: Chat
    created: bool = strawberry.field(
        description="False when `fallback` returned the pair's existing private chat."
    )


@strawberry.type
class UpdateChatSuccess:
    chat: Chat


@strawberry.type
class DeleteChatSuccess:
    chat_id: strawberry.ID


@strawberry.type
class LeaveChatSuccess:
    chat_id: strawberry.ID


@strawberry.type
class SendMessageSuccess:
    message: Message


@strawberry.type
class EditMessageSuccess:
    message: Message


@strawberry.type
class DeleteMessageSuccess:
    message_id: strawberry.ID


@strawberry.type
class ReadMessageSuccess:
    message: Message


@strawberry.type
class ReadAllMessagesSuccess:
    chat_id: strawberry.ID
    message_ids: list[strawberry.ID]


CreateChatPayload = Annotated[
    CreateChatSuccess | ValidationError, strawberry.union("CreateChatPayload")
]
UpdateChatPayload = Annotated[
    UpdateChatSuccess | ValidationError | NotFoundError | PermissionDeniedError | ConflictError,
    strawberry.union("UpdateChatPayload"),
]
DeleteChatPayload = Annotated[
    DeleteChatSuccess | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("DeleteChatPayload"),
]
LeaveChatPayload = Annotated[
    LeaveChatSuccess | ValidationError | NotFoundError, strawberry.union("LeaveChatPayload")
]
SendMessagePayload = Annotated[
    SendMessageSuccess | ValidationError | NotFoundError, strawberry.union("SendMessagePayload")
]
EditMessagePayload = Annotated[
    EditMessageSuccess | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("EditMessagePayload"),
]
DeleteMessagePayload = Annotated[
    DeleteMessageSuccess | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("DeleteMessagePayload"),
]
ReadMessagePayload = Annotated[
    ReadMessageSuccess | ValidationError | NotFoundError, strawberry.union("ReadMessagePayload")
]
ReadAllMessagesPayload = Annotated[
    ReadAllMessagesSuccess | ValidationError | NotFoundError,
    strawberry.union("ReadAllMessagesPayload"),
]
