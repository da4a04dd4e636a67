"""For any sequence of orders, captures and (partial) refunds, the revenue ledger equals captured
minus refunded, to the fen, in total and per county."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from catalogue.models import Product
from payments.models import Payment
from sales.models import OrderLine, RevenueEntry
from sales.orders import LineRequest, new_order
from sales.payment_flow import new_payment, request_refund, sync_payment

ORDER = st.tuples(
    st.just("order"), st.lists(st.tuples(st.integers(0, 39), st.integers(1, 5)), min_size=1, max_size=3)
)
CAPTURE = st.tuples(st.just("capture"), st.integers(0, 20))
REFUND = st.tuples(st.just("refund"), st.integers(0, 20), st.integers(0, 5), st.integers(1, 5))
PROVIDER_REFUND = st.tuples(st.just("provider_refund"), st.integers(0, 20), st.integers(1, 5000))
STEPS = st.lists(st.one_of(ORDER, CAPTURE, REFUND, PROVIDER_REFUND), min_size=1, max_size=25)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_revenue_equals_captured_minus_refunded_per_county(session, clock, steps) -> None:
    products = list(session.scalars(select(Product).order_by(Product.id)))
    savepoint = session.begin_nested()
    orders, payments = [], []
    for step in steps:
        if step[0] == "order":
            lines = [LineRequest(products[i % len(products)], qty) for i, qty in step[1]]
            order = new_order(
                session,
                at=clock.now(),
                channel="bulk",
                status="awaiting_payment",
                actor="test",
                buyer_kind="union",
                lines=lines,
            )
            session.flush()
            payments.append(
                new_payment(
                    session,
                    order,
                    provider="test",
                    amount_fen=order.total_fen,
                    capture_mode="automatic",
                    method="any",
                    at=clock.now(),
                )
            )
            orders.append(order)
            session.flush()
        elif not orders:
            continue
        elif step[0] == "capture":
            payment = payments[step[1] % len(payments)]
            sync_payment(
                session,
                clock,
                payment,
                status="succeeded",
                received=payment.amount_fen,
                refunded=None,
                actor="test",
            )
        elif step[0] == "refund":
            order = orders[step[1] % len(orders)]
            payment = payments[step[1] % len(payments)]
            line = order.lines[step[2] % len(order.lines)]
            qty = min(step[3], line.qty - line.refunded_qty)
            if (
                payment.captured_fen
                and qty > 0
                and line.refunded_fen + qty * line.unit_price_fen <= line.line_total_fen
            ):
                request_refund(session, clock, order, payment, [(line, qty)], reason="test", actor="test")
        elif step[0] == "provider_refund":
            payment = payments[step[1] % len(payments)]
            if payment.captured_fen:
                refunded = min(payment.captured_fen, payment.refunded_fen + step[2])
                sync_payment(
                    session, clock, payment, status=None, received=None, refunded=refunded, actor="test"
                )
        session.flush()
        clock.advance(minutes=7)

    ids = [o.id for o in orders]
    if ids:
        ledger = dict(
            session.execute(
                select(RevenueEntry.county_code, func.sum(RevenueEntry.amount_fen))
                .where(RevenueEntry.order_id.in_(ids))
                .group_by(RevenueEntry.county_code)
            ).all()
        )
        expected: dict[str, int] = defaultdict(int)
        for order in orders:
            if order.captured_fen:
                for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)):
                    expected[line.county_code] += line.line_total_fen - line.refunded_fen
        assert {k: v for k, v in ledger.items() if v} == {k: v for k, v in expected.items() if v}
        total_payments = session.scalar(
            select(func.sum(Payment.captured_fen - Payment.refunded_fen)).where(Payment.order_id.in_(ids))
        )
        assert sum(ledger.values()) == total_payments
    savepoint.rollback()
    # The examples share one session: what this one wrote is gone from the database (and SQLite
    # hands the same ids out again), so nothing of it may stay in the identity map either.
    session.expunge_all()
