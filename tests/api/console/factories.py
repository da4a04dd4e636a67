"""Orders for the console's tests, made through the real services: placed, paid, at a set time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Product
from core.clock import FixedClock
from inventory.models import Location
from sales.models import Order
from sales.orders import LineRequest, new_order
from sales.org_models import Organization
from sales.payment_flow import new_payment, sync_payment


def paid_order(
    session: Session,
    clock: FixedClock,
    *,
    at: datetime,
    channel: str = "storefront",
    phone: str | None = None,
    unit: Organization | None = None,
    qty: int = 3,
    paid: bool = True,
) -> Order:
    """An order of `qty` units of the first active product, captured in full unless `paid` is False
    (by a provider "test" no adapter serves: its refunds stay pending)."""
    clock.set(at)
    product = session.scalar(select(Product).where(Product.active.is_(True)).order_by(Product.id))
    kiosk = session.scalar(select(Location).where(Location.kind == "kiosk").order_by(Location.id))
    order = new_order(
        session,
        at=at,
        channel=channel,
        status="awaiting_payment",
        actor="test",
        location_id=kiosk.id if channel == "kiosk" else None,
        partner_code=unit.city_code if unit else kiosk.partner_code,
        buyer_kind=unit.buyer_kind if unit else "individual",
        organization_id=unit.id if unit else None,
        lines=[LineRequest(product, qty)],
        details={"contact": {"name": "张三", "phone": phone, "address": "宁波市海曙区"}} if phone else None,
    )
    payment = new_payment(
        session,
        order,
        provider="test",
        amount_fen=order.total_fen,
        capture_mode="automatic",
        method="any",
        at=at,
    )
    session.flush()
    if paid:
        sync_payment(
            session,
            clock,
            payment,
            status="succeeded",
            received=payment.amount_fen,
            refunded=None,
            actor="test",
        )
    session.flush()
    return order
