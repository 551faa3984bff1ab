"""Bot management (legacy 002): bots (tokens encrypted, unique on their digest), their links
to channels (one new or active link per channel), the channels' posts and daily stats.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 04:08:36.635597
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=255), server_default="", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("name", sa.String(length=255), server_default="", nullable=False),
        sa.Column("token_enc", sa.Text(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bots")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_bots_telegram_id")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_bots_token_digest")),
    )
    op.create_table(
        "channel_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_ref", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.Text(), server_default="", nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("new", "active", "invalid", "inactive", name="channel_link_status"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scanned_to", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_channel_links_bot_id_bots"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_links")),
        sa.UniqueConstraint("job_id", name=op.f("uq_channel_links_job_id")),
    )
    op.create_index(op.f("ix_channel_links_bot_id"), "channel_links", ["bot_id"], unique=False)
    op.create_index(
        op.f("ix_channel_links_channel_id"), "channel_links", ["channel_id"], unique=False
    )
    op.create_index(
        "uq_channel_links_current_channel",
        "channel_links",
        ["channel_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('new', 'active')"),
    )
    op.create_table(
        "channel_daily_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["channel_links.id"],
            name=op.f("fk_channel_daily_stats_link_id_channel_links"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_daily_stats")),
        sa.UniqueConstraint("channel_id", "day", name=op.f("uq_channel_daily_stats_channel_id")),
    )
    op.create_index(
        op.f("ix_channel_daily_stats_link_id"), "channel_daily_stats", ["link_id"], unique=False
    )
    op.create_table(
        "channel_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("views", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["channel_links.id"],
            name=op.f("fk_channel_posts_link_id_channel_links"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_posts")),
        sa.UniqueConstraint("channel_id", "message_id", name=op.f("uq_channel_posts_channel_id")),
        sa.UniqueConstraint("job_id", name=op.f("uq_channel_posts_job_id")),
    )
    op.create_index(op.f("ix_channel_posts_link_id"), "channel_posts", ["link_id"], unique=False)
    op.create_index(
        "ix_channel_posts_channel_date", "channel_posts", ["channel_id", "date"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_channel_posts_channel_date", table_name="channel_posts")
    op.drop_index(op.f("ix_channel_posts_link_id"), table_name="channel_posts")
    op.drop_table("channel_posts")
    op.drop_index(op.f("ix_channel_daily_stats_link_id"), table_name="channel_daily_stats")
    op.drop_table("channel_daily_stats")
    op.drop_index(
        "uq_channel_links_current_channel",
        table_name="channel_links",
        postgresql_where=sa.text("status IN ('new', 'active')"),
    )
    op.drop_index(op.f("ix_channel_links_channel_id"), table_name="channel_links")
    op.drop_index(op.f("ix_channel_links_bot_id"), table_name="channel_links")
    op.drop_table("channel_links")
    op.drop_table("bots")
    sa.Enum(name="channel_link_status").drop(op.get_bind(), checkfirst=True)
