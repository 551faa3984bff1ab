"""Online statuses carry ``updated_at`` like every legacy object (a row can be edited by hand).

Existing rows take their ``created_at``: nobody has changed them since.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "online_statuses",
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.execute("UPDATE online_statuses SET updated_at = created_at")


def downgrade() -> None:
    op.drop_column("online_statuses", "updated_at")
