"""partial indexes of the holds still active (issue 10: cost must not grow with history)

A kiosk purchase asks whether any hold on its balances (or at its kiosk) has lapsed. With a
million historical holds, a prepared statement's generic plan scanned them all (200 ms a
purchase); these indexes hold only the active few, and the queries name the status as a literal.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    for name, column in (("balance", "balance_id"), ("location", "location_id")):
        op.create_index(
            f"ix_reservations_active_{name}",
            "reservations",
            [column, "expires_at"],
            postgresql_where=ACTIVE,
            sqlite_where=ACTIVE,
        )


def downgrade() -> None:
    op.drop_index("ix_reservations_active_location", table_name="reservations")
    op.drop_index("ix_reservations_active_balance", table_name="reservations")
