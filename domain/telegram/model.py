"""What the Telegram gateway returns (plain values), and the stored user accounts that log in.

Secrets (api hashes, sessions, bot tokens) travel only inside the credential values, whose
``repr`` hides them, and are stored encrypted (``*_enc`` columns, through ``SecretBox``).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, Enum, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from domain.orm import Base, Timestamped
from domain.telegram.rules import ALL_USES, AccountUse
from domain.types import TelegramID


@dataclass(frozen=True)
class BotCredentials:
    token: str = field(repr=False)

    @property
    def bot_id(self) -> TelegramID:
        """Telegram puts the bot's id before the colon of its token."""
        head = self.token.split(":", 1)[0]
        return TelegramID(int(head) if head.isdigit() else 0)


@dataclass(frozen=True)
class AccountCredentials:
    """A user account as the gateway needs it: decrypted, in memory only."""

    phone: str
    api_id: int
    api_hash: str = field(repr=False)
    session: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TelegramUser:
    id: TelegramID
    username: str | None
    first_name: str = ""
    last_name: str = ""
    phone: str | None = None
    is_bot: bool = False


@dataclass(frozen=True)
class BotInfo:
    id: TelegramID
    username: str
    first_name: str


@dataclass(frozen=True)
class ChannelInfo:
    id: TelegramID
    title: str
    username: str | None


@dataclass(frozen=True)
class AdminRights:
    is_admin: bool
    post_messages: bool = False
    edit_messages: bool = False
    delete_messages: bool = False
    invite_users: bool = False

    @classmethod
    def none(cls) -> AdminRights:
        return cls(is_admin=False)


@dataclass(frozen=True)
class PostedMessage:
    channel_id: TelegramID
    message_id: int
    date: datetime
    text: str
    views: int = 0


@dataclass(frozen=True)
class StatusObservation:
    """``online`` is None when the user hides their status from this account."""

    user_id: TelegramID
    online: bool | None
    observed_at: datetime
    last_seen: datetime | None = None
    username: str | None = None


@dataclass(frozen=True)
class SentMessage:
    user_id: TelegramID
    message_id: int
    date: datetime


@dataclass(frozen=True)
class InviteOutcome:
    user_id: TelegramID
    channel_id: TelegramID
    # False when the user was a member already: nothing was sent, nothing to retry.
    invited: bool


@dataclass(frozen=True)
class LoginCode:
    """Telegram's handle of one code sent to the phone; ``sign_in`` needs it back.

    The code is bound to the auth key that asked for it, so ``sign_in`` must continue the
    same ``session``.
    """

    phone_code_hash: str
    session: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SignedIn:
    session: str = field(repr=False)
    user_id: TelegramID


class AccountStatus(enum.StrEnum):
    NEW = "new"
    CODE_SENT = "code_sent"
    ACTIVE = "active"
    REVOKED = "revoked"


# The column's literal of every use: the default of new and (in 0010) existing rows.
_ALL_USES_SQL = "ARRAY[" + ",".join(f"'{u.value}'" for u in ALL_USES) + "]::varchar(16)[]"


class TelegramAccount(Timestamped, Base):
    """A Telegram user account tghub logs into; trackers and invite pools reference it."""

    __tablename__ = "telegram_accounts"
    __table_args__ = (
        # Only known uses; an empty array is allowed: the account is kept but serves nothing.
        CheckConstraint("uses <@ " + _ALL_USES_SQL, name="known_uses"),
        CheckConstraint("invite_quota >= 0 AND invites_left >= 0", name="invite_quota"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    api_id: Mapped[int] = mapped_column(BigInteger)
    api_hash_enc: Mapped[str] = mapped_column(Text)
    session_enc: Mapped[str | None] = mapped_column(Text, default=None)
    # The code and 2FA password typed by an admin wait here (encrypted) for the sign-in job,
    # so they never sit in a job's arguments.
    pending_login_enc: Mapped[str | None] = mapped_column(Text, default=None)
    phone_code_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    # The job whose login step (code sent, signed in) is committed: its re-run does nothing.
    login_job_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[AccountStatus] = mapped_column(
        Enum(
            AccountStatus,
            name="telegram_account_status",
            values_callable=lambda e: [m.value for m in e],
        ),
        default=AccountStatus.NEW,
    )
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    signed_in_at: Mapped[datetime | None] = mapped_column(default=None)
    # Telegram asked this account to wait (FloodWait) or flagged it for spam (PeerFlood):
    # dispatchers (mailings, invites) leave it alone until then; the reason says which.
    paused_until: Mapped[datetime | None] = mapped_column(default=None)
    pause_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The invite profile: a daily quota of invites (legacy 004), what is left of it today
    # (counted only for real invites; reset to the quota at 00:00 UTC, ``invites_reset_on``
    # being the UTC day of the last reset), and when the account last took an invite (the
    # pool picks the least recently used).
    invite_quota: Mapped[int] = mapped_column(Integer, default=40, server_default="40")
    invites_left: Mapped[int] = mapped_column(Integer, default=40, server_default="40")
    invites_reset_on: Mapped[date | None] = mapped_column(Date, default=None)
    invite_last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    # The uses the account serves, sorted, no repeats (stored as their values; see ``uses``).
    # A plain varchar array: ``'mailings' = ANY(uses)`` picks a pool, no enum type to migrate.
    uses_values: Mapped[list[str]] = mapped_column(
        "uses",
        ARRAY(String(16)),
        default=lambda: [u.value for u in ALL_USES],
        server_default=text(_ALL_USES_SQL),
    )

    @property
    def uses(self) -> frozenset[AccountUse]:
        return frozenset(AccountUse(value) for value in self.uses_values)

    @uses.setter
    def uses(self, uses: frozenset[AccountUse] | set[AccountUse]) -> None:
        # A new list each time: the ORM sees a reassignment, not an in-place change.
        self.uses_values = sorted(u.value for u in uses)
