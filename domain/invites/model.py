"""Tables of the invite service (legacy 004): the one set of settings, the queue of phones
to invite (stored before the webhook answers) and the log of every outcome. The accounts'
invite profile (quota, invites left, last use) lives on ``telegram_accounts``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.invites.rules import InviteStatus
from domain.orm import Base

__all__ = ["InviteLog", "InviteRequest", "InviteSettings", "InviteStatus"]


class InviteSettings(Base):
    """One row (id 1) per deployment, made by the migration."""

    __tablename__ = "invite_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("queue_threshold >= 0", name="queue_threshold"),
        CheckConstraint(
            "pause_min_seconds >= 0 AND pause_min_seconds <= pause_max_seconds", name="pauses"
        ),
        CheckConstraint("NOT (only_message_bot AND invite_and_message)", name="one_mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    # A public channel's username, lower case, without "@"; empty: no channel yet (the
    # queue waits).
    channel_username: Mapped[str] = mapped_column(String(64), default="", server_default="")
    failure_message: Mapped[str] = mapped_column(Text)
    queue_threshold: Mapped[int] = mapped_column(Integer, default=50, server_default="50")
    pause_min_seconds: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    pause_max_seconds: Mapped[float] = mapped_column(Float, default=3.0, server_default="3")
    only_message_bot: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    invite_and_message: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # What the dispatcher's queue watch last saw, so each change of the queue's length is
    # announced once and an alert goes out once per crossing of the threshold, whichever
    # worker process watches.
    queue_length_seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    queue_over_threshold: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    updated_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class InviteRequest(Base):
    """A phone to invite: queued until its job writes a log row (``done_at``).

    Claimed (bound to an account, held until a deadline) before its Telegram calls, like a
    mailing delivery: a resend after a crash goes through the same account with the same
    ``random_id``.
    """

    __tablename__ = "invite_requests"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts"),
        # A phone is queued once while it waits; the constraint decides between webhook calls.
        Index(
            "uq_invite_requests_queued_phone",
            "phone",
            unique=True,
            postgresql_where=text("done_at IS NULL"),
        ),
        # The queue in order, for claims and its length.
        Index("ix_invite_requests_queue", "id", postgresql_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    # The id a log row names (the original's Celery task id).
    task_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    phone: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("telegram_accounts.id", ondelete="SET NULL"), default=None
    )
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class InviteLog(Base):
    """One outcome of one request: invited, link_sent, failed or skipped."""

    __tablename__ = "invite_logs"
    __table_args__ = (
        Index("ix_invite_logs_created_at", "created_at", "id"),
        Index("ix_invite_logs_status_created_at", "status", "created_at"),
        Index("ix_invite_logs_account_created_at", "account_id", "created_at"),
        Index("ix_invite_logs_phone", "phone"),
        # "Already invited to this channel" is one index probe.
        Index(
            "ix_invite_logs_invited",
            "channel_username",
            "phone",
            postgresql_where=text("status = 'invited'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    task_id: Mapped[uuid.UUID] = mapped_column()
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("invite_requests.id", ondelete="SET NULL"), default=None, unique=True
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("telegram_accounts.id", ondelete="SET NULL"), default=None
    )
    # The account's name as it was (its phone): the row outlives the account.
    account_name: Mapped[str | None] = mapped_column(String(64), default=None)
    channel_username: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(16))
    status: Mapped[InviteStatus] = mapped_column(
        Enum(InviteStatus, name="invite_status", values_callable=lambda e: [m.value for m in e])
    )
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
