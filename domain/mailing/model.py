"""Tables of the mailing service (legacy 003): clients and mailings, each per owner (a tghub
user). Legacy integer ids, one sequence per table."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.orm import Mapped, mapped_column

from domain.orm import Base, Timestamped

__all__ = ["Client", "Mailing"]


class Client(Timestamped, Base):
    __tablename__ = "mailing_clients"
    # The server-made timestamps come back with the write: answers show them after commit.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        # A phone once per owner; the constraint decides under concurrent writers.
        UniqueConstraint("owner_id", "phone_number", name="uq_mailing_clients_owner_phone"),
        # matching_clients: an owner's clients by operator code or tag.
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
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start_time: Mapped[datetime]
    end_time: Mapped[datetime]
    message_text: Mapped[str] = mapped_column(Text)
    # {tag?, operator_code?} exactly as sent: json, not jsonb, keeps the keys' order too
    # (``"999"`` stays a string, ``999`` a number).
    filter_params: Mapped[dict[str, Any]] = mapped_column(JSON)
