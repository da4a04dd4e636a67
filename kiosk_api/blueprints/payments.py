"""Provider webhooks and the simulated provider's pay button for scripts."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from marshmallow import Schema, fields

from core.errors import DomainError, NotFound
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import get_clock, request_unit_of_work
from kiosk_api.errors import status_for
from kiosk_api.limits import limit
from kiosk_api.pay_tokens import order_for_pay_token
from kiosk_api.payments_ext import get_provider, simulation_allowed
from payments.errors import PaymentNotFound
from sales.models import Order
from sales.payment_flow import payment_of, receive_event

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
@payments.alt_response(404, description="not_found: Stripe is not the configured provider")
def stripe_webhook() -> Any:
    """Receive a signed Stripe event; each event id is applied once, in any order."""
    provider = get_provider()
    if provider.name != "stripe":
        raise NotFound("Stripe is not the configured provider", code="not_found")
    event = provider.parse_webhook(request.get_data(), dict(request.headers))
    received = receive_event(request_unit_of_work(), get_clock(), provider, event)
    return {"received": True, "duplicate": not received.new}


@payments.route("/payments/wechatpay/webhook", methods=["POST"])
@payments.doc(
    responses={
        "200": {"description": '{"code": "SUCCESS"}: received (a duplicate too); WeChat Pay stops retrying'},
        "400": {
            "description": '{"code": "FAIL"}: bad signature, stale, or not decryptable; nothing recorded'
        },
        "404": {"description": "WeChat Pay is not the configured provider"},
    }
)
def wechatpay_webhook() -> Any:
    """Receive a signed WeChat Pay notification; each id is applied once, in any order."""
    return acknowledged_webhook("wechatpay")


def acknowledged_webhook(provider_name: str) -> Response:
    """Verify and apply a notification of a provider that answers in its own format (webhook_ack and
    webhook_refusal of the provider): WeChat Pay wants {"code": "SUCCESS"} or {"code": "FAIL", …},
    Alipay the plain text `success` (anything else, `fail` here, makes it retry)."""
    provider: Any = get_provider()
    if provider.name != provider_name:
        raise NotFound(f"{provider_name} is not the configured provider", code="not_found")
    try:
        event = provider.parse_webhook(request.get_data(), dict(request.headers))
        received = receive_event(request_unit_of_work(), get_clock(), provider, event)
    except DomainError as error:
        body, status = provider.webhook_refusal(error.message, status_for(error))
    else:
        body, status = provider.webhook_ack(duplicate=not received.new)
    if isinstance(body, str):
        return Response(body, status=status, mimetype="text/plain")
    response = jsonify(body)
    response.status_code = status
    return response


def simulate_payment(token: str) -> Order | None:
    """Pay (or authorize, for an open-door hold) the payment behind a pay link; return its order."""
    if not simulation_allowed():
        # Refused outright (a 404, as if the route did not exist) unless the simulated provider is
        # configured and the server is not in production mode.
        raise NotFound("only the simulated provider can be paid from here", code="not_found")
    provider = get_provider()
    uow, clock = request_unit_of_work(), get_clock()
    # The provider's own step comes first, before this request's session opens (on SQLite that
    # session holds the write lock, which the provider's store would wait on).
    try:
        event = provider.simulate_pay_token(token)
    except PaymentNotFound:
        # A storefront pay link carries the order's own token: pay that order's latest payment.
        with uow.then() as session:
            order = order_for_pay_token(session, provider.name, token, None)
            ref = payment_of(session, order.id).provider_ref
        if ref is None:
            raise NotFound("this payment link is not valid yet", code="pay_link_not_found") from None
        event = provider.simulate_pay(ref)
    return receive_event(uow, clock, provider, event).order


@payments.route("/pay/<string:token>/simulate", methods=["POST"])
@limit("pay", "pay_link")
@payments.response(200, SimulateOut)
def simulate(token: str) -> Any:
    """Simulated provider only: pay (vend, storefront) or authorize (open door) from a script."""
    order = simulate_payment(token)
    if order is None:
        raise NotFound("this payment link is not valid", code="pay_link_not_found")
    return {"order_id": order.id, "status": order.status}


@payments.route("/payments/alipay/notify", methods=["POST"])
@payments.doc(
    responses={
        "200": {"description": "text/plain `success`: received (a duplicate too); Alipay stops retrying"},
        "400": {"description": "text/plain `fail`: bad signature, another app, or stale; nothing recorded"},
        "404": {"description": "Alipay is not the configured provider"},
    }
)
def alipay_notify() -> Any:
    """Receive a signed Alipay notification (a form POST); each notify_id is applied once, in any order."""
    return acknowledged_webhook("alipay")
