"""Orders with their snapshot lines and recorded transitions, and the append-only revenue ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import FEN, Base, UTCDateTime

CHANNELS = ("kiosk", "storefront", "bulk", "shop")
BUYER_KINDS = (
    "individual",
    "government",
    "institution",
    "soe",
    "enterprise",
    "union",
    "school",
    "hospital",
    "community",
)


class Order(Base):
    """A sale through one channel; prices, counties and suppliers are snapshots on its lines."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("channel IN ('kiosk', 'storefront', 'bulk', 'shop')", name="channel"),
        CheckConstraint("total_fen >= 0", name="total_nonnegative"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= captured_fen", name="refund_within_capture"),
        UniqueConstraint("idempotency_scope", "idempotency_key", name="uq_orders_idempotency"),
        Index("ix_orders_status_expires", "status", "expires_at"),
        Index("ix_orders_channel_status", "channel", "status"),  # /metrics counts from it alone
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16), default="standard")  # standard | vend | open_door
    status: Mapped[str] = mapped_column(String(32), index=True)
    buyer_kind: Mapped[str] = mapped_column(String(16), default="individual")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    partner_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    total_fen: Mapped[int] = mapped_column(FEN, default=0)
    hold_fen: Mapped[int] = mapped_column(FEN, default=0)
    captured_fen: Mapped[int] = mapped_column(FEN, default=0)
    refunded_fen: Mapped[int] = mapped_column(FEN, default=0)
    # What an open-door visit took beyond its hold, which the capture could not collect (shrinkage).
    uncollected_fen: Mapped[int] = mapped_column(FEN, default=0, server_default="0")
    pay_token: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_scope: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    response_json: Mapped[dict | None] = mapped_column(JSON)
    report_id: Mapped[str | None] = mapped_column(String(64))
    report_json: Mapped[dict | None] = mapped_column(JSON)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.line_no", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(back_populates="order", order_by="OrderEvent.id")


class OrderLine(Base):
    """One product of an order, with price, county, supplier and certification as they were at sale."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no", name="uq_order_lines_order_line_no"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("unit_price_fen >= 0", name="price_nonnegative"),
        CheckConstraint("refunded_qty >= 0 AND refunded_qty <= qty", name="refunded_within_qty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    line_no: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(256))
    county_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    certified: Mapped[bool]
    slot_code: Mapped[str | None] = mapped_column(String(16))
    qty: Mapped[int]
    unit_price_fen: Mapped[int] = mapped_column(FEN)
    line_total_fen: Mapped[int] = mapped_column(FEN)
    refunded_qty: Mapped[int] = mapped_column(default=0)
    refunded_fen: Mapped[int] = mapped_column(FEN, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(Base):
    """A recorded status transition: who moved the order from what to what, and when."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    order: Mapped[Order] = relationship(back_populates="events")


class CommissionRate(Base):
    """The commission the operator keeps, per channel, optionally overridden for one supplier."""

    __tablename__ = "commission_rates"
    __table_args__ = (
        UniqueConstraint("channel", "supplier_id", name="uq_commission_rates_channel_supplier"),
        CheckConstraint("basis_points >= 0 AND basis_points <= 10000", name="basis_points_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    basis_points: Mapped[int]


class RevenueEntry(Base):
    """Append-only: one entry per order line on capture, a negative one per refund."""

    __tablename__ = "revenue_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('sale', 'refund')", name="kind"),
        CheckConstraint(
            "(kind = 'sale' AND amount_fen >= 0) OR (kind = 'refund' AND amount_fen <= 0)",
            name="sign_matches_kind",
        ),
        Index("ix_revenue_entries_period_county", "period", "county_code"),
        Index("ix_revenue_entries_period_supplier", "period", "supplier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    county_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    buyer_kind: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[int | None]
    partner_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    certified: Mapped[bool]
    qty: Mapped[int]
    amount_fen: Mapped[int] = mapped_column(FEN)
    commission_fen: Mapped[int] = mapped_column(FEN)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM in Asia/Shanghai
    at: Mapped[datetime] = mapped_column(UTCDateTime())
