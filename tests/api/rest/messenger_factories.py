"""Builders and matchers shared by the seed 001 (messenger) REST tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from domain.accounts import service
from domain.accounts.model import User
from domain.accounts.rules import UsernamePolicy
from domain.messenger.model import Chat, ChatMember, Message, MessageFile
from domain.messenger.rules import private_key
from tests.api.rest.factories import PASSWORD, unique_username

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

# Smallest byte strings the server recognises as each format (it sniffs content, not names).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32
MP3 = b"ID3\x04\x00" + b"\x00" * 32
OGG = b"OggS\x00\x02" + b"\x00" * 32
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32

NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
TOKEN_NOT_VALID = {"detail": "Token is invalid or expired", "code": "token_not_valid"}
INVALID_PAGE = {"detail": "Invalid page."}
NOT_A_MEMBER = {"detail": "You are not a member of this chat."}
NOT_THE_CREATOR = {"detail": "Only the creator may change or delete this chat."}
NOT_THE_SENDER = {"detail": "Only the sender may change or delete a message."}
NO_CHAT = {"detail": "No Chat matches the given query."}
NO_MESSAGE = {"detail": "No Message matches the given query."}
NO_USER = {"detail": "No User matches the given query."}
DELETED_USER = {
    "id": "deleted",
    "username": "deleted",
    "first_name": "Удалённый",
    "last_name": "Пользователь",
    "bio": None,
    "avatar": None,
}


class IsoTime:
    """Equal to any ISO 8601 timestamp that carries a UTC offset (and to nothing else)."""

    @override
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        try:
            return datetime.fromisoformat(other).tzinfo is not None
        except ValueError:
            return False

    __hash__ = None  # type: ignore[assignment]

    @override
    def __repr__(self) -> str:
        return "<ISO 8601 timestamp with offset>"


class MediaUrl:
    """Equal to an absolute ``<base>/media/<key>`` URL whose file name ends as given."""

    def __init__(self, base: str, suffix: str = "") -> None:
        self.prefix = f"{base}/media/"
        self.suffix = suffix

    @override
    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, str)
            and other.startswith(self.prefix)
            and other.endswith(self.suffix)
            and len(other) > len(self.prefix) + len(self.suffix)
        )

    __hash__ = None  # type: ignore[assignment]

    @override
    def __repr__(self) -> str:
        return f"<{self.prefix}...{self.suffix}>"


ISO = IsoTime()


@dataclass(frozen=True)
class Actor:
    """A registered, logged-in user of the messenger."""

    id: str
    username: str
    first_name: str
    last_name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def json(
        self, *, is_online: bool, bio: str | None = None, avatar: Any = None
    ) -> dict[str, Any]:
        """This user as seed 001 renders them."""
        return {
            "id": self.id,
            "username": self.username,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "bio": bio,
            "avatar": avatar,
            "is_online": is_online,
            "last_online_at": ISO if is_online else None,
        }


async def log_in(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    response = await http.post("/api/auth/", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    access: str = response.json()["access"]
    return access


async def actor(
    http: httpx.AsyncClient,
    runtime: Runtime,
    *,
    first_name: str = "Ivan",
    last_name: str = "Petrov",
    username: str | None = None,
) -> Actor:
    """A user registered through the domain and logged in through ``POST /api/auth/``."""
    async with runtime.uow() as uow:
        user = await service.register_user(
            uow,
            runtime.auth,
            username=username or unique_username("u"),
            password=PASSWORD,
            first_name=first_name,
            last_name=last_name,
            policy=UsernamePolicy.STRICT,
        )
    token = await log_in(http, user.username)
    return Actor(str(user.id), user.username, first_name, last_name, token)


async def actors(http: httpx.AsyncClient, runtime: Runtime, count: int) -> list[Actor]:
    return [await actor(http, runtime) for _ in range(count)]


# --- chats and messages over HTTP --------------------------------------------------------


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def private_chat(http: httpx.AsyncClient, owner: Actor, companion: Actor) -> dict[str, Any]:
    response = await http.post(
        "/api/chats/",
        json={"is_private": True, "members": [companion.id]},
        headers=owner.headers,
    )
    return created(response)


async def group_chat(
    http: httpx.AsyncClient, creator: Actor, members: list[Actor], title: str = "Team"
) -> dict[str, Any]:
    response = await http.post(
        "/api/chats/",
        json={"is_private": False, "title": title, "members": [m.id for m in members]},
        headers=creator.headers,
    )
    return created(response)


async def send(
    http: httpx.AsyncClient, sender: Actor, chat_id: str, text: str = "hello"
) -> dict[str, Any]:
    response = await http.post(
        "/api/messages/", json={"chat": chat_id, "text": text}, headers=sender.headers
    )
    return created(response)


async def get_json(http: httpx.AsyncClient, who: Actor, url: str) -> Any:
    response = await http.get(url, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def chat_view(http: httpx.AsyncClient, who: Actor, chat_id: str) -> dict[str, Any]:
    body: dict[str, Any] = await get_json(http, who, f"/api/chat/{chat_id}/")
    return body


async def message_ids(http: httpx.AsyncClient, who: Actor, chat_id: str) -> list[str]:
    page = await get_json(http, who, f"/api/messages/?chat={chat_id}&page_size=100")
    return [m["id"] for m in page["results"]]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def missing_id() -> str:
    return str(uuid.uuid4())


# --- bulk rows straight into the database (for pagination and statement counts) ----------


async def seed_users(runtime: Runtime, count: int, prefix: str = "member") -> list[uuid.UUID]:
    """``count`` active users named ``<prefix>000``... (they cannot log in)."""
    users = [
        User(username=f"{prefix}{i:03}", password_hash="!", first_name="Seed", last_name="User")
        for i in range(count)
    ]
    async with runtime.uow() as uow:
        uow.session.add_all(users)
        await uow.commit()
    return [user.id for user in users]


class _Timeline:
    """Distinct timestamps in the past, increasing with the index."""

    def __init__(self) -> None:
        self.start = datetime.now(UTC) - timedelta(hours=2)

    def __call__(self, index: int) -> datetime:
        return self.start + timedelta(seconds=index)


async def seed_messages(runtime: Runtime, chat_id: str, sender: str, count: int) -> list[uuid.UUID]:
    """``count`` text messages, oldest first."""
    _at = _Timeline()
    messages = [
        Message(
            chat_id=uuid.UUID(chat_id),
            sender_id=uuid.UUID(sender),
            text=f"message {i}",
            created_at=_at(i),
            updated_at=_at(i),
        )
        for i in range(count)
    ]
    async with runtime.uow() as uow:
        uow.session.add_all(messages)
        await uow.commit()
    return [m.id for m in messages]


async def seed_chats(runtime: Runtime, owner: str, count: int) -> list[uuid.UUID]:
    """``count`` chats of ``owner``, each with other members and a last message.

    Every third chat is private (its own companion); the others are groups of three, some
    with an avatar. Messages alternate between the owner's and others' (unread or read by
    the owner), some carrying files, so every part of a chat's JSON has something to load.
    """
    me, _at = uuid.UUID(owner), _Timeline()
    others = await seed_users(runtime, count + 2, prefix=f"seed{uuid.uuid4().hex[:6]}")
    chats: list[Chat] = []
    members: list[ChatMember] = []
    messages: list[Message] = []
    files: list[MessageFile] = []
    for i in range(count):
        private = i % 3 == 0
        peers = [others[i]] if private else [others[i], others[i + 1]]
        chat = Chat(
            id=uuid.uuid4(),
            title=None if private else f"group {i}",
            is_private=private,
            creator_id=me if i % 2 else peers[0],
            private_key=private_key(me, peers[0]) if private else None,
            avatar=None if private or i % 4 else f"seed/{i}.png",
            created_at=_at(i),
            updated_at=_at(i),
        )
        chats.append(chat)
        read_up_to = _at(i) if i % 5 == 0 else None
        members.append(ChatMember(chat_id=chat.id, user_id=me, last_read_at=read_up_to))
        members.extend(ChatMember(chat_id=chat.id, user_id=peer) for peer in peers)
        for j, sender in enumerate([peers[0], me if i % 2 else peers[-1]]):
            sent = _at(i) - timedelta(milliseconds=10 * (1 - j))
            message = Message(
                id=uuid.uuid4(),
                chat_id=chat.id,
                sender_id=sender,
                text=f"chat {i} message {j}",
                created_at=sent,
                updated_at=sent,
            )
            messages.append(message)
            if i % 4 == 1:
                files.append(MessageFile(message_id=message.id, key=f"seed/{i}-{j}.bin"))
    async with runtime.uow() as uow:
        uow.session.add_all(chats)
        await uow.session.flush()
        uow.session.add_all([*members, *messages])
        await uow.session.flush()
        uow.session.add_all(files)
        await uow.commit()
    return [chat.id for chat in chats]
