"""The eastern partner credited is the city whose effort made the sale: for a unit's bulk order and
a member's own purchase, the unit's city, whichever warehouse ships the goods."""

from __future__ import annotations

from sqlalchemy import select

from inventory.models import Location
from sales import bulk
from sales.models import RevenueEntry
from sales.payment_flow import sync_payment
from sales.storefront import place_order

from .factories import approved_order, demo_unit, product

HONEY = "GY-HONEY-500G"  # stocked in Fuzhou's warehouse only
NINGBO = "330200"


def test_a_ningbo_units_bulk_order_shipped_from_fuzhou_is_credited_to_ningbo(session, clock) -> None:
    unit = demo_unit(session, clock)
    assert unit.org.city_code == NINGBO
    order, _ = approved_order(session, clock, unit, [(HONEY, 2)])
    assert session.get(Location, order.location_id).code == "FZ-WH-01"
    assert order.partner_code == NINGBO
    bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="ICBC-NB-1", amount_fen=order.total_fen, actor="op"
    )
    session.flush()
    entries = session.scalars(select(RevenueEntry).where(RevenueEntry.order_id == order.id)).all()
    assert entries and {e.partner_code for e in entries} == {NINGBO}


def test_a_members_own_shop_purchase_is_credited_to_the_units_city(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, payment = place_order(
        session,
        clock,
        items=[{"product": product(session, HONEY).id, "qty": 1}],
        contact={"name": "王", "phone": "13800138000", "address": "宁波市某路 1 号"},
        provider="simulated",
        user_id=unit.buyer.id,
    )
    assert session.get(Location, order.location_id).code == "FZ-WH-01"
    assert (order.organization_id, order.partner_code) == (unit.org.id, NINGBO)
    session.flush()
    sync_payment(
        session, clock, payment, status="succeeded", received=order.total_fen, refunded=None, actor="t"
    )
    session.flush()
    entries = session.scalars(select(RevenueEntry).where(RevenueEntry.order_id == order.id)).all()
    assert entries and {e.partner_code for e in entries} == {NINGBO}
