"""Certification counts as it stands when the sale is captured, not when the order was drafted: a
bulk order drafted under a valid certificate and paid after it lapsed is not a certified sale."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.clock import local_date
from sales import bulk
from sales.models import RevenueEntry

from .factories import approved_order, demo_unit, product

RICE = "YB-RICE-5KG"


def paid_certified_flags(session, clock, order) -> set[bool]:  # type: ignore[no-untyped-def]
    bulk.record_bank_transfer(
        session,
        clock,
        order.id,
        bank_reference=f"ICBC-{order.id[:8]}",
        amount_fen=order.total_fen,
        actor="op",
    )
    session.flush()
    entries = session.scalars(select(RevenueEntry).where(RevenueEntry.order_id == order.id)).all()
    assert entries
    return {e.certified for e in entries}


def test_a_certificate_that_lapsed_before_payment_does_not_count_for_the_sale(session, clock) -> None:
    unit = demo_unit(session, clock)
    rice = product(session, RICE)
    rice.certification_no = rice.certification_no or "演示-CERT-1"
    rice.certified_from = local_date(clock.now()) - timedelta(days=30)
    rice.certified_until = local_date(clock.now()) + timedelta(days=1)
    order, _ = approved_order(session, clock, unit, [(RICE, 2)])
    assert [line.certified for line in order.lines] == [True]  # valid when drafted
    clock.advance(days=3)  # the unit's finance office pays after the certificate lapsed
    assert paid_certified_flags(session, clock, order) == {False}
    assert [line.certified for line in order.lines] == [False]


def test_a_certificate_valid_by_payment_counts_for_the_sale(session, clock) -> None:
    unit = demo_unit(session, clock)
    rice = product(session, RICE)
    rice.certification_no = rice.certification_no or "演示-CERT-1"
    rice.certified_from = local_date(clock.now()) + timedelta(days=2)
    rice.certified_until = local_date(clock.now()) + timedelta(days=400)
    order, _ = approved_order(session, clock, unit, [(RICE, 2)])
    assert [line.certified for line in order.lines] == [False]
    clock.advance(days=3)
    assert paid_certified_flags(session, clock, order) == {True}
