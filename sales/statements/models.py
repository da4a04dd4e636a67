"""Statements, the periods that were issued, and the monthly revenue rollup they are computed from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime
from sales.models import RevenueEntry

SCOPES = ("county", "supplier", "partner")
STATUSES = ("draft", "issued")
# The rollup has no NULLs in its key, so that one UNIQUE constraint covers every row on both
# databases (NULLs are distinct in a UNIQUE); these stand for "no partner" and "no location".
NO_PARTNER = ""
NO_LOCATION = 0

# Indexes the console and the reconciliation need on the revenue ledger (declared here so the
# ledger's own module stays as it was; migration 0006 creates them).
Index("ix_revenue_entries_at", RevenueEntry.at)
Index("ix_revenue_entries_period_kind", RevenueEntry.period, RevenueEntry.kind)


class StatementPeriod(Base):
    """A closed month: its statements were issued at this moment. Append-only in the database."""

    __tablename__ = "statement_periods"
    __table_args__ = (CheckConstraint("length(period) = 7", name="period_format"),)

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[str] = mapped_column(String(128))
    statement_count: Mapped[int]


class Statement(Base):
    """The figures of one county, supplier or eastern partner for one month.

    A draft is computed on request and never stored; issuing stores it with its SHA-256 content
    hash, after which the database refuses to change or delete it."""

    __tablename__ = "statements"
    __table_args__ = (
        CheckConstraint("scope IN ('county', 'supplier', 'partner')", name="scope"),
        CheckConstraint("status IN ('draft', 'issued')", name="status"),
        CheckConstraint("status = 'draft' OR content_hash IS NOT NULL", name="issued_has_hash"),
        UniqueConstraint("period", "scope", "scope_key", name="uq_statements_period_scope_key"),
        Index("ix_statements_county_period", "county_code", "period"),
        Index("ix_statements_supplier_period", "supplier_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    scope: Mapped[str] = mapped_column(String(16))
    scope_key: Mapped[str] = mapped_column(String(16))
    # What access checks and filters need without reading the figures: the origin county (of a
    # county's or a supplier's statement) and the supplier.
    county_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    status: Mapped[str] = mapped_column(String(8), default="draft")
    figures: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# What one rollup row sums over: its unique key, and the GROUP BY that checks it against the ledger.
ROLLUP_KEY = (
    "period",
    "sale_period",
    "county_code",
    "supplier_id",
    "product_id",
    "channel",
    "buyer_kind",
    "certified",
    "partner_code",
    "location_id",
)


class RevenueRollup(Base):
    """The revenue ledger summed per month and per every attribute a statement breaks down by.

    Kept in step as entries are written (sales/revenue.py); `sale_period` is the month of the
    sale an entry belongs to, so a refund of an earlier month's sale shows as an adjustment."""

    __tablename__ = "revenue_rollups"
    __table_args__ = (UniqueConstraint(*ROLLUP_KEY, name="uq_revenue_rollups_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    sale_period: Mapped[str] = mapped_column(String(7))
    county_code: Mapped[str] = mapped_column(String(6))
    supplier_id: Mapped[int]
    product_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(16))
    buyer_kind: Mapped[str] = mapped_column(String(16))
    certified: Mapped[bool]
    partner_code: Mapped[str] = mapped_column(String(6))  # NO_PARTNER when the order had none
    location_id: Mapped[int]  # NO_LOCATION when the order had none
    # A month of one product at one place can pass the 2^31 fen of a 32-bit integer; sums are 64-bit.
    sale_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # zero or negative
    sale_qty: Mapped[int] = mapped_column(default=0)
    refund_qty: Mapped[int] = mapped_column(default=0)  # zero or negative
    commission_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_count: Mapped[int] = mapped_column(default=0)
