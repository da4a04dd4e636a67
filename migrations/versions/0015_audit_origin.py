"""the audit log says from where: the address, the operation and the request of each entry (issue 14)

Entries are now written by one mechanism (audit/recorder.py), for every row a person or a script
changes; `origin` is the caller's address (or the host of a CLI run), `operation` the endpoint or
command, `request_id` ties an entry to the request log's line. Added without rebuilding the table,
so its append-only triggers stay.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.append_only import create_append_only, drop_append_only

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("origin", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("operation", sa.String(length=128), nullable=True))
    op.add_column("audit_log", sa.Column("request_id", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    drop_append_only("audit_log")  # SQLite's batch mode rebuilds the table, triggers and all
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("request_id")
        batch.drop_column("operation")
        batch.drop_column("origin")
    create_append_only("audit_log")
