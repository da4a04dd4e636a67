"""several payments per order, and payouts of bank-transfer refunds (issue 11, #2, #5, #13)

`payments.surplus_fen` is what a payment captured beyond what its order still needed (a second
payment on a paid order, a transfer above the total): recorded, never revenue, given back by a
refund of `refunds.kind` 'overpayment'. `payouts` records how an operator settled a refund on a
bank transfer: paid out with a bank reference (unique) on a date, or failed.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FEN = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # as core.db.FEN: SQLite's INTEGER is 64-bit


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("surplus_fen", FEN, server_default="0", nullable=False))
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), server_default="order", nullable=False))
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("bank_reference", sa.String(length=128), nullable=True),
        sa.Column("amount_fen", FEN, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_payouts_amount_positive")),
        sa.CheckConstraint("status IN ('paid', 'failed')", name=op.f("ck_payouts_status")),
        sa.ForeignKeyConstraint(["refund_id"], ["refunds.id"], name=op.f("fk_payouts_refund_id_refunds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("bank_reference", name=op.f("uq_payouts_bank_reference")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_payouts_refund_id")),
    )


def downgrade() -> None:
    op.drop_table("payouts")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("surplus_fen")
