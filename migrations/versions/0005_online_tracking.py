"""Online tracking: tracker accounts (the tracking profile of a Telegram account) and their
settings, Telegram users, tracked users and the log of their status changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 02:02:40.393804
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("banned", "user", "vip", "admin", name="tracking_role"),
            server_default="user",
            nullable=False,
        ),
        sa.Column("max_users", sa.Integer(), server_default="5", nullable=False),
        sa.Column("current_users", sa.Integer(), server_default="0", nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column(
            "theme",
            sa.Enum("light", "dark", name="tracking_theme"),
            server_default="light",
            nullable=False,
        ),
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
        sa.CheckConstraint(
            "current_users >= 0", name=op.f("ck_telegram_users_current_users_not_negative")
        ),
        sa.CheckConstraint("max_users >= 0", name=op.f("ck_telegram_users_max_users_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_users")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_telegram_users_telegram_id")),
    )
    op.create_table(
        "tracker_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("api_id", sa.Integer(), nullable=False),
        sa.Column("api_hash_enc", sa.Text(), nullable=False),
        sa.Column("api_hash_digest", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("is_auth", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("telegram_account_id", sa.Uuid(), nullable=True),
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
            ["telegram_account_id"],
            ["telegram_accounts.id"],
            name=op.f("fk_tracker_accounts_telegram_account_id_telegram_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_accounts")),
        sa.UniqueConstraint("api_hash_digest", name=op.f("uq_tracker_accounts_api_hash_digest")),
        sa.UniqueConstraint("api_id", name=op.f("uq_tracker_accounts_api_id")),
        sa.UniqueConstraint(
            "telegram_account_id", name=op.f("uq_tracker_accounts_telegram_account_id")
        ),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_tracker_accounts_telegram_id")),
    )
    op.create_table(
        "tracked_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracker_account_id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("visible_online", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("hidden_reason", sa.String(length=255), nullable=True),
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
            ["telegram_user_id"],
            ["telegram_users.id"],
            name=op.f("fk_tracked_users_telegram_user_id_telegram_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tracker_account_id"],
            ["tracker_accounts.id"],
            name=op.f("fk_tracked_users_tracker_account_id_tracker_accounts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracked_users")),
    )
    op.create_index(
        op.f("ix_tracked_users_telegram_user_id"),
        "tracked_users",
        ["telegram_user_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_tracked_users_tracker_account_id"),
        "tracked_users",
        ["tracker_account_id"],
        unique=False,
    )
    op.create_index(op.f("ix_tracked_users_username"), "tracked_users", ["username"], unique=False)
    op.create_table(
        "tracker_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracker_account_id", sa.Integer(), nullable=False),
        sa.Column("phone_number", sa.String(length=15), nullable=False),
        sa.Column("max_users", sa.Integer(), server_default="0", nullable=False),
        sa.Column("current_users", sa.Integer(), server_default="0", nullable=False),
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
        sa.CheckConstraint(
            "current_users >= 0", name=op.f("ck_tracker_settings_current_users_not_negative")
        ),
        sa.CheckConstraint(
            "max_users >= 0", name=op.f("ck_tracker_settings_max_users_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["tracker_account_id"],
            ["tracker_accounts.id"],
            name=op.f("fk_tracker_settings_tracker_account_id_tracker_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_settings")),
        sa.UniqueConstraint("phone_number", name=op.f("uq_tracker_settings_phone_number")),
        sa.UniqueConstraint(
            "tracker_account_id", name=op.f("uq_tracker_settings_tracker_account_id")
        ),
    )
    op.create_table(
        "online_statuses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("tracked_user_id", sa.Integer(), nullable=False),
        sa.Column("is_online", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tracked_user_id"],
            ["tracked_users.id"],
            name=op.f("fk_online_statuses_tracked_user_id_tracked_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_online_statuses")),
    )
    op.create_index(
        op.f("ix_online_statuses_created_at"), "online_statuses", ["created_at"], unique=False
    )
    op.create_index(
        "ix_online_statuses_tracked_user_created",
        "online_statuses",
        ["tracked_user_id", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_online_statuses_tracked_user_created", table_name="online_statuses")
    op.drop_index(op.f("ix_online_statuses_created_at"), table_name="online_statuses")
    op.drop_table("online_statuses")
    op.drop_table("tracker_settings")
    op.drop_index(op.f("ix_tracked_users_username"), table_name="tracked_users")
    op.drop_index(op.f("ix_tracked_users_tracker_account_id"), table_name="tracked_users")
    op.drop_index(op.f("ix_tracked_users_telegram_user_id"), table_name="tracked_users")
    op.drop_table("tracked_users")
    op.drop_table("tracker_accounts")
    op.drop_table("telegram_users")
    sa.Enum(name="tracking_theme").drop(op.get_bind(), checkfirst=False)
    sa.Enum(name="tracking_role").drop(op.get_bind(), checkfirst=False)
