"""Tables of the mailing service (legacy 003): clients and mailings, each per owner (a tghub
user), with legacy integer ids, one sequence per table; and deliveries, one per (mailing,
client) the mailing matched when it started."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.orm import Mapped, mapped_column

from domain.mailing.rules import DeliveryStatus
from domain.orm import Base, Timestamped

__all__ = ["Client", "Delivery", "DeliveryStatus", "Mailing"]


class Client(Timestamped, Base):
    __tablename__ = "mailing_clients"
    # The server-made timestamps come back with the write: answers show them after commit.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        # A phone once per owner; the constraint decides under concurrent writers.
        UniqueConstraint("owner_id", "phone_number", name="uq_mailing_clients_owner_phone"),
        # The clients a mailing matches when it starts: an owner's by operator code or tag.
        Index("ix_mailing_clients_owner_operator_code", "owner_id", "operator_code"),
        Index("ix_mailing_clients_owner_tag", "owner_id", "tag"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    phone_number: Mapped[str] = mapped_column(String(11))
    operator_code: Mapped[str] = mapped_column(String(3))
    tag: Mapped[str] = mapped_column(String(255), default="", server_default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")


class Mailing(Timestamped, Base):
    __tablename__ = "mailings"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="window"),
        # An owner's mailings, newest start first.
        Index("ix_mailings_owner_start", "owner_id", "start_time"),
        # The dispatcher's look for mailings to start, run or expire.
        Index(
            "ix_mailings_unfinished",
            "start_time",
            postgresql_where=text("finished_at IS NULL AND cancelled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start_time: Mapped[datetime]
    end_time: Mapped[datetime]
    message_text: Mapped[str] = mapped_column(Text)
    # {tag?, operator_code?} exactly as sent: json, not jsonb, keeps the keys' order too
    # (``"999"`` stays a string, ``999`` a number).
    filter_params: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Deliver only while the client's local time is in [daytime_start, daytime_end) (a window
    # that wraps midnight when start > end); both None: any time of day.
    daytime_start: Mapped[time | None] = mapped_column(Time, default=None)
    daytime_end: Mapped[time | None] = mapped_column(Time, default=None)
    # When the dispatcher matched the clients (made the deliveries); None: not started yet.
    matched_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    # When no delivery was pending any more (all sent, failed or expired).
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Delivery(Base):
    """One message of a mailing to one client: made ``pending`` when the mailing starts,
    claimed by the dispatcher before each send, then ``sent``, ``failed`` (for good, with the
    reason) or ``expired`` (the window closed, or the mailing was cancelled, first)."""

    __tablename__ = "mailing_deliveries"
    __table_args__ = (
        UniqueConstraint("mailing_id", "client_id", name="uq_mailing_deliveries_mailing_client"),
        # Counts by status (stats, progress) and a mailing's deliveries by status.
        Index("ix_mailing_deliveries_mailing_status", "mailing_id", "status"),
        # The dispatcher's claim: the pending deliveries, oldest first.
        Index(
            "ix_mailing_deliveries_pending",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailings.id", ondelete="CASCADE"))
    # A client deleted before its message went takes the delivery with it: no message.
    client_id: Mapped[int] = mapped_column(
        ForeignKey("mailing_clients.id", ondelete="CASCADE"), index=True
    )
    # The client's phone and timezone when the mailing matched it (its recipients are fixed
    # at the start).
    phone_number: Mapped[str] = mapped_column(String(11))
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(
            DeliveryStatus,
            name="mailing_delivery_status",
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DeliveryStatus.PENDING,
    )
    # Sends tried (their outcome recorded); a send cut off by a crash is not counted.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # The account a send went (or is going) out through: a resend after a crash must use it,
    # as Telegram recognises a repeated random_id per sending account.
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("telegram_accounts.id", ondelete="SET NULL"), default=None
    )
    # A dispatcher holds the delivery until then; a dead one's claims lapse.
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    # Not before then (back-off after a failed send).
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
