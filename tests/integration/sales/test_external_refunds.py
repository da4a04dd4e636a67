"""Refunds made at the provider arrive as running totals; however their events are ordered, each
line ends with the same refunded amount, to the fen."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalogue.models import Product
from sales.models import OrderLine
from sales.orders import LineRequest, new_order
from sales.payment_flow import new_payment, sync_payment


def refunded_per_line(session, clock, cumulative_totals: list[int]) -> list[int]:  # type: ignore[no-untyped-def]
    products = list(session.scalars(select(Product).order_by(Product.id).limit(2)))
    order = new_order(
        session,
        at=clock.now(),
        channel="storefront",
        status="awaiting_payment",
        actor="test",
        lines=[LineRequest(products[0], 3), LineRequest(products[1], 7)],
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
    for total in cumulative_totals:
        sync_payment(session, clock, payment, status=None, received=None, refunded=total, actor="t")
    session.flush()
    assert payment.refunded_fen == max(cumulative_totals)
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)
    )
    return [line.refunded_fen for line in lines]


@pytest.mark.parametrize("totals", [[1001, 1501], [777, 1234, 3001]])
def test_partial_provider_refunds_end_the_same_in_any_order(session, clock, totals) -> None:
    in_order = refunded_per_line(session, clock, totals)
    reversed_order = refunded_per_line(session, clock, list(reversed(totals)))
    assert in_order == reversed_order and sum(in_order) == max(totals)
