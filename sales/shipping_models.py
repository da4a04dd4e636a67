"""A web-shop order's way from the warehouse shelf to the shopper: one shipment row per order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

# The steps in their order; a shipment's `step` is the last one taken.
STEPS = ("picked", "packed", "shipped", "delivered")


class Shipment(Base):
    """Who picked, packed, shipped (carrier, tracking number) and marked delivered a storefront
    order, and when; the row is written at the first step (pick) and filled in step by step."""

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint("step IN ('picked', 'packed', 'shipped', 'delivered')", name="step"),
        CheckConstraint(
            "step NOT IN ('shipped', 'delivered') OR (carrier IS NOT NULL AND tracking_no IS NOT NULL)",
            name="shipped_has_tracking",
        ),
        Index("ix_shipments_step", "step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), unique=True)
    step: Mapped[str] = mapped_column(String(16))
    picked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    picked_by: Mapped[str] = mapped_column(String(128))
    packed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    packed_by: Mapped[str | None] = mapped_column(String(128))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_by: Mapped[str | None] = mapped_column(String(128))
    carrier: Mapped[str | None] = mapped_column(String(16))
    tracking_no: Mapped[str | None] = mapped_column(String(32))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_by: Mapped[str | None] = mapped_column(String(128))
