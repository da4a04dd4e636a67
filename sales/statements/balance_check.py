"""The month's reconciliation: payments captured − refunds = revenue entries = statement totals.

Money an order did not need (a second payment, a transfer above the total) is not revenue: its
capture (a payment's surplus) and the refunds of kind `overpayment` that return it are left out of
both sides. What is still owed back — overpayments not yet returned, bank-transfer refunds not yet
paid out — is listed as `owed` beside the verdict, not counted as a difference: the books balance
(that money is a debt to the buyer, recorded as a pending refund, never revenue), and the auditor
sees the debt until it is paid. An overpayment no pending refund covers is a difference as well.

Each side is summed by the database; the differences are found by the database too (a UNION ALL
of both sides grouped by order, keeping the orders whose sides disagree), so only disagreements
come back, line by line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from payments.models import Payment, Refund
from sales import owed
from sales.models import OrderEvent, RevenueEntry
from sales.statements.compute import period_bounds
from sales.statements.issue import Visibility, issued_period, list_statements


@dataclass
class Reconciliation:
    period: str
    issued: bool
    captured_fen: int
    refunded_fen: int
    ledger_fen: int
    county_statements_fen: int
    supplier_statements_fen: int
    differences: list[dict[str, Any]] = field(default_factory=list)
    owed: list[dict[str, Any]] = field(default_factory=list)  # money still to give back, by order

    @property
    def owed_fen(self) -> int:
        return sum(o["amount_fen"] for o in self.owed)

    @property
    def payments_net_fen(self) -> int:
        return self.captured_fen - self.refunded_fen

    @property
    def balanced(self) -> bool:
        sums = {
            self.payments_net_fen,
            self.ledger_fen,
            self.county_statements_fen,
            self.supplier_statements_fen,
        }
        return len(sums) == 1 and not self.differences

    @property
    def settled(self) -> bool:
        """Balanced, and nothing owed back to a buyer any more."""
        return self.balanced and not self.owed


def _captures(period: str) -> Any:
    """(order_id, captured fen) of orders whose payment was captured in the month.

    The moment of capture is the order's own record of it: its move to `paid`, or an open-door
    visit's move from `authorized` to `completed`."""
    start, end = period_bounds(period)
    captured_at = (
        select(OrderEvent.order_id, func.min(OrderEvent.at).label("at"))
        .where(
            or_(
                OrderEvent.to_status == "paid",
                and_(OrderEvent.from_status == "authorized", OrderEvent.to_status == "completed"),
            )
        )
        .group_by(OrderEvent.order_id)
        .subquery()
    )
    return (
        select(
            Payment.order_id.label("order_id"), (Payment.captured_fen - Payment.surplus_fen).label("amount")
        )
        .join(captured_at, captured_at.c.order_id == Payment.order_id)
        .where(captured_at.c.at >= start, captured_at.c.at < end, Payment.captured_fen > Payment.surplus_fen)
    )


def _refunds(period: str) -> Any:
    start, end = period_bounds(period)
    return (
        select(Payment.order_id.label("order_id"), (-Refund.amount_fen).label("amount"))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.created_at >= start, Refund.created_at < end, Refund.kind == "order")
    )


def owed_at_end(session: Session, period: str) -> list[dict[str, Any]]:
    """What is owed back now of the month and before: overpayments not returned (an order's
    unrecorded part is a difference too), and bank-transfer refunds of lines not yet paid out."""
    _start, end = period_bounds(period)
    rows = [
        {"kind": "overpayment", "order_id": r.order_id, "refund_id": None, "amount_fen": int(r.overpaid_fen)}
        for r in session.execute(owed.overpayments(before=end))
    ]
    rows += [
        {"kind": "payout", "order_id": r.order_id, "refund_id": r.refund_id, "amount_fen": int(r.amount_fen)}
        for r in session.execute(owed.payouts_owed(before=end))
        if r.kind == "order"  # an overpayment's payout is counted with its overpayment above
    ]
    return rows


def reconcile_period(session: Session, period: str) -> Reconciliation:
    """Compare the three sides of a month and list every difference."""
    captures, refunds = _captures(period).subquery(), _refunds(period).subquery()
    captured = session.scalar(select(func.coalesce(func.sum(captures.c.amount), 0))) or 0
    refunded = -(session.scalar(select(func.coalesce(func.sum(refunds.c.amount), 0))) or 0)
    ledger = (
        session.scalar(
            select(func.coalesce(func.sum(RevenueEntry.amount_fen), 0)).where(RevenueEntry.period == period)
        )
        or 0
    )
    statements = list_statements(session, Visibility(everything=True), period=period)
    by_scope: dict[str, dict[str, int]] = {"county": {}, "supplier": {}}
    for s in statements:
        if s.scope in by_scope:
            by_scope[s.scope][s.scope_key] = s.figures["totals"]["net_fen"]

    both = union_all(
        select(_captures(period).subquery()).add_columns(literal(0).label("ledger")),
        select(_refunds(period).subquery()).add_columns(literal(0).label("ledger")),
        select(
            RevenueEntry.order_id.label("order_id"),
            literal(0).label("amount"),
            RevenueEntry.amount_fen.label("ledger"),
        ).where(RevenueEntry.period == period),
    ).subquery()
    paid, booked = func.sum(both.c.amount), func.sum(both.c.ledger)
    rows = session.execute(
        select(both.c.order_id, paid, booked)
        .group_by(both.c.order_id)
        .having(paid != booked)
        .order_by(both.c.order_id)
    ).all()
    differences = [_line("order", order_id, int(p), int(b)) for order_id, p, b in rows]
    for scope, column in (("county", RevenueEntry.county_code), ("supplier", RevenueEntry.supplier_id)):
        booked_by = dict(
            session.execute(
                select(column, func.sum(RevenueEntry.amount_fen))
                .where(RevenueEntry.period == period)
                .group_by(column)
            ).all()
        )
        booked_by = {str(k): int(v) for k, v in booked_by.items()}
        for key in sorted(set(booked_by) | set(by_scope[scope])):
            if booked_by.get(key, 0) != by_scope[scope].get(key, 0):
                differences.append(_line(scope, key, booked_by.get(key, 0), by_scope[scope].get(key, 0)))
    owed_now = owed_at_end(session, period)
    unrecorded = session.execute(
        select(owed.overpayments(before=period_bounds(period)[1]).subquery()).where(
            literal_column("unrecorded_fen") > 0
        )
    ).all()
    differences += [_line("overpayment", r.order_id, 0, int(r.unrecorded_fen)) for r in unrecorded]
    return Reconciliation(
        period=period,
        issued=issued_period(session, period) is not None,
        captured_fen=int(captured),
        refunded_fen=int(refunded),
        ledger_fen=int(ledger),
        county_statements_fen=sum(by_scope["county"].values()),
        supplier_statements_fen=sum(by_scope["supplier"].values()),
        differences=differences,
        owed=owed_now,
    )


def _line(kind: str, key: str, expected: int, found: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "key": str(key),
        "expected_fen": expected,
        "found_fen": found,
        "difference_fen": found - expected,
    }
