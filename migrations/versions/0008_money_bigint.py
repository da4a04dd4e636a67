"""money in 64-bit columns: every amount of fen is a BIGINT (issue 11, #14)

A 32-bit INTEGER stops at 2³¹ − 1 fen (¥21,474,836.47): one bulk order of a unit can pass it, and
PostgreSQL refused such a row with a DataError. SQLite's INTEGER is already 64-bit and its column
types are only names, so on SQLite nothing is rewritten (its tables keep their triggers untouched).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "products": ("price_fen",),
    "orders": ("total_fen", "hold_fen", "captured_fen", "refunded_fen"),
    "order_lines": ("unit_price_fen", "line_total_fen", "refunded_fen"),
    "payments": ("amount_fen", "captured_fen", "refunded_fen"),
    "refunds": ("amount_fen",),
    "bank_receipts": ("amount_fen",),
    "revenue_entries": ("amount_fen", "commission_fen"),
    "organization_quotas": ("fixed_fen", "per_member_fen", "budget_fen"),
}


def _retype(to: type[sa.types.TypeEngine], frm: type[sa.types.TypeEngine]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: INTEGER already holds 64 bits
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=to(), existing_type=frm())


def upgrade() -> None:
    _retype(sa.BigInteger, sa.Integer)


def downgrade() -> None:
    _retype(sa.Integer, sa.BigInteger)
