"""open-door visits: a hold per cabinet, and what a visit took beyond it (issue 11, #1)

`locations.open_door_hold_fen` sizes a cabinet's authorization hold (NULL: the server's
OPEN_DOOR_HOLD_FEN). `orders.uncollected_fen` is what a visit took beyond its hold: the capture
cannot collect it, so the order is priced at the hold and the rest is shrinkage, shown as an alert.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FEN = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # as core.db.FEN: SQLite's INTEGER is 64-bit


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("uncollected_fen", FEN, server_default="0", nullable=False))
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("open_door_hold_fen", FEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("open_door_hold_fen")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("uncollected_fen")
