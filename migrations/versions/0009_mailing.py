"""The mailing service (legacy 003): clients (a phone once per owner, the operator code
derived from it) and mailings (a time window, a text, filters kept as sent in json), per
owner, with legacy integer ids.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:52:57.791957
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailing_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("phone_number", sa.String(length=11), nullable=False),
        sa.Column("operator_code", sa.String(length=3), nullable=False),
        sa.Column("tag", sa.String(length=255), server_default="", nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
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
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_mailing_clients_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailing_clients")),
        sa.UniqueConstraint("owner_id", "phone_number", name="uq_mailing_clients_owner_phone"),
    )
    op.create_index(
        "ix_mailing_clients_owner_operator_code",
        "mailing_clients",
        ["owner_id", "operator_code"],
        unique=False,
    )
    op.create_index(
        "ix_mailing_clients_owner_tag", "mailing_clients", ["owner_id", "tag"], unique=False
    )
    op.create_table(
        "mailings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_text", sa.Text(), nullable=False),
        sa.Column("filter_params", postgresql.JSON(astext_type=sa.Text()), nullable=False),
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
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_mailings_window")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_mailings_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailings")),
    )
    op.create_index("ix_mailings_owner_start", "mailings", ["owner_id", "start_time"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_mailings_owner_start", table_name="mailings")
    op.drop_table("mailings")
    op.drop_index("ix_mailing_clients_owner_tag", table_name="mailing_clients")
    op.drop_index("ix_mailing_clients_owner_operator_code", table_name="mailing_clients")
    op.drop_table("mailing_clients")
