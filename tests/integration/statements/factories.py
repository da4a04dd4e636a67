"""A month of sales, made through the real services: orders, captures and refunds."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Product
from core.clock import FixedClock
from inventory.models import Location
from payments.models import Payment
from sales import bulk
from sales.models import BUYER_KINDS, Order
from sales.orders import LineRequest, new_order
from sales.payment_flow import new_payment, request_refund, sync_payment


@dataclass
class Month:
    orders: list[Order] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


def place_and_capture(
    session: Session, clock: FixedClock, rng: random.Random, products: list[Product], places: list[Location]
) -> tuple[Order, Payment]:
    """One captured order through a random channel, buyer kind and place."""
    channel = rng.choice(("kiosk", "storefront", "bulk", "shop"))
    place = rng.choice([p for p in places if (p.kind == "kiosk") == (channel == "kiosk")] or places)
    buyer_kind = "individual" if channel in ("kiosk", "shop") else rng.choice(BUYER_KINDS)
    lines = [LineRequest(rng.choice(products), rng.randint(1, 4)) for _ in range(rng.randint(1, 3))]
    order = new_order(
        session,
        at=clock.now(),
        channel=channel,
        status="awaiting_payment",
        actor="test",
        location_id=place.id,
        partner_code=place.partner_code,
        buyer_kind=buyer_kind,
        lines=lines,
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
    session.flush()
    sync_payment(
        session, clock, payment, status="succeeded", received=payment.amount_fen, refunded=None, actor="test"
    )
    return order, payment


def refund_some(
    session: Session, clock: FixedClock, rng: random.Random, order: Order, payment: Payment
) -> None:
    """Refund a unit of one line, or money only at the provider."""
    open_lines = [line for line in order.lines if line.refunded_qty < line.qty]
    if not open_lines or payment.refunded_fen >= payment.captured_fen:
        return
    if rng.random() < 0.7:
        line = rng.choice(open_lines)
        request_refund(session, clock, order, payment, [(line, 1)], reason="test", actor="test")
    else:
        refunded = min(payment.captured_fen, payment.refunded_fen + rng.randint(1, 500))
        sync_payment(session, clock, payment, status=None, received=None, refunded=refunded, actor="test")


def make_month(
    session: Session, clock: FixedClock, start: datetime, *, orders: int = 40, seed: int = 7
) -> Month:
    """Orders spread over the month from `start` (Shanghai), a quarter of them partly refunded."""
    rng = random.Random(seed)
    products = list(session.scalars(select(Product).where(Product.active).order_by(Product.id)))
    places = list(session.scalars(select(Location).order_by(Location.id)))
    month = Month()
    step = timedelta(days=27) / orders
    clock.set(start + timedelta(hours=9))
    for _ in range(orders):
        order, payment = place_and_capture(session, clock, rng, products, places)
        month.orders.append(order)
        month.payments.append(payment)
        if rng.random() < 0.25:
            clock.advance(minutes=30)
            refund_some(session, clock, rng, order, payment)
        clock.set(clock.now() + step)
        session.flush()
    return month


def _open_order(
    session: Session, clock: FixedClock, channel: str, place: Location, skus: list[str], **kwargs: object
) -> tuple[Order, Payment]:
    """An order awaiting payment (two of each product) with its pending simulated payment."""
    products = [session.scalar(select(Product).where(Product.sku == sku)) for sku in skus]
    order = new_order(
        session,
        at=clock.now(),
        channel=channel,
        status="awaiting_payment",
        actor="test",
        location_id=place.id,
        partner_code=place.partner_code,
        lines=[LineRequest(p, 2) for p in products],
        **kwargs,  # type: ignore[arg-type]
    )
    payment = new_payment(
        session,
        order,
        provider="simulated",
        amount_fen=order.total_fen,
        capture_mode="automatic",
        method="any",
        at=clock.now(),
    )
    session.flush()
    return order, payment


def _captured(session: Session, clock: FixedClock, order: Order, payment: Payment) -> Order:
    sync_payment(
        session, clock, payment, status="succeeded", received=payment.amount_fen, refunded=None, actor="test"
    )
    return order


def orders_of_every_kind(session: Session, clock: FixedClock) -> dict[str, Order]:
    """Kiosk, storefront and bulk orders that are paid, refunded, partly refunded, cancelled or still
    open, made through the services an order goes through, one clock minute apart."""
    from sales.kiosk import cancel_open_order
    from tests.integration.orgs.factories import approved_order, demo_unit, drafted_order, product

    kiosk = session.scalar(select(Location).where(Location.code == "FZ-0001"))
    warehouse = session.scalar(select(Location).where(Location.code == "FZ-WH-01"))
    made: dict[str, Order] = {}
    noodles, honey = "GY-INSTANT-VERMICELLI-6", "GY-HONEY-500G"

    made["kiosk_paid"] = _captured(session, clock, *_open_order(session, clock, "kiosk", kiosk, [noodles]))
    clock.advance(minutes=1)
    order, payment = _open_order(session, clock, "kiosk", kiosk, [honey])
    _captured(session, clock, order, payment)
    request_refund(session, clock, order, payment, [(order.lines[0], 2)], reason="damaged", actor="test")
    made["kiosk_refunded"] = order
    clock.advance(minutes=1)
    order, _payment = _open_order(session, clock, "kiosk", kiosk, [noodles])
    cancel_open_order(session, clock, order, actor="test")
    made["kiosk_cancelled"] = order
    clock.advance(minutes=1)
    order, payment = _open_order(session, clock, "storefront", warehouse, [noodles, honey])
    _captured(session, clock, order, payment)
    request_refund(session, clock, order, payment, [(order.lines[0], 1)], reason="lost", actor="test")
    made["storefront_partly_refunded"] = order
    clock.advance(minutes=1)
    made["storefront_awaiting_payment"] = _open_order(session, clock, "storefront", warehouse, [honey])[0]
    clock.advance(minutes=1)
    unit = demo_unit(session, clock)
    order, _record = approved_order(session, clock, unit, [("YB-RICE-5KG", 2)])
    extra = 2000  # ¥20.00 more than the total: owed back to the unit
    bulk.record_bank_transfer(
        session,
        clock,
        order.id,
        bank_reference="TEST-READABLE-1",
        amount_fen=order.total_fen + extra,
        actor="test",
    )
    made["bulk_overpaid"] = order
    clock.advance(minutes=1)
    order, _record = approved_order(session, clock, unit, [("YB-RICE-5KG", 1)])
    bulk.cancel_bulk_order(session, clock, order.id, user_id=unit.buyer.id)
    made["bulk_cancelled"] = order
    clock.advance(minutes=1)
    made["bulk_awaiting_approval"] = drafted_order(
        session, clock, unit, [(product(session, "YB-RICE-5KG").id, 3)]
    )[0]
    session.flush()
    return made
