"""GraphQL shapes of the messenger: chats, messages, their events, presence."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload
from typing_extensions import override

from domain.messenger.rules import DELETED_NAME, display_name
from schema.accounts import User
from schema.context import Info
from schema.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from schema.relay import View, uuid_or_none

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from domain.accounts.model import User as UserModel
    from domain.messenger.model import Chat as ChatModel
    from domain.messenger.service import ChatOverview

# The viewer of a chat field without one: Chat objects are only reached by members, so this
# never shows; it keeps the loader key total.
NOBODY = uuid.UUID(int=0)


@strawberry.type
class Attachment:
    url: str


@strawberry.type(description="A chat message; `wasReadBy` lists members whose marker passed it.")
class Message(relay.Node):
    id: relay.NodeID[str]
    chat_id: strawberry.ID
    text: str | None
    voice: str | None = strawberry.field(description="Absolute URL of the voice recording.")
    files: list[Attachment]
    sender: User | None = strawberry.field(
        description="The sender; null when the row no longer exists."
    )
    was_read_by: list[User]
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    async def chat(self, info: Info) -> Chat | None:
        found = await info.context.loaders.chats.load(uuid.UUID(str(self.chat_id)))
        return None if found is None else await Chat.load(info, found)

    @classmethod
    def from_card(cls, card: dict[str, Any], view: View) -> Message:
        sender = card["sender"]
        return cls(
            id=card["id"],
            chat_id=strawberry.ID(card["chat"]),
            text=card["text"],
            voice=view.media(card["voice"]),
            files=[Attachment(url=view.media(key) or "") for key in card["files"]],
            sender=None if sender is None else User.from_card(sender, view),
            was_read_by=[User.from_card(reader, view) for reader in card["was_read_by"]],
            created_at=datetime.fromisoformat(card["created_at"]),
            updated_at=datetime.fromisoformat(card["updated_at"]),
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Message | None]:
        ids = [uuid_or_none(node_id) for node_id in node_ids]
        cards = await info.context.loaders.messages.load_many([i for i in ids if i])
        found = {card["id"]: card for card in cards if card is not None}
        visible = await _visible_chats(info, [uuid.UUID(card["chat"]) for card in found.values()])
        view = View.of(info)
        return [
            cls.from_card(found[str(i)], view)
            if str(i) in found and uuid.UUID(found[str(i)]["chat"]) in visible
            else None
            for i in ids
        ]


def _display_name(user: UserModel | None) -> str:
    if user is None:
        return DELETED_NAME
    deleted = user.deleted_at is not None
    return display_name(user.first_name, user.last_name, user.username, deleted=deleted)


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
    def from_overview(cls, overview: ChatOverview, viewer: uuid.UUID, view: View) -> Chat:
        chat, members, last = overview.chat, overview.members, overview.last_message
        title, avatar = chat.title or "", chat.avatar
        if chat.is_private:
            companion = next((u for u in members if u.id != viewer), None)
            title, avatar = _display_name(companion), companion.avatar if companion else None
        return cls(
            id=str(chat.id),
            title=title,
            is_private=chat.is_private,
            avatar=view.media(avatar),
            members=[User.from_model(user, view) for user in members],
            creator=None if overview.creator is None else User.from_model(overview.creator, view),
            last_message=None if last is None else Message.from_card(last, view),
            unread_messages_count=overview.unread_messages_count,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
        )

    @classmethod
    async def load_many(cls, info: Info, chats: Sequence[ChatModel]) -> list[Chat]:
        """These chats as the viewer sees them, their relations read in one batch."""
        viewer = info.context.viewer
        viewer_id = viewer.user.id if viewer else NOBODY
        loader = info.context.loaders.chat_overviews
        overviews = await loader.load_many([(chat, viewer_id) for chat in chats])
        view = View.of(info)
        return [cls.from_overview(overview, viewer_id, view) for overview in overviews]

    @classmethod
    async def load(cls, info: Info, chat: ChatModel) -> Chat:
        return (await cls.load_many(info, [chat]))[0]

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Chat | None]:
        ids = [uuid_or_none(node_id) for node_id in node_ids]
        chats = await info.context.loaders.chats.load_many([i for i in ids if i])
        found = {chat.id: chat for chat in chats if chat is not None}
        visible = await _visible_chats(info, list(found))
        shown = await cls.load_many(info, [found[i] for i in ids if i in visible])
        by_id = {chat.id: chat for chat in shown}
        return [by_id.get(str(i)) for i in ids]


async def _visible_chats(info: Info, chat_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The chats among these of which the viewer is a member (only members see a chat)."""
    viewer = info.context.viewer
    if viewer is None or not chat_ids:
        return set()
    members = await info.context.loaders.chat_members.load_many(chat_ids)
    return {
        chat_id
        for chat_id, chat_members in zip(chat_ids, members, strict=True)
        if any(member.user_id == viewer.user.id for member in chat_members)
    }


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
    member_ids: list[strawberry.ID]
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
class ChatInput:
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
class MessageInput:
    message_id: strawberry.ID


# --- payloads --------------------------------------------------------------------------------


@strawberry.type
class ChatPayloadSuccess:
    chat: Chat
    created: bool = True


@strawberry.type
class ChatRemoved:
    chat_id: strawberry.ID


@strawberry.type
class MessagePayloadSuccess:
    message: Message


@strawberry.type
class MessageRemoved:
    message_id: strawberry.ID


@strawberry.type
class ChatRead:
    chat_id: strawberry.ID
    message_ids: list[strawberry.ID]


ERRORS = ValidationError | NotFoundError | PermissionDeniedError
ChatPayload = Annotated[
    ChatPayloadSuccess | ERRORS | ConflictError, strawberry.union("ChatPayload")
]
ChatRemovedPayload = Annotated[ChatRemoved | ERRORS, strawberry.union("ChatRemovedPayload")]
MessagePayload = Annotated[MessagePayloadSuccess | ERRORS, strawberry.union("MessagePayload")]
MessageRemovedPayload = Annotated[
    MessageRemoved | ERRORS, strawberry.union("MessageRemovedPayload")
]
ChatReadPayload = Annotated[ChatRead | ERRORS, strawberry.union("ChatReadPayload")]


def node_uuid(value: str, type_name: str) -> uuid.UUID | None:
    """A raw UUID or a global ID of ``type_name``; None for anything else."""
    direct = uuid_or_none(value)
    if direct is not None:
        return direct
    try:
        global_id = relay.GlobalID.from_id(value)
    except (ValueError, TypeError):
        return None
    return uuid_or_none(global_id.node_id) if global_id.type_name == type_name else None
