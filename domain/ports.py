"""Protocols through which aggregates reach the outside world."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence
    from contextlib import AbstractAsyncContextManager
    from datetime import datetime

    from domain.accounts.session_cache import SessionCache
    from domain.telegram.model import (
        AccountCredentials,
        AdminRights,
        BotCredentials,
        BotInfo,
        ChannelInfo,
        InviteOutcome,
        LoginCode,
        PostedMessage,
        SentMessage,
        SignedIn,
        StatusObservation,
        TelegramUser,
    )
    from domain.types import TelegramID


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class EventPublisher(Protocol):
    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        """Publish each ``(channel, JSON text)`` on its ``scope:id`` channel, in the order
        given, in one round trip where the transport allows; delivery is at-most-once."""
        ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str:
        """A salted, slow hash (argon2); runs off the event loop."""
        ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when the password matches; costs the same time for a missing hash."""
        ...


class TokenCodec(Protocol):
    def encode(self, claims: Mapping[str, Any]) -> str:
        """Sign claims into a compact token."""
        ...

    def decode(self, token: str) -> dict[str, Any]:
        """Verify signature and expiry; raise ``InvalidToken`` on any failure."""
        ...


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> float | None:
        """Count one attempt; the seconds to wait when ``key`` is over ``limit`` per window."""
        ...

    async def refund(self, key: str) -> None:
        """Take back one attempt counted in the current window (one that turned out fine)."""
        ...


@dataclass(frozen=True)
class AuthPorts:
    """What the accounts services need from outside, bundled to keep signatures short."""

    hasher: PasswordHasher
    tokens: TokenCodec
    clock: Clock
    limiter: RateLimiter
    access_ttl: int
    refresh_ttl: int
    login_attempts_per_minute: int
    refresh_grace: int = 0
    # Token families and users kept in memory for a few seconds; None reads them every time.
    sessions: SessionCache | None = None


class Listener(Protocol):
    """A local receiver of a channel's messages, handed each by the channel's one relay in
    this process (``EventSource.listen``).

    ``deliver`` is called in the relay's loop, once per message and listener: it must not
    wait (a slow socket would hold up every other one) and should not raise. ``end`` is called
    once if the stream ends while the listener is in it: with an ``ExternalUnavailable`` when
    the bus lost Redis (what was published meanwhile is lost), None when the bus stopped.
    """

    def deliver(self, message: str) -> None: ...

    def end(self, error: Exception | None) -> None: ...


class EventSource(Protocol):
    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[str]]:
        """Messages published on ``channel`` from now on, as JSON text."""
        ...

    def listen(self, channel: str, listener: Listener) -> AbstractAsyncContextManager[None]:
        """Hands ``listener`` the messages published on ``channel`` from now on, until the
        block ends: one subscription per channel and process, whatever the listeners."""
        ...


class JobQueue(Protocol):
    """The transport of jobs (ARQ); the durable record is the ``jobs`` table."""

    async def enqueue(self, job_id: str, kind: str, *, defer_by: float | None = None) -> None:
        """Queue job ``job_id`` of ``kind``; a job already queued under that id is left alone."""
        ...

    async def requeue(self, job_id: str, kind: str) -> None:
        """Forget what the transport knows of ``job_id`` (a dead run) and queue it again."""
        ...

    async def state(self, job_id: str) -> QueueState:
        """What the transport knows of ``job_id``."""
        ...


class QueueState(enum.StrEnum):
    ABSENT = "absent"  # never queued, or lost (Redis flushed)
    QUEUED = "queued"  # waiting, or deferred for a retry
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


class SecretBox(Protocol):
    """Symmetric encryption of secrets at rest, with key rotation."""

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, token: str) -> str:
        """Raises ``SecretUnreadable`` when no configured key opens the token."""
        ...

    def rotate(self, token: str) -> str:
        """The same secret encrypted under the current (first) key."""
        ...


class TelegramGateway(Protocol):
    """Telegram in domain verbs: returns domain values, raises domain errors.

    Every verb may raise ``RateLimited`` (flood wait), ``ExternalUnavailable`` and, for
    account verbs, ``AccountSessionRevoked``/``AccountNotSignedIn``/``PeerFlood``.
    """

    async def verify_bot(self, bot: BotCredentials) -> BotInfo:
        """The bot behind the token; ``InvalidBotToken`` when Telegram refuses it."""
        ...

    async def resolve_channel(self, bot: BotCredentials, ref: str) -> ChannelInfo:
        """A channel by ``@name``, ``name``, ``t.me/name``, ``t.me/c/<id>/<post>`` or numeric
        id (``-100…`` or bare digits).

        ``Invalid`` (field ``channel``) when ``ref`` is none of these forms; ``TelegramNotFound``
        when Telegram has no such channel. A private invite link (``t.me/+hash``,
        ``t.me/joinchat/hash``) is ``BotCannotOpenInvite``, a ``TelegramNotFound``: Telegram
        lets only user accounts open invite links.
        """
        ...

    async def bot_rights(self, bot: BotCredentials, channel_id: TelegramID) -> AdminRights:
        """What the bot may do in the channel; ``AdminRights.none()`` when it is no admin."""
        ...

    async def open_invite(self, account: AccountCredentials, ref: str) -> ChannelInfo:
        """The channel a private invite link names, as a user account sees it: Telegram shows
        it only to the channel's members (TelegramNotFound otherwise); bots cannot ask."""
        ...

    async def post_markdown(
        self, bot: BotCredentials, channel_id: TelegramID, text: str
    ) -> PostedMessage:
        """Post ``text`` as the bot, its Markdown turned into entities by Telethon's parser.

        ``Invalid`` (field ``text``) before anything is sent when nothing is left to post or
        the parsed text is over 4096 characters (UTF-16 code units, as Telegram counts);
        ``ChatAdminRequired`` without the right to post; ``RateLimited`` on a flood wait. The
        answer carries the message's id, date and plain text.
        """
        ...

    async def message_views(
        self, bot: BotCredentials, channel_id: TelegramID, message_ids: Sequence[int]
    ) -> dict[int, int]:
        """Views per message id; ids that do not exist are left out."""
        ...

    async def channel_messages(
        self, bot: BotCredentials, channel_id: TelegramID, message_ids: Sequence[int]
    ) -> list[PostedMessage]:
        """The channel's messages of these ids that exist, in id order: id, date, plain text
        and views. Ids without a message (never posted, deleted) and service messages are
        left out; repeated ids count once.

        Bots cannot read a channel's history, but they can fetch messages by id: reading ids
        forward from the last known one, a batch at a time, finds posts made outside tghub.
        """
        ...

    async def send_login_code(self, account: AccountCredentials) -> LoginCode: ...

    async def sign_in(
        self,
        account: AccountCredentials,
        *,
        code: str,
        phone_code_hash: str,
        password: str | None = None,
    ) -> SignedIn:
        """``InvalidLoginCode``, ``PasswordRequired`` or ``InvalidPassword`` on refusal."""
        ...

    async def user_statuses(
        self, account: AccountCredentials, users: Sequence[str]
    ) -> list[StatusObservation]:
        """Current status of users named by @username or numeric id, as the account sees it."""
        ...

    def status_updates(self, account: AccountCredentials) -> AsyncIterator[StatusObservation]:
        """Status changes of the users the account can see, as they happen."""
        ...

    async def import_phone(self, account: AccountCredentials, phone: str) -> TelegramUser | None:
        """Add a phone to the account's contacts; None when no Telegram user has it."""
        ...

    async def delete_contact(self, account: AccountCredentials, user_id: TelegramID) -> None:
        """Remove the user from the account's contacts (the undoing of ``import_phone``).

        Idempotent: deleting someone who is not among the account's contacts (never imported,
        or deleted already) is not an error. ``TelegramNotFound`` when the account cannot name
        the user at all.
        """
        ...

    async def invite_to_channel(
        self, account: AccountCredentials, channel: str, user_id: TelegramID
    ) -> InviteOutcome:
        """``PrivacyRestricted``/``InviteRejected`` when the user cannot be added."""
        ...

    async def export_invite_link(self, account: AccountCredentials, channel: str) -> str: ...

    async def send_message(
        self, account: AccountCredentials, user: str, text: str, *, random_id: int
    ) -> SentMessage:
        """Send a text; a repeated ``random_id`` is delivered once (Telegram's own dedup)."""
        ...

    async def close(self) -> None:
        """Disconnect clients and release their session leases."""
        ...


class TelegramSandbox(Protocol):
    """Drives the simulated Telegram from outside (simulated mode only)."""

    async def load_world(self, document: Mapping[str, Any], *, merge: bool) -> None: ...

    async def world(self) -> dict[str, Any]: ...

    async def set_user_status(self, telegram_id: TelegramID, *, online: bool) -> None: ...

    async def set_bot_rights(self, bot: str, channel: str, *, post_messages: bool) -> None: ...

    async def add_post(self, channel: str, text: str, views: int) -> int: ...

    async def set_account_flood(self, phone: str, seconds: int) -> None: ...

    async def advance_clock(self, seconds: float) -> datetime: ...

    async def now(self) -> datetime:
        """The simulated clock."""
        ...


class FileStore(Protocol):
    """Where uploaded files live (a local folder by default); keys are ``<hex>/<name>``."""

    async def save(self, key: str, content: bytes) -> None: ...

    async def read(self, key: str) -> bytes | None:
        """The file's bytes, or None when the store has no such key."""
        ...

    async def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class MessengerPorts:
    files: FileStore
    clock: Clock
