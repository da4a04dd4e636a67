"""Storefront orders: priced by the server, stock held at a warehouse while the shopper pays.

A shop order is placed with one payment, opened at the provider as a QR code (WeChat Pay Native,
Alipay precreate) for a desktop shopper to scan with a phone. A shopper on the phone itself pays
on the provider's own page instead (WeChat H5, Alipay 手机网站支付): `phone_payment` opens a second
payment of the order for that, once per order (its idempotency key is the order's), whose every
retry asks the provider again with the same key. Whichever of the two is paid first pays the
order; should both be paid, the second is the payment's surplus, which sales.payment_flow gives
back at once (an overpayment refund, no revenue)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Product
from core.clock import Clock
from core.db import Database
from core.errors import InvalidInput
from inventory import service as inventory
from payments.models import Payment
from payments.providers.base import PaymentProvider
from sales.errors import EmptyOrder
from sales.lines import merge_lines
from sales.models import Order
from sales.orders import Idempotency, LineRequest, get_order, new_order
from sales.organizations import get_organization, partner_of, unit_of_member
from sales.payment_flow import create_request, new_payment, open_at_provider

STOREFRONT_HOLD = timedelta(minutes=15)


def _products(session: Session, items: list[dict[str, Any]]) -> list[LineRequest]:
    requests = []
    for product_id, (first, qty) in merge_lines((item["product"], item["qty"]) for item in items).items():
        product = session.get(Product, product_id)
        if product is None or not product.active:
            raise InvalidInput(
                "no such product on sale",
                code="unknown_product",
                fields={f"lines.{first}.product": "unknown product"},
            )
        requests.append(LineRequest(product, qty))
    return requests


def place_order(
    session: Session,
    clock: Clock,
    *,
    items: list[dict[str, Any]],
    contact: dict[str, str],
    provider: str,
    user_id: int | None = None,
    buyer_kind: str = "individual",
    organization_id: int | None = None,
    partner_code: str | None = None,
    idempotency: Idempotency | None = None,
) -> tuple[Order, Payment]:
    """Price the cart, hold its stock at a warehouse that has all of it, and write order and payment."""
    if not items:
        raise EmptyOrder("the cart is empty", fields={"lines": "must not be empty"})
    requests = _products(session, items)
    unit = unit_of_member(session, user_id) if user_id is not None and organization_id is None else None
    if unit is not None:  # a signed-in member's own purchase counts toward the unit
        organization_id, buyer_kind = unit.id, unit.buyer_kind
    if organization_id is not None:  # and is credited to the unit's city, whose effort made it
        partner_code = partner_of(unit or get_organization(session, organization_id))
    now = clock.now()
    order = new_order(
        session,
        at=now,
        channel="storefront",
        status="awaiting_payment",
        actor=f"user:{user_id}",
        buyer_kind=buyer_kind,
        user_id=user_id,
        organization_id=organization_id,
        partner_code=partner_code,
        expires_at=now + STOREFRONT_HOLD,
        idempotency=idempotency,
        lines=requests,
    )
    order.details = {"contact": contact}
    session.flush()  # the order row stands before any warehouse's hold, whose failure rolls back only itself
    warehouse = inventory.reserve_at_first_warehouse(
        session,
        clock,
        order_ref=order.id,
        lines=[(r.product.id, r.qty) for r in requests],
        expires_at=order.expires_at,
        prefer_partners=[partner_code] if partner_code else [],
    )
    order.location_id = warehouse.id
    order.partner_code = order.partner_code or warehouse.partner_code
    return order, _shop_payment(session, order, provider, now)


def _shop_payment(session: Session, order: Order, provider: str, at: datetime) -> Payment:
    """A payment of a shop order's whole total, captured when paid, by any of the provider's methods."""
    return new_payment(
        session,
        order,
        provider=provider,
        amount_fen=order.total_fen,
        capture_mode="automatic",
        method="any",
        at=at,
    )


def phone_payment_key(order_id: str) -> str:
    """The idempotency key of an order's phone payment: one per order, whatever the taps."""
    return f"pay-{order_id}-phone"


def scan_payment(session: Session, order_id: str) -> Payment | None:
    """The payment whose QR code the pay page shows: the order's first, not its phone payment."""
    return session.scalar(
        select(Payment)
        .where(Payment.order_id == order_id, Payment.idempotency_key != phone_payment_key(order_id))
        .order_by(Payment.id)
        .limit(1)
    )


def phone_payment(
    db: Database,
    clock: Clock,
    provider: PaymentProvider,
    order_id: str,
    *,
    client_ip: str,
    return_url: str,
) -> str | None:
    """The provider page where a phone pays an order (WeChat H5's h5_url, Alipay's signed wap
    URL), or None when the order waits for no payment any more (or the provider gave no page).

    The phone payment is written once (its key is the order's) and committed before the provider
    is called; each call repeats the same create with the same key, so WeChat answers the same
    order (a fresh h5_url: they last 5 minutes) and Alipay the same trade."""
    with db.unit_of_work() as session:
        order = get_order(session, order_id, lock=True)
        if order.status != "awaiting_payment" or order.channel != "storefront":
            return None
        key = phone_payment_key(order_id)
        payment = session.scalar(select(Payment).where(Payment.idempotency_key == key))
        if payment is None:
            payment = _shop_payment(session, order, provider.name, clock.now())
            payment.idempotency_key = key
            session.flush()
        request = create_request(payment, order)
        request["metadata"] = {**request["metadata"], "payer_client_ip": client_ip}
        request |= {"payment_method": "h5", "return_url": return_url}
        payment_id = payment.id
    answer = open_at_provider(db, clock, provider, payment_id, request)
    return answer.qr_payload
