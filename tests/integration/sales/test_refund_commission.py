"""A refund reverses exactly its share of the sale's own commission: never more than was taken, to
the fen in total once everything is refunded, and at the sale's rate, not today's."""

from __future__ import annotations

from sqlalchemy import func, select

from catalogue.models import Product
from sales.models import CommissionRate, RevenueEntry
from sales.orders import LineRequest, new_order
from sales.payment_flow import new_payment, sync_payment
from sales.refunds import request_refund


def set_rate(session, product: Product, basis_points: int) -> None:  # type: ignore[no-untyped-def]
    rate = session.scalar(
        select(CommissionRate).where(
            CommissionRate.channel == "storefront", CommissionRate.supplier_id == product.supplier_id
        )
    )
    if rate is None:
        session.add(
            CommissionRate(channel="storefront", supplier_id=product.supplier_id, basis_points=basis_points)
        )
    else:
        rate.basis_points = basis_points
    session.flush()


def paid_order(session, clock, qty: int, price_fen: int, basis_points: int):  # type: ignore[no-untyped-def]
    product = session.scalars(select(Product).order_by(Product.id).limit(1)).one()
    product.price_fen = price_fen
    set_rate(session, product, basis_points)
    order = new_order(
        session,
        at=clock.now(),
        channel="storefront",
        status="awaiting_payment",
        actor="test",
        lines=[LineRequest(product, qty)],
    )
    payment = new_payment(
        session,
        order,
        provider="test",
        amount_fen=order.total_fen,
        capture_mode="automatic",
        method="any",
        at=clock.now(),
    )
    sync_payment(
        session, clock, payment, status="succeeded", received=order.total_fen, refunded=None, actor="t"
    )
    session.flush()
    return product, order, payment


def commission(session, order_id: str, kind: str | None = None) -> int:  # type: ignore[no-untyped-def]
    stmt = select(func.coalesce(func.sum(RevenueEntry.commission_fen), 0)).where(
        RevenueEntry.order_id == order_id
    )
    if kind is not None:
        stmt = stmt.where(RevenueEntry.kind == kind)
    return int(session.scalar(stmt))


def test_a_two_unit_sale_refunded_unit_by_unit_nets_exactly_zero_commission(session, clock) -> None:
    # 5% of ¥19.90 is 99.5 fen a unit: the sale's 199 fen, rounded per refund entry, came back as 200.
    _product, order, payment = paid_order(session, clock, qty=2, price_fen=1990, basis_points=500)
    sold = commission(session, order.id, "sale")
    assert sold == 199
    [line] = order.lines
    request_refund(session, clock, order, payment, [(line, 1)], reason="one broken", actor="op")
    session.flush()
    assert 0 <= -commission(session, order.id, "refund") <= sold
    request_refund(session, clock, order, payment, [(line, 1)], reason="the other too", actor="op")
    session.flush()
    assert commission(session, order.id) == 0


def test_a_refund_reverses_commission_at_the_sales_rate_not_todays(session, clock) -> None:
    product, order, payment = paid_order(session, clock, qty=3, price_fen=1000, basis_points=500)
    assert commission(session, order.id, "sale") == 150
    set_rate(session, product, 1000)  # the rate changed after the sale
    [line] = order.lines
    request_refund(session, clock, order, payment, [(line, 1)], reason="one", actor="op")
    session.flush()
    assert commission(session, order.id, "refund") == -50
    request_refund(session, clock, order, payment, [(line, 2)], reason="the rest", actor="op")
    session.flush()
    assert commission(session, order.id) == 0
