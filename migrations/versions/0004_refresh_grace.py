"""Refresh grace window: the refresh token each rotation replaced, and when.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("auth_sessions", sa.Column("previous_jti", sa.String(length=64), nullable=True))
    op.add_column(
        "auth_sessions", sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("auth_sessions", "rotated_at")
    op.drop_column("auth_sessions", "previous_jti")
