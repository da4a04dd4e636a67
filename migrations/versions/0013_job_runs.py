"""job runs recorded, and the indexes /metrics counts by (issue 12, #2)

`job_runs` keeps one row per scheduled job: its runs and failures, and its last run's start, end,
status and error, written by every process that runs jobs; `/metrics` counts from it and `/readyz`
finds a stuck job in it. `ix_orders_channel_status` lets PostgreSQL count orders by channel and
status from the index alone, and `ix_refunds_status` finds the pending and failed refunds.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("runs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_started_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_runs")),
    )
    op.create_index("ix_orders_channel_status", "orders", ["channel", "status"])
    op.create_index(op.f("ix_refunds_status"), "refunds", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_refunds_status"), table_name="refunds")
    op.drop_index("ix_orders_channel_status", table_name="orders")
    op.drop_table("job_runs")
