"""Tables of bot management (legacy 002): bots, their links to channels, the posts of those
channels and their daily totals. Legacy integer ids, as the legacy routes show them.

A bot's token is a secret: stored encrypted (``token_enc``, through ``SecretBox``), unique on
its SHA-256 digest, since encryption is randomised.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.bots.rules import LinkStatus
from domain.orm import Base, Timestamped

__all__ = ["Bot", "ChannelDailyStats", "ChannelLink", "ChannelPost", "LinkStatus"]


class Bot(Timestamped, Base):
    __tablename__ = "bots"
    # The server-made timestamps come back with the write: answers show them after commit.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alias: Mapped[str] = mapped_column(String(255), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    token_enc: Mapped[str] = mapped_column(Text)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    username: Mapped[str] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")


class ChannelLink(Timestamped, Base):
    """A channel served by a bot: ``new`` until the bot is an admin allowed to post, then
    ``active``; ``invalid`` (with the reason) when it cannot be used, ``inactive`` once an
    admin removed it. A channel has at most one ``new`` or ``active`` link."""

    __tablename__ = "channel_links"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        Index(
            "uq_channel_links_current_channel",
            "channel_id",
            unique=True,
            postgresql_where=text("status IN ('new', 'active')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What the caller gave (t.me link, invite link, numeric id); the channel once resolved.
    channel_ref: Mapped[str] = mapped_column(Text)
    channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    title: Mapped[str] = mapped_column(Text, default="", server_default="")
    username: Mapped[str | None] = mapped_column(String(64), default=None)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id", ondelete="CASCADE"), index=True)
    status: Mapped[LinkStatus] = mapped_column(
        Enum(
            LinkStatus,
            name="channel_link_status",
            values_callable=lambda e: [m.value for m in e],
        ),
        default=LinkStatus.NEW,
    )
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    last_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    # The highest message id the daily stats have read the channel up to: the next run reads
    # on from there (bots cannot read history, only messages by id).
    scanned_to: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The link job that made it: its re-run finds the link instead of making another.
    job_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class ChannelPost(Base):
    """A post of a linked channel: published by tghub (``job_id``) or found by the stats."""

    __tablename__ = "channel_posts"
    __table_args__ = (
        UniqueConstraint("channel_id", "message_id"),
        Index("ix_channel_posts_channel_date", "channel_id", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_links.id", ondelete="SET NULL"), default=None, index=True
    )
    message_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    views: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    date: Mapped[datetime]
    job_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class ChannelDailyStats(Base):
    """A channel's posts of one UTC day and their views, as the daily job last counted."""

    __tablename__ = "channel_daily_stats"
    __table_args__ = (UniqueConstraint("channel_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_links.id", ondelete="SET NULL"), default=None, index=True
    )
    day: Mapped[date] = mapped_column(Date)
    posts: Mapped[int] = mapped_column(Integer, default=0)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    collected_at: Mapped[datetime]
