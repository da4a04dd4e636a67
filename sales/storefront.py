"""Storefront orders: priced by the server, stock held at a warehouse while the shopper pays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalogue.models import Product
from core.clock import Clock
from core.errors import InvalidInput
from inventory import service as inventory
from payments.models import Payment
from sales.errors import EmptyOrder
from sales.lines import merge_lines
from sales.models import Order
from sales.orders import Idempotency, LineRequest, new_order
from sales.organizations import get_organization, partner_of, unit_of_member
from sales.payment_flow import new_payment

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
    payment = new_payment(
        session,
        order,
        provider=provider,
        amount_fen=order.total_fen,
        capture_mode="automatic",
        method="any",
        at=now,
    )
    return order, payment
