"""Telegram accounts' uses (tracking, mailings, invites): a varchar array, only known values;
existing accounts serve every use, as new ones do by default.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 05:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALL_USES = "ARRAY['tracking','mailings','invites']::varchar(16)[]"


def upgrade() -> None:
    op.add_column(
        "telegram_accounts",
        sa.Column(
            "uses",
            postgresql.ARRAY(sa.String(length=16)),
            server_default=sa.text(ALL_USES),
            nullable=False,
        ),
    )
    op.create_check_constraint(
        op.f("ck_telegram_accounts_known_uses"), "telegram_accounts", f"uses <@ {ALL_USES}"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_telegram_accounts_known_uses"), "telegram_accounts", type_="check")
    op.drop_column("telegram_accounts", "uses")
