"""Mailing deliveries (one per mailing and client, claimed before each send), the mailing's
daytime window and dispatch timestamps, and a pause on Telegram accounts (FloodWait,
PeerFlood).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 06:00:39.590883
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailing_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("mailing_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("phone_number", sa.String(length=11), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "sent", "failed", "expired", name="mailing_delivery_status"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_mailing_deliveries_attempts")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["telegram_accounts.id"],
            name=op.f("fk_mailing_deliveries_account_id_telegram_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["mailing_clients.id"],
            name=op.f("fk_mailing_deliveries_client_id_mailing_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mailing_id"],
            ["mailings.id"],
            name=op.f("fk_mailing_deliveries_mailing_id_mailings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailing_deliveries")),
        sa.UniqueConstraint("mailing_id", "client_id", name="uq_mailing_deliveries_mailing_client"),
    )
    op.create_index(
        op.f("ix_mailing_deliveries_client_id"), "mailing_deliveries", ["client_id"], unique=False
    )
    op.create_index(
        "ix_mailing_deliveries_mailing_status",
        "mailing_deliveries",
        ["mailing_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_mailing_deliveries_pending",
        "mailing_deliveries",
        ["id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.add_column("mailings", sa.Column("daytime_start", sa.Time(), nullable=True))
    op.add_column("mailings", sa.Column("daytime_end", sa.Time(), nullable=True))
    op.add_column("mailings", sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("mailings", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("mailings", sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_mailings_unfinished",
        "mailings",
        ["start_time"],
        unique=False,
        postgresql_where=sa.text("finished_at IS NULL AND cancelled_at IS NULL"),
    )
    op.add_column(
        "telegram_accounts", sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("telegram_accounts", sa.Column("pause_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("telegram_accounts", "pause_reason")
    op.drop_column("telegram_accounts", "paused_until")
    op.drop_index("ix_mailings_unfinished", table_name="mailings")
    op.drop_column("mailings", "finished_at")
    op.drop_column("mailings", "cancelled_at")
    op.drop_column("mailings", "matched_at")
    op.drop_column("mailings", "daytime_end")
    op.drop_column("mailings", "daytime_start")
    op.drop_index(
        "ix_mailing_deliveries_pending",
        table_name="mailing_deliveries",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_mailing_deliveries_mailing_status", table_name="mailing_deliveries")
    op.drop_index(op.f("ix_mailing_deliveries_client_id"), table_name="mailing_deliveries")
    op.drop_table("mailing_deliveries")
    sa.Enum(name="mailing_delivery_status").drop(op.get_bind())
