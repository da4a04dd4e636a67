"""Payment and refund records, bank receipts, payouts of bank-transfer refunds and received webhook events.

An order may have several payments: what a payment captured beyond what its order still needed is
its `surplus_fen`, given back by a refund of kind `overpayment` (no lines, no revenue entries). A
refund on a bank-transfer payment is paid out by an operator: its `Payout` records how."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import FEN, Base, UTCDateTime

PAYMENT_STATUSES = ("pending", "requires_payment", "requires_capture", "succeeded", "canceled", "failed")


class Payment(Base):
    """One attempt to collect an order's money through a provider."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_ref", name="uq_payments_provider_ref"),
        CheckConstraint("amount_fen >= 0", name="amount_nonnegative"),
        CheckConstraint(
            "captured_fen >= 0 AND refunded_fen >= 0 AND refunded_fen <= captured_fen", name="amounts"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(32), default="any")
    capture_mode: Mapped[str] = mapped_column(String(16), default="automatic")
    status: Mapped[str] = mapped_column(String(32), default="pending", index=True)
    amount_fen: Mapped[int] = mapped_column(FEN)
    captured_fen: Mapped[int] = mapped_column(FEN, default=0)
    refunded_fen: Mapped[int] = mapped_column(FEN, default=0)
    # Captured beyond what the order needed (it was paid already): never revenue, owed back.
    surplus_fen: Mapped[int] = mapped_column(FEN, default=0, server_default="0")
    qr_payload: Mapped[str | None] = mapped_column(Text)
    client_secret: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When we first recorded money captured on it: the day a provider's daily bill lists it.
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")


class Refund(Base):
    """Money given back on a payment, for some lines of the order or unattributed."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(FEN)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    # order: money of the order's lines; overpayment: a payment's surplus, given back (no lines).
    kind: Mapped[str] = mapped_column(String(16), default="order", server_default="order")
    provider_ref: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    lines: Mapped[list] = mapped_column(JSON, default=list)  # [{"line_id": 1, "qty": 1, "amount_fen": 2990}]
    actor: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    payment: Mapped[Payment] = relationship(back_populates="refunds")


class BankReceipt(Base):
    """A bank transfer received for a bulk order, recorded by an operator with its bank reference."""

    __tablename__ = "bank_receipts"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    reference: Mapped[str] = mapped_column(String(128), unique=True)
    amount_fen: Mapped[int] = mapped_column(FEN)
    recorded_by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Payout(Base):
    """How an operator settled a bank-transfer refund: paid out with a bank reference, or failed."""

    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('paid', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    bank_reference: Mapped[str | None] = mapped_column(String(128), unique=True)
    amount_fen: Mapped[int] = mapped_column(FEN)
    paid_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookEvent(Base):
    """A provider event, stored once by its id; processing twice is refused by the unique key."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SimulatedPaymentRow(Base):
    """The simulated provider's own state, kept in the database so every process (server, CLI) sees it."""

    __tablename__ = "simulated_payments"

    provider_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    record: Mapped[dict] = mapped_column(JSON)


class SimulatedIdempotencyRow(Base):
    """A result the simulated provider remembers under an idempotency key, as Stripe does."""

    __tablename__ = "simulated_idempotency"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict] = mapped_column(JSON)
