"""daily bill checks: when a payment's money was captured, and each run of the bill check (issue 16)

`payments.captured_at` is the moment we first recorded money captured on a payment: the day a
provider's daily trade bill lists it (filled from `updated_at` for payments captured before).
`bill_checks` keeps every run of `dongxi payments bills` with what it found. `refunds.created_at`
is indexed: the check reads a day's refunds by it.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("captured_at", core.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE payments SET captured_at = updated_at WHERE captured_fen > 0")
    op.create_index("ix_payments_captured_at", "payments", ["captured_at"])
    op.create_index("ix_refunds_created_at", "refunds", ["created_at"])
    op.create_table(
        "bill_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checked_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("bill_lines", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("differences", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_checks")),
    )
    op.create_index("ix_bill_checks_provider_day", "bill_checks", ["provider", "day"])


def downgrade() -> None:
    op.drop_index("ix_bill_checks_provider_day", table_name="bill_checks")
    op.drop_table("bill_checks")
    op.drop_index("ix_refunds_created_at", table_name="refunds")
    op.drop_index("ix_payments_captured_at", table_name="payments")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("captured_at")
