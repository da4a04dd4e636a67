"""An operator's refund of units of one order line: the amount to confirm first, then the refund.

Both run the same checks, so what the confirmation shows is what the refund does: a line of this
order, at least one unit, money captured on the order, and no more units than are left."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.clock import Clock
from core.errors import Conflict, InvalidInput
from payments.models import Payment, Refund
from sales.models import Order, OrderLine
from sales.orders import get_order
from sales.payment_flow import payment_of
from sales.refunds import refund_amounts, request_refund


@dataclass(frozen=True)
class LineRefund:
    """What refunding some units of a line gives back, and the payment it goes on."""

    order: Order
    line: OrderLine
    qty: int
    amount_fen: int
    payment: Payment


def plan_line_refund(
    session: Session, order_id: str, line_id: int | None, qty: int | None, *, lock: bool = False
) -> LineRefund:
    """Check a refund of `qty` units of a line and reckon its amount, writing nothing."""
    order = get_order(session, order_id, lock=lock)
    line = next((ln for ln in order.lines if ln.id == line_id), None)
    if line is None:
        raise InvalidInput("choose a line of this order", code="no_line", fields={"line": "choose a line"})
    if qty is None or qty <= 0:
        raise InvalidInput("refund at least one unit", fields={"qty": "a whole number of units, at least 1"})
    payment = payment_of(session, order_id, lock=lock)
    if payment is None or payment.captured_fen == 0:
        raise Conflict("nothing was captured on this order", code="nothing_captured")
    [(_line, _qty, amount)] = refund_amounts([(line, qty)])
    return LineRefund(order, line, qty, amount, payment)


def refund_line(
    session: Session,
    clock: Clock,
    order_id: str,
    line_id: int | None,
    qty: int | None,
    *,
    reason: str,
    actor: str,
) -> Refund | None:
    """Write a pending refund of units of one line (paid out by the provider after the commit)."""
    plan = plan_line_refund(session, order_id, line_id, qty, lock=True)
    return request_refund(
        session, clock, plan.order, plan.payment, [(plan.line, plan.qty)], reason=reason, actor=actor
    )
