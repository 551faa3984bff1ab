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

from domain.messenger.model import Chat as ChatModel
from domain.messenger.rules import DELETED_NAME, display_name
from schema.accounts import User
from schema.context import Info
from schema.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from schema.relay import media_url, uuid_or_none

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.accounts.model import User as UserModel
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
    created_at: datetime
    updated_at: datetime
    card: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The sender; null when the account no longer exists.")
    def sender(self) -> User | None:
        sender = self.card["sender"]
        return None if sender is None else User.from_card(sender)

    @strawberry.field(description="Absolute URL of the voice recording.")
    def voice(self, info: Info) -> str | None:
        return media_url(info, self.card["voice"])

    @strawberry.field
    def files(self, info: Info) -> list[Attachment]:
        return [Attachment(url=media_url(info, key) or "") for key in self.card["files"]]

    @strawberry.field
    def was_read_by(self) -> list[User]:
        return [User.from_card(reader) for reader in self.card["was_read_by"]]

    @strawberry.field
    async def chat(self, info: Info) -> Chat | None:
        found = await info.context.loaders.chats.load(uuid.UUID(str(self.chat_id)))
        return None if found is None else Chat.from_model(found)

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> Message:
        return cls(
            id=card["id"],
            chat_id=strawberry.ID(card["chat"]),
            text=card["text"],
            created_at=datetime.fromisoformat(card["created_at"]),
            updated_at=datetime.fromisoformat(card["updated_at"]),
            card=card,
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
        return [
            cls.from_card(found[str(i)])
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
    is_private: bool
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[ChatModel]

    @classmethod
    def from_model(cls, chat: ChatModel) -> Chat:
        return cls(
            id=str(chat.id),
            is_private=chat.is_private,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
            model=chat,
        )

    async def _overview(self, info: Info) -> ChatOverview:
        """Members, creator, last message and unread count of every chat in the response,
        loaded together (one batch, five statements)."""
        viewer = info.context.viewer
        viewer_id = viewer.user.id if viewer else NOBODY
        return await info.context.loaders.chat_overviews.load((self.model, viewer_id))

    async def _companion(self, info: Info) -> UserModel | None:
        viewer = info.context.viewer
        members = (await self._overview(info)).members
        return next((u for u in members if viewer is None or u.id != viewer.user.id), None)

    @strawberry.field(description="A group's title; a private chat shows its companion's name.")
    async def title(self, info: Info) -> str:
        if self.model.is_private:
            return _display_name(await self._companion(info))
        return self.model.title or ""

    @strawberry.field(description="A group's picture; a private chat shows its companion's.")
    async def avatar(self, info: Info) -> str | None:
        if self.model.is_private:
            companion = await self._companion(info)
            return media_url(info, companion.avatar if companion else None)
        return media_url(info, self.model.avatar)

    @strawberry.field
    async def members(self, info: Info) -> list[User]:
        return [User.from_model(user) for user in (await self._overview(info)).members]

    @strawberry.field
    async def creator(self, info: Info) -> User | None:
        creator = (await self._overview(info)).creator
        return None if creator is None else User.from_model(creator)

    @strawberry.field
    async def last_message(self, info: Info) -> Message | None:
        card = (await self._overview(info)).last_message
        return None if card is None else Message.from_card(card)

    @strawberry.field(description="Messages of others the viewer has not read.")
    async def unread_messages_count(self, info: Info) -> int:
        return (await self._overview(info)).unread_messages_count

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Chat | None]:
        ids = [uuid_or_none(node_id) for node_id in node_ids]
        chats = await info.context.loaders.chats.load_many([i for i in ids if i])
        found = {chat.id: chat for chat in chats if chat is not None}
        visible = await _visible_chats(info, list(found))
        return [cls.from_model(found[i]) if i in visible else None for i in ids]


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


@strawberry.input
class UpdateProfileInput:
    first_name: str | None = None
    last_name: str | None = None
    bio: str | None = None
    avatar: Upload | None = None


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


@strawberry.type
class ProfilePayloadSuccess:
    user: User


@strawberry.type
class AccountDeleted:
    user_id: strawberry.ID


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
ProfilePayload = Annotated[ProfilePayloadSuccess | ERRORS, strawberry.union("ProfilePayload")]
AccountDeletedPayload = Annotated[
    AccountDeleted | ERRORS, strawberry.union("AccountDeletedPayload")
]


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
