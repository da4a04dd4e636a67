"""the simulated payment provider's state, so that every process sees it

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 22:17:03.223675
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "simulated_idempotency",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_simulated_idempotency")),
    )
    op.create_table(
        "simulated_payments",
        sa.Column("provider_ref", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("provider_ref", name=op.f("pk_simulated_payments")),
        sa.UniqueConstraint("token", name=op.f("uq_simulated_payments_token")),
    )


def downgrade() -> None:
    op.drop_table("simulated_payments")
    op.drop_table("simulated_idempotency")
