"""Seed 001 (Messenger): registration, tokens, users, presence, chats, messages, read
receipts, realtime tokens and stored files, declared once (routes, document, answer check).
Fixed paths come before the ``{id}`` ones they would otherwise match."""

from __future__ import annotations

import uuid
from datetime import datetime  # noqa: TC003 - pydantic reads the annotations at run time
from typing import Annotated, Literal

from pydantic import Field

from resolvers.rest import chats, messenger
from resolvers.rest.contract import (
    ANY,
    LOGIN_LIMITED,
    Answer,
    Detail,
    Endpoint,
    FieldErrors,
    Operation,
    Shape,
    System,
)

# A file goes up as a multipart/form-data part; JSON and urlencoded bodies cannot carry one.
FilePart = Annotated[bytes, Field(description="A file, sent as a multipart/form-data part.")]

AS_FORM_FIELDS = "Form bodies send it as repeated fields, or one comma-separated field."
BOOLEAN_TEXT = (
    "Also `true`/`false`, `1`/`0`, `on`/`off`, `yes`/`no` as text (any case), as form fields "
    "send it."
)
UNCHANGED = "Missing or null: unchanged."


# --- answers ----------------------------------------------------------------------------------


class MessengerUser(Shape):
    id: uuid.UUID
    username: str
    first_name: str
    last_name: str
    bio: str | None
    avatar: str | None = Field(description="The picture's absolute URL under `/media/`.")
    is_online: bool = Field(
        description="Active in the last five minutes and not gone offline since."
    )
    last_online_at: datetime | None


class DeletedUser(Shape):
    """A deleted account, wherever a user is shown."""

    id: Literal["deleted"]
    username: Literal["deleted"]
    first_name: Literal["Удалённый"]
    last_name: Literal["Пользователь"]
    bio: None
    avatar: None


Someone = MessengerUser | DeletedUser


class Attachment(Shape):
    item: str = Field(description="The file's absolute URL under `/media/`.")


class ChatMessage(Shape):
    id: uuid.UUID
    text: str | None
    voice: str | None = Field(description="The recording's absolute URL under `/media/`.")
    sender: Someone
    chat: uuid.UUID
    files: list[Attachment]
    updated_at: datetime
    created_at: datetime
    was_read_by: list[Someone] = Field(
        description="The members but the sender whose read marker has reached the message."
    )


class Chat(Shape):
    id: uuid.UUID
    title: str = Field(description="A private chat shows the companion's name.")
    members: list[Someone]
    creator: Someone
    avatar: str | None = Field(description="A private chat shows the companion's picture.")
    created_at: datetime
    updated_at: datetime
    is_private: bool
    last_message: ChatMessage | None
    unread_messages_count: int = Field(
        description="Others' messages newer than the caller's read marker."
    )


class Paginated(Shape):
    count: int = Field(description="Every item of the list, on all pages.")
    next: str | None = Field(description="The next page's absolute URL.")
    previous: str | None = Field(description="The previous page's absolute URL.")


class UserPage(Paginated):
    results: list[MessengerUser]


class ChatPage(Paginated):
    results: list[Chat]


class MessagePage(Paginated):
    results: list[ChatMessage]


class ReadAll(Shape):
    chat: uuid.UUID
    user: uuid.UUID = Field(description="The reader.")
    messages: list[uuid.UUID] = Field(description="The messages this call marked read.")


class TokenPair(Shape):
    access: str
    refresh: str


class RealtimeToken(Shape):
    token: str = Field(description="An HS256 JWT for the Centrifugo socket, valid for an hour.")


class Left(Shape):
    detail: Literal["You leave the chat"]


# --- requests ---------------------------------------------------------------------------------


class Registration(Shape):
    username: str = Field(description="1–20 Latin letters or digits, not starting with a digit.")
    password: str = Field(description="8–128 characters, not all digits.")
    first_name: str | None = Field(None, description="Letters only, at most 20.")
    last_name: str | None = Field(None, description="Letters only, at most 20.")
    bio: str | None = None
    avatar: FilePart | None = Field(None, description="A jpg or png up to 5 MB.")


class Credentials(Shape):
    username: str
    password: str


class Refresh(Shape):
    refresh: str = Field(description="The refresh token; it stops working once used.")


class ProfileChanges(Shape):
    first_name: str | None = Field(None, description=UNCHANGED)
    last_name: str | None = Field(None, description=UNCHANGED)
    bio: str | None = Field(None, description=UNCHANGED)
    avatar: FilePart | None = Field(None, description="A jpg or png up to 5 MB.")


class NewChat(Shape):
    is_private: bool = Field(description=BOOLEAN_TEXT)
    members: list[uuid.UUID] | None = Field(
        None,
        description="Private: exactly the companion; a group: 1–100 members (the creator is "
        f"added). {AS_FORM_FIELDS}",
    )
    title: str | None = Field(None, description="A group's title, at most 255 characters.")
    avatar: FilePart | None = None


class ChatChanges(Shape):
    title: str | None = Field(None, description=UNCHANGED)
    members: list[uuid.UUID] | None = Field(
        None, description=f"Replaces the members (the creator stays). {AS_FORM_FIELDS}"
    )
    avatar: FilePart | None = None


class NewMessage(Shape):
    chat: uuid.UUID
    text: str | None = Field(None, description="At most 500 characters.")
    files: list[FilePart] | None = Field(None, description="Up to five files.")
    voice: FilePart | None = Field(
        None, description="An mp3, wav or ogg recording; not with text or files."
    )


class MessageEdit(Shape):
    text: str | None = Field(
        None, description="The new text; empty only where the message keeps its files."
    )


class Subscription(Shape):
    channel: str | None = Field(None, description="The caller's own user id (the default).")


class ListQuery(Shape):
    page: Annotated[int, Field(ge=1)] | Literal["last"] | None = Field(
        None, description="A page number (default 1), or `last`."
    )
    page_size: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Default 10, at most 100; an invalid size is the default."
    )
    search: str | None = Field(None, description="Words that must all match (any case).")


class ChatQuery(Shape):
    chat: uuid.UUID = Field(description="The chat.")


class MessagesQuery(ListQuery, ChatQuery):
    pass


class NewChatQuery(Shape):
    fallback: Literal["on"] | None = Field(
        None, description="`on`: an existing private chat with the member is answered instead."
    )


# --- operations -------------------------------------------------------------------------------

OPEN = ()
# Chats and messages are named by UUID; a user by UUID or as ``current`` (the caller).
UUID_PATH = {"chat_id": uuid.UUID, "message_id": uuid.UUID}
USER_PATH = {"user_id": uuid.UUID | Literal["current"]}
PAST_THE_LAST_PAGE = Answer(404, "A page past the last: `Invalid page.`", Detail)
NO_CHAT = Answer(404, "No such chat.", Detail)
BARE_LIST = "The request is invalid: each bad field with its messages, or (as the original) a "
NOT_ALLOWED = "Answers 403 unless the caller is "


def _user(description: str) -> Answer:
    return Answer(200, description, MessengerUser)


def _page(
    summary: str,
    shape: type[Paginated],
    query: type[Shape] = ListQuery,
    answers: tuple[Answer, ...] = (),
) -> Operation:
    return Operation(
        summary,
        (Answer(200, "A page.", shape), PAST_THE_LAST_PAGE, *answers),
        query=query,
        description="`?page=` and `?page_size=` page the list.",
    )


def endpoints() -> list[Endpoint]:
    return [
        *_accounts(),
        *_presence_and_users(),
        *_chats(),
        *_messages(),
        *_realtime_and_files(),
    ]


def _accounts() -> list[Endpoint]:
    return [
        Endpoint(
            "/api/register/",
            messenger.register,
            {
                "POST": Operation(
                    "Create a user",
                    (Answer(201, "The new user.", MessengerUser),),
                    auth=OPEN,
                    body=Registration,
                    description="Usernames are unique (case-sensitive).",
                )
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/api/auth/",
            messenger.obtain_tokens,
            {
                "POST": Operation(
                    "Sign in: a token pair",
                    (
                        Answer(200, "A new token pair.", TokenPair),
                        Answer(401, "Wrong username or password.", Detail),
                        LOGIN_LIMITED,
                    ),
                    auth=OPEN,
                    body=Credentials,
                )
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/api/auth/refresh/",
            messenger.refresh_tokens,
            {
                "POST": Operation(
                    "Rotate a token pair",
                    (
                        Answer(200, "A new token pair.", TokenPair),
                        Answer(401, "A bad, expired or revoked token (`code`).", Detail),
                    ),
                    auth=OPEN,
                    body=Refresh,
                    description="The used pair stops working. Presenting a rotated refresh "
                    "token again revokes the session, except shortly after the rotation "
                    "(TGHUB_REFRESH_GRACE_SECONDS), when the current pair is answered.",
                )
            },
            System.MESSENGER,
        ),
    ]


def _presence_and_users() -> list[Endpoint]:
    return [
        Endpoint(
            "/api/user/online/",
            messenger.online,
            {
                "HEAD": Operation("Show yourself online", (Answer(200, "Online now."),)),
                "POST": Operation("Show yourself online", (_user("Online now: the caller."),)),
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/api/user/offline/",
            messenger.offline,
            {
                "POST": Operation(
                    "Show yourself offline",
                    (_user("Offline until the next request: the caller."),),
                )
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/api/user/{user_id}/",
            messenger.user,
            {
                "GET": Operation("A user", (_user("Found."),), path=USER_PATH),
                "PATCH": Operation(
                    "Change your profile",
                    (_user("Changed."),),
                    body=ProfileChanges,
                    path=USER_PATH,
                    description=f"{NOT_ALLOWED}the user.",
                ),
                "DELETE": Operation(
                    "Delete your account",
                    (Answer(204, "Deleted: every session ended, the name is free again."),),
                    path=USER_PATH,
                    description=f"{NOT_ALLOWED}the user. The messages stay, shown as the "
                    "deleted user's.",
                ),
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/api/users/",
            messenger.users,
            {"GET": _page("Other users, by username", UserPage)},
            System.MESSENGER,
        ),
    ]


def _chats() -> list[Endpoint]:
    return [
        Endpoint(
            "/api/chats/",
            chats.chats,
            {
                "GET": _page("Your chats, newest activity first", ChatPage),
                "POST": Operation(
                    "Create a chat",
                    (
                        Answer(
                            201, "The new chat (or, with `fallback=on`, the existing one).", Chat
                        ),
                        Answer(
                            400,
                            f"{BARE_LIST}bare list for a second private chat with the member.",
                            FieldErrors | list[str],
                        ),
                    ),
                    query=NewChatQuery,
                    body=NewChat,
                    description="A private chat has exactly one companion; a group a title.",
                ),
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/api/chat/{chat_id}/leave/",
            chats.leave_chat,
            {
                "POST": Operation(
                    "Leave a group",
                    (
                        Answer(200, "Left; a group nobody is left in is deleted.", Left),
                        Answer(400, "A private chat, or the creator: they cannot leave.", Detail),
                    ),
                    path=UUID_PATH,
                )
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/api/chat/{chat_id}/",
            chats.chat,
            {
                "GET": Operation(
                    "One of your chats", (Answer(200, "Found.", Chat),), path=UUID_PATH
                ),
                "PATCH": Operation(
                    "Change a group",
                    (
                        Answer(200, "Changed.", Chat),
                        Answer(405, "A private chat cannot be changed.", Detail),
                    ),
                    body=ChatChanges,
                    path=UUID_PATH,
                    description=f"{NOT_ALLOWED}the group's creator.",
                ),
                "DELETE": Operation(
                    "Delete a chat",
                    (Answer(204, "Deleted."),),
                    path=UUID_PATH,
                    description="Any member deletes a private chat, the creator a group.",
                ),
            },
            System.MESSENGER,
        ),
    ]


def _messages() -> list[Endpoint]:
    return [
        Endpoint(
            "/api/messages/read_all/",
            chats.read_all,
            {
                "POST": Operation(
                    "Mark a whole chat read",
                    (Answer(200, "The messages this call marked read.", ReadAll), NO_CHAT),
                    query=ChatQuery,
                )
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/api/messages/",
            chats.messages,
            {
                "GET": _page(
                    "A chat's messages, newest first",
                    MessagePage,
                    MessagesQuery,
                    (
                        Answer(
                            400,
                            f"{BARE_LIST}bare list when `chat` is missing or no UUID.",
                            FieldErrors | list[str],
                        ),
                        Answer(404, "No such chat, or a page past the last.", Detail),
                    ),
                ),
                "POST": Operation(
                    "Send a message",
                    (Answer(201, "Sent.", ChatMessage), NO_CHAT),
                    body=NewMessage,
                    description="Text, files, or one voice recording. Only members may send.",
                ),
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/api/message/{message_id}/read/",
            chats.read_message,
            {
                "POST": Operation(
                    "Mark a message (and all before it) read",
                    (Answer(200, "The message.", ChatMessage),),
                    path=UUID_PATH,
                    description="Answers 403 for the caller's own message.",
                )
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/api/message/{message_id}/",
            chats.message,
            {
                "GET": Operation(
                    "One message", (Answer(200, "Found.", ChatMessage),), path=UUID_PATH
                ),
                "PATCH": Operation(
                    "Edit a message's text",
                    (Answer(200, "Edited.", ChatMessage),),
                    body=MessageEdit,
                    path=UUID_PATH,
                    description=f"{NOT_ALLOWED}the sender.",
                ),
                "DELETE": Operation(
                    "Delete a message",
                    (Answer(204, "Deleted."),),
                    path=UUID_PATH,
                    description=f"{NOT_ALLOWED}the sender.",
                ),
            },
            System.MESSENGER,
        ),
    ]


def _realtime_and_files() -> list[Endpoint]:
    token = Answer(200, "A token.", RealtimeToken)
    return [
        Endpoint(
            "/api/centrifugo/connect/",
            messenger.centrifugo_connect,
            {"POST": Operation("A token to connect to the realtime socket", (token,))},
            System.MESSENGER,
        ),
        Endpoint(
            "/api/centrifugo/subscribe/",
            messenger.centrifugo_subscribe,
            {
                "POST": Operation(
                    "A token to subscribe to your own channel",
                    (token,),
                    body=Subscription,
                    description="Another channel is refused (403).",
                )
            },
            System.MESSENGER,
        ),
        Endpoint(
            "/media/{key:path}",
            messenger.media,
            {
                "GET": Operation(
                    "A stored file",
                    (
                        Answer(
                            200,
                            "The file, with the content type it was stored with.",
                            bytes,
                            media_type=ANY,
                            headers={
                                "Cache-Control": "A year: a key never names another file.",
                                "X-Content-Type-Options": "`nosniff`.",
                                "Content-Disposition": "`attachment` for anything but jpeg, "
                                "png, mp3, wav and ogg (downloaded, never shown inline).",
                            },
                        ),
                    ),
                    auth=OPEN,
                    description="An avatar, voice recording or attachment, at the URL answers "
                    "carry. No authentication: the key is unguessable.",
                )
            },
            System.MESSENGER,
            twin=False,
        ),
    ]
