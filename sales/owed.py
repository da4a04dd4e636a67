"""Money the books owe back, as queries: overpayments not yet returned and payouts not yet made.

An overpayment is money an order did not need: a payment's surplus (sales.payment_flow), money
captured beyond the total, or a bank transfer recorded on no payment of an order already paid.
It is returned by refunds of kind `overpayment`; until one succeeds it is owed, and what no
pending refund covers (never recorded, or its return failed) is unrecorded. A payout is a refund
on a bank-transfer payment, which an operator pays out by hand (sales.payouts).

Shared by the money audit (sales.money_audit) and the month's reconciliation
(sales.statements.balance_check); read-only, set-based."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select

from payments.models import BankReceipt, Payment, Refund
from payments.providers.bank_transfer import PROVIDER_NAME as BANK_TRANSFER
from sales.models import Order


def _positive(expr: Any) -> Any:
    return case((expr > 0, expr), else_=literal(0))


def overpayments(before: datetime | None = None) -> Any:
    """Per order with money it did not need not yet returned: total, received, overpaid, returned,
    owed (pending returns) and unrecorded fen, and where it came from (payments or bank_transfers)."""
    paid = (
        select(
            Payment.order_id.label("order_id"),
            func.sum(Payment.captured_fen).label("captured"),
            func.sum(Payment.surplus_fen).label("surplus"),
            func.sum(case((Payment.provider == BANK_TRANSFER, Payment.captured_fen), else_=0)).label("bank"),
        )
        .group_by(Payment.order_id)
        .subquery()
    )
    returns = (
        select(
            Payment.order_id.label("order_id"),
            func.sum(case((Refund.status == "succeeded", Refund.amount_fen), else_=0)).label("returned"),
            func.sum(case((Refund.status == "pending", Refund.amount_fen), else_=0)).label("owed"),
        )
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.kind == "overpayment")
        .group_by(Payment.order_id)
        .subquery()
    )
    receipts = (
        select(BankReceipt.order_id.label("order_id"), func.sum(BankReceipt.amount_fen).label("received"))
        .group_by(BankReceipt.order_id)
        .subquery()
    )
    captured, surplus = func.coalesce(paid.c.captured, 0), func.coalesce(paid.c.surplus, 0)
    off_payments = _positive(func.coalesce(receipts.c.received, 0) - func.coalesce(paid.c.bank, 0))
    # Transfers on no payment are owed back once the order is paid, or where they pass its total.
    stray = case(
        (Order.captured_fen > 0, off_payments),
        else_=_positive(off_payments - Order.total_fen),
    )
    overpaid = surplus + _positive(captured - surplus - Order.total_fen) + stray
    returned, owed = func.coalesce(returns.c.returned, 0), func.coalesce(returns.c.owed, 0)
    unreturned = overpaid - returned
    return (
        select(
            Order.id.label("order_id"),
            case((stray > 0, literal("bank_transfers")), else_=literal("payments")).label("source"),
            Order.total_fen.label("total_fen"),
            (captured + off_payments).label("received_fen"),
            unreturned.label("overpaid_fen"),
            returned.label("returned_fen"),
            case((owed > unreturned, unreturned), else_=owed).label("owed_fen"),
            _positive(unreturned - owed).label("unrecorded_fen"),
        )
        .outerjoin(paid, paid.c.order_id == Order.id)
        .outerjoin(returns, returns.c.order_id == Order.id)
        .outerjoin(receipts, receipts.c.order_id == Order.id)
        .where((paid.c.order_id.is_not(None)) | (receipts.c.order_id.is_not(None)))
        # A deposit stands for the hold of an open-door visit still in progress (sales.payment_flow),
        # until the door-closed report keeps what was taken and returns the rest.
        .where(unreturned > 0, Order.status != "authorized")
        .where(*([Order.created_at < before] if before is not None else []))
        .order_by(Order.id)
    )


def payouts_owed(before: datetime | None = None) -> Any:
    """Refunds on bank transfers an operator has not paid out (or failed) yet, oldest first."""
    return (
        select(
            Refund.id.label("refund_id"),
            Payment.order_id.label("order_id"),
            Refund.kind.label("kind"),
            Refund.amount_fen.label("amount_fen"),
            Refund.reason.label("reason"),
            Refund.created_at.label("created_at"),
        )
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.provider == BANK_TRANSFER, Refund.status == "pending")
        .where(*([Refund.created_at < before] if before is not None else []))
        .order_by(Refund.created_at, Refund.id)
    )
