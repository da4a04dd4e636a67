"""Storefront orders: place one, and read it back (its owner only)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from sqlalchemy.exc import IntegrityError

from core.errors import NotFound
from core.money import format_fen
from kiosk_api.auth.http import current_user
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.blueprints.kiosk_device import rfc3339
from kiosk_api.database import get_clock, get_db
from kiosk_api.limits import limit
from kiosk_api.pay_tokens import token_matches
from kiosk_api.payments_ext import get_provider
from kiosk_api.schemas.orders import OrderIn, OrderOut, OrderQuery
from sales.models import Order
from sales.orders import Idempotency, find_by_idempotency, get_order, request_hash
from sales.payment_flow import payment_of, start_payment
from sales.storefront import place_order

orders = Blueprint(
    "orders", __name__, url_prefix="/api/v1/orders", description="网上商城订单 · Storefront orders"
)


def order_view(session: Any, order: Order) -> dict[str, Any]:
    """An order as its owner sees it."""
    base = current_app.config["PUBLIC_BASE_URL"]
    payment = payment_of(session, order.id)
    return {
        "order_id": order.id,
        "channel": order.channel,
        "status": order.status,
        "total_fen": order.total_fen,
        "total": format_fen(order.total_fen),
        "captured_fen": order.captured_fen,
        "refunded_fen": order.refunded_fen,
        "expires_at": rfc3339(order.expires_at),
        "lines": [
            {
                "product": line.product_id,
                "sku": line.sku,
                "name": {"zh": line.name_zh, "en": line.name_en},
                "county": line.county_code,
                "qty": line.qty,
                "unit_price_fen": line.unit_price_fen,
                "line_total_fen": line.line_total_fen,
                "refunded_qty": line.refunded_qty,
                "refunded_fen": line.refunded_fen,
            }
            for line in order.lines
        ],
        "payment": None
        if payment is None
        else {
            "provider": payment.provider,
            "status": payment.status,
            "pay_url": f"{base}/pay/{order.pay_token}",
            "qr_payload": payment.qr_payload,
            "client_secret": payment.client_secret,
        },
        "events": [
            {"from": e.from_status, "to": e.to_status, "at": rfc3339(e.at), "reason": e.reason}
            for e in order.events
        ],
        "link": f"{base}/api/v1/orders/{order.id}?token={order.pay_token}",
    }


@orders.route("", methods=["POST"])
@limit("orders")
@orders.arguments(OrderIn)
@orders.response(201, OrderOut)
def create_order(body: dict[str, Any]) -> Any:
    """Place a storefront order; the server prices it and holds the stock for 15 minutes."""
    db, clock, provider = get_db(), get_clock(), get_provider()
    user = current_user()
    key = request.headers.get("Idempotency-Key")
    scope = f"user:{user.id}" if user else f"anonymous:{request.remote_addr}"
    idem = Idempotency(scope, key, request_hash(body)) if key else None
    try:
        with db.unit_of_work() as session:
            existing = find_by_idempotency(session, idem) if idem else None
            if existing is not None:
                return order_view(session, existing), 201
            order, payment = place_order(
                session,
                clock,
                items=body["lines"],
                contact=body["contact"],
                provider=provider.name,
                user_id=user.id if user else None,
                idempotency=idem,
            )
            session.flush()  # ids are needed after commit
            order_id, payment_id = order.id, payment.id
    except IntegrityError:
        # The same key arrived twice at once: the other request created the order.
        with db.unit_of_work() as session:
            existing = find_by_idempotency(session, idem) if idem else None
            if existing is None:
                raise
            return order_view(session, existing), 201
    start_payment(db, clock, provider, payment_id, description="dongxi storefront")
    with db.unit_of_work() as session:
        return order_view(session, get_order(session, order_id)), 201


@orders.route("/<string:order_id>")
@orders.arguments(OrderQuery, location="query")
@orders.response(200, OrderOut)
def read_order(args: dict[str, Any], order_id: str) -> Any:
    """An order, to its owner: the signed-in buyer, or whoever holds its secret link."""
    with get_db().unit_of_work() as session:
        try:
            order = get_order(session, order_id)
        except NotFound:
            order = None
        user = current_user()
        owner = order is not None and (
            (user is not None and order.user_id == user.id)
            or token_matches(args.get("token"), order.pay_token)
        )
        if not owner:
            raise NotFound("no such order", code="order_not_found")
        return order_view(session, order)
