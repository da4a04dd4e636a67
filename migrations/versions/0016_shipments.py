"""shipments: a web-shop order picked, packed, shipped and delivered (issue 14, item 3)

One row per storefront order, written at the pick and filled in step by step: who and when for
each step, and the carrier and tracking number once shipped.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("picked_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("picked_by", sa.String(length=128), nullable=False),
        sa.Column("packed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("packed_by", sa.String(length=128), nullable=True),
        sa.Column("shipped_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shipped_by", sa.String(length=128), nullable=True),
        sa.Column("carrier", sa.String(length=16), nullable=True),
        sa.Column("tracking_no", sa.String(length=32), nullable=True),
        sa.Column("delivered_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_by", sa.String(length=128), nullable=True),
        sa.CheckConstraint(
            "step IN ('picked', 'packed', 'shipped', 'delivered')", name=op.f("ck_shipments_step")
        ),
        sa.CheckConstraint(
            "step NOT IN ('shipped', 'delivered') OR (carrier IS NOT NULL AND tracking_no IS NOT NULL)",
            name=op.f("ck_shipments_shipped_has_tracking"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_shipments_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("order_id", name=op.f("uq_shipments_order_id")),
    )
    op.create_index("ix_shipments_step", "shipments", ["step"])


def downgrade() -> None:
    op.drop_index("ix_shipments_step", table_name="shipments")
    op.drop_table("shipments")
