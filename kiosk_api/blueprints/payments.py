"""Provider webhooks and the simulated provider's pay button for scripts."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, fields
from sqlalchemy import select

from core.errors import NotFound
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import get_clock, get_db
from kiosk_api.pay_tokens import order_for_pay_token, provider_ref_for_token
from kiosk_api.payments_ext import get_provider, settle_after_commit
from payments.models import Payment
from payments.providers.simulated import SimulatedProvider
from sales.orders import get_order
from sales.payment_flow import apply_event, payment_of

payments = Blueprint("payments", __name__, url_prefix="/api/v1", description="支付 · Payments")


class WebhookOut(Schema):
    received = fields.Boolean()
    duplicate = fields.Boolean()


class SimulateOut(Schema):
    order_id = fields.String()
    status = fields.String()


@payments.route("/payments/stripe/webhook", methods=["POST"])
@payments.response(200, WebhookOut)
@payments.alt_response(400, description="Bad or stale Stripe-Signature: nothing is recorded")
def stripe_webhook() -> Any:
    """Receive a signed Stripe event; each event id is applied once, in any order."""
    provider = get_provider()
    if provider.name != "stripe":
        raise NotFound("Stripe is not the configured provider", code="not_found")
    event = provider.parse_webhook(request.get_data(), dict(request.headers))
    with get_db().unit_of_work() as session:
        applied = apply_event(session, get_clock(), provider.name, event)
        order_id = (
            session.scalar(
                select(Payment.order_id).where(
                    Payment.provider == provider.name, Payment.provider_ref == event.provider_ref
                )
            )
            if event.provider_ref
            else None
        )
    if order_id:
        settle_after_commit(order_id)
    return {"received": True, "duplicate": not applied}


def simulate_payment(token: str) -> str:
    """Pay (or authorize, for an open-door hold) the order behind a pay token; return its order id."""
    provider = get_provider()
    if not isinstance(provider, SimulatedProvider):
        raise NotFound("only the simulated provider can be paid from here", code="not_found")
    db, clock = get_db(), get_clock()
    ref = provider_ref_for_token(provider, token)  # the provider's store is not called inside our sessions
    with db.unit_of_work() as session:
        order = order_for_pay_token(session, provider.name, token, ref)
        payment = payment_of(session, order.id)
        ref, order_id = payment.provider_ref, order.id
    event = provider.simulate_pay(ref)  # a manual-capture payment is only held, as a card hold would be
    with db.unit_of_work() as session:
        apply_event(session, clock, provider.name, event)
    settle_after_commit(order_id)
    return order_id


@payments.route("/pay/<string:token>/simulate", methods=["POST"])
@payments.response(200, SimulateOut)
def simulate(token: str) -> Any:
    """Simulated provider only: pay (vend, storefront) or authorize (open door) from a script."""
    order_id = simulate_payment(token)
    with get_db().unit_of_work() as session:
        order = get_order(session, order_id)
        return {"order_id": order.id, "status": order.status}
