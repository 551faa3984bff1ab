"""Tables of online tracking, with the legacy integer ids the legacy routes show.

A tracker account is the tracking profile of a ``TelegramAccount``: the login, session and
lease live there. The legacy service created trackers (telegram id, api id, api hash) before
their phone was known, so the link is nullable until a setting gives the tracker a phone.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.orm import Base, Timestamped


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class Role(enum.StrEnum):
    BANNED = "banned"
    USER = "user"
    VIP = "vip"
    ADMIN = "admin"


class Theme(enum.StrEnum):
    LIGHT = "light"
    DARK = "dark"


class TrackerAccount(Timestamped, Base):
    __tablename__ = "tracker_accounts"
    # The server-made timestamps come back with the write: answers show them after commit.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    api_id: Mapped[int] = mapped_column(Integer, unique=True)
    # Encrypted like every stored secret; encryption is randomised, so the legacy uniqueness
    # of api_hash is kept on its digest (an api hash is random, its digest reveals nothing).
    api_hash_enc: Mapped[str] = mapped_column(Text)
    api_hash_digest: Mapped[str] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(default=False, server_default="false")
    is_auth: Mapped[bool] = mapped_column(default=False, server_default="false")
    # Why tghub cleared ``is_auth`` (the session is gone or Telegram revoked it); None while
    # signed in, and when an admin set it by hand. Users of such a tracker are moved away.
    auth_error: Mapped[str | None] = mapped_column(Text, default=None)
    telegram_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("telegram_accounts.id", ondelete="SET NULL"), unique=True, default=None
    )


class TrackerSetting(Timestamped, Base):
    """The tracker's phone and slots: ``current_users`` counts its tracked users."""

    __tablename__ = "tracker_settings"
    # The server-made timestamps come back with the write: answers show them after commit.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("max_users >= 0", name="max_users_not_negative"),
        CheckConstraint("current_users >= 0", name="current_users_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracker_account_id: Mapped[int] = mapped_column(
        ForeignKey("tracker_accounts.id", ondelete="CASCADE"), unique=True
    )
    phone_number: Mapped[str] = mapped_column(String(15), unique=True)
    max_users: Mapped[int] = mapped_column(default=0, server_default="0")
    current_users: Mapped[int] = mapped_column(default=0, server_default="0")


class TelegramUser(Timestamped, Base):
    """A client of the tracking bot; ``current_users`` counts the users it tracks."""

    __tablename__ = "telegram_users"
    # The server-made timestamps come back with the write: answers show them after commit.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("max_users >= 0", name="max_users_not_negative"),
        CheckConstraint("current_users >= 0", name="current_users_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    role: Mapped[Role] = mapped_column(
        _enum(Role, "tracking_role"), default=Role.USER, server_default=Role.USER.value
    )
    max_users: Mapped[int] = mapped_column(default=5, server_default="5")
    current_users: Mapped[int] = mapped_column(default=0, server_default="0")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    theme: Mapped[Theme] = mapped_column(
        _enum(Theme, "tracking_theme"), default=Theme.LIGHT, server_default=Theme.LIGHT.value
    )


class TrackedUser(Timestamped, Base):
    """A Telegram username a client watches, through one tracker.

    The tracker is never null: a tracker is deleted only after its users moved elsewhere.
    """

    __tablename__ = "tracked_users"
    # The server-made timestamps come back with the write: answers show them after commit.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracker_account_id: Mapped[int] = mapped_column(
        ForeignKey("tracker_accounts.id", ondelete="RESTRICT"), index=True
    )
    telegram_user_id: Mapped[int] = mapped_column(
        ForeignKey("telegram_users.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(32), index=True)
    visible_online: Mapped[bool] = mapped_column(default=True, server_default="true")
    # Why the status cannot be seen (hidden by privacy, only "recently", an error).
    hidden_reason: Mapped[str | None] = mapped_column(String(255), default=None)


class OnlineStatus(Base):
    """A change of a tracked user's status: a row only when it differs from the latest."""

    __tablename__ = "online_statuses"
    # The server-made timestamps come back with the write: answers show them after commit.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        # The latest status per tracked user and a user's time range read one index.
        Index("ix_online_statuses_tracked_user_created", "tracked_user_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tracked_user_id: Mapped[int] = mapped_column(ForeignKey("tracked_users.id", ondelete="CASCADE"))
    is_online: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    # Equal to created_at unless the row was edited by hand (the legacy PATCH).
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
