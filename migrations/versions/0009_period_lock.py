"""issuing a month and writing into it serialise (issue 11, #10); payments found by status (#15)

PostgreSQL only (SQLite runs one writer at a time). An entry written before `issue_period` read
the month and committed after it would sit in an issued month, missing from every statement. Now
each revenue entry takes a shared advisory lock on its month (in the trigger that already refuses
entries in issued months) and `issue_period` takes the same lock exclusively: the issue waits for
the month's writers in flight, and a writer that comes after it waits and is then refused (its
entry belongs in the current month).

`dongxi payments reconcile` looks for payments the provider may still move by their status.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCK_KEY = "hashtext('dongxi.period.' || NEW.period)"
MESSAGE = "revenue_entries: this period was issued; record the entry in the current period"


def _function(lock: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION revenue_entries_period_open() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {lock}
            IF EXISTS (SELECT 1 FROM statement_periods WHERE period = NEW.period) THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END
        $$
    """


def upgrade() -> None:
    op.create_index("ix_payments_status", "payments", ["status"])
    if op.get_bind().dialect.name == "postgresql":
        # The key is the one sales.statements.issue.lock_period takes exclusively.
        op.execute(_function(f"PERFORM pg_advisory_xact_lock_shared({LOCK_KEY});"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(""))
    op.drop_index("ix_payments_status", table_name="payments")
