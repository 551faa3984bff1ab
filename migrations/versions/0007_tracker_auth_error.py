"""Why a tracker stopped being signed in (``is_auth`` false): set when tghub finds the
session gone or revoked, cleared when it signs in again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tracker_accounts", sa.Column("auth_error", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("tracker_accounts", "auth_error")
