"""Reading Stripe's JSON objects (PaymentIntent, Refund, Event) into the provider-neutral dataclasses.

Pure functions over plain dicts, so they read an API response and a webhook body alike.
Field names follow Stripe's API reference: https://docs.stripe.com/api/payment_intents/object
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from payments.errors import PaymentProviderError
from payments.providers.base import (
    EventType,
    PaymentStatus,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
    RefundStatus,
)

STRIPE_CURRENCY = "cny"

_INTENT_STATUSES: dict[str, PaymentStatus] = {
    "requires_payment_method": "requires_payment",
    "requires_confirmation": "requires_payment",
    "requires_action": "requires_payment",  # the shopper still has to scan or authenticate
    "processing": "requires_payment",  # submitted, not yet settled: not money yet
    "requires_capture": "requires_capture",
    "succeeded": "succeeded",
    "canceled": "canceled",
}

_REFUND_STATUSES: dict[str, RefundStatus] = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    "failed": "failed",
    "canceled": "failed",
}

# Events about one Refund object: its status moved (pending → succeeded, failed or canceled).
_REFUND_EVENTS = ("charge.refund.updated", "refund.updated", "refund.failed")

_INTENT_EVENTS: dict[str, EventType] = {
    "payment_intent.succeeded": "payment_succeeded",
    "payment_intent.amount_capturable_updated": "payment_authorized",
    "payment_intent.payment_failed": "payment_failed",
    "payment_intent.canceled": "payment_canceled",
}


def payment_status(intent: Mapping[str, Any]) -> PaymentStatus:
    """Normalise a PaymentIntent's status; a declined attempt leaves requires_payment_method plus an error."""
    status = intent["status"]
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        return "failed"
    try:
        return _INTENT_STATUSES[status]
    except KeyError:
        raise PaymentProviderError(f"unknown PaymentIntent status {status!r}") from None


def qr_payload(intent: Mapping[str, Any]) -> str | None:
    """Return what a kiosk shows as a QR code for this PaymentIntent's next action, if any.

    WeChat Pay gives the QR data itself; Alipay gives a page that forwards a phone to Alipay, which
    works as QR content because the shopper scans it with the phone that pays.
    """
    action = intent.get("next_action") or {}
    if action.get("type") == "wechat_pay_display_qr_code":
        return str(action["wechat_pay_display_qr_code"]["data"])
    if action.get("type") == "alipay_handle_redirect":
        return str(action["alipay_handle_redirect"]["url"])
    return None


def payment_from_intent(intent: Mapping[str, Any]) -> ProviderPayment:
    """Read a PaymentIntent (as a plain dict) into a ProviderPayment."""
    if str(intent.get("currency", "")).lower() != STRIPE_CURRENCY:
        raise PaymentProviderError(
            f"PaymentIntent {intent.get('id')} is in {intent.get('currency')!r}, not CNY",
            code="unexpected_currency",
        )
    return ProviderPayment(
        provider_ref=str(intent["id"]),
        status=payment_status(intent),
        amount_fen=int(intent["amount"]),
        amount_capturable_fen=int(intent["amount_capturable"]),
        amount_received_fen=int(intent["amount_received"]),
        qr_payload=qr_payload(intent),
        client_secret=intent.get("client_secret"),
        raw=dict(intent),
    )


def refund_from_stripe(refund: Mapping[str, Any]) -> ProviderRefund:
    """Read a Refund (as a plain dict) into a ProviderRefund."""
    try:
        status = _REFUND_STATUSES[refund["status"]]
    except KeyError:
        raise PaymentProviderError(f"unknown Refund status {refund.get('status')!r}") from None
    return ProviderRefund(
        provider_ref=str(refund["id"]),
        payment_ref=str(refund.get("payment_intent") or ""),
        status=status,
        amount_fen=int(refund["amount"]),
        raw=dict(refund),
    )


def refunded_of_captured(charge: Mapping[str, Any]) -> int:
    """Return how much captured money a Charge gave back.

    Stripe counts the uncaptured rest of a partial capture, and a whole released hold, in the
    Charge's amount_refunded although no captured money moved; that part is taken out here.
    """
    amount = int(charge["amount"])
    captured = int(charge.get("amount_captured", amount if charge.get("captured") else 0))
    released = amount - captured
    return max(int(charge.get("amount_refunded", 0)) - released, 0)


def event_from_stripe(event: Mapping[str, Any]) -> ProviderEvent:
    """Normalise a verified Stripe Event (as a plain dict); events orders need not act on become `ignored`."""
    obj: Mapping[str, Any] = event["data"]["object"]
    stripe_type = str(event["type"])
    base = {
        "event_id": str(event["id"]),
        "provider_type": stripe_type,
        "created": datetime.fromtimestamp(int(event["created"]), UTC),
        "raw": dict(event),
    }
    in_cny = str(obj.get("currency", "")).lower() == STRIPE_CURRENCY
    kind = obj.get("object")
    if kind == "payment_intent" and stripe_type in _INTENT_EVENTS and in_cny:
        payment = payment_from_intent(obj)
        event_type = _INTENT_EVENTS[stripe_type]
        return ProviderEvent(
            type=event_type,
            provider_ref=payment.provider_ref,
            status="failed" if event_type == "payment_failed" else payment.status,
            amount_fen=payment.amount_fen,
            amount_capturable_fen=payment.amount_capturable_fen,
            amount_received_fen=payment.amount_received_fen,
            amount_refunded_fen=None,
            **base,
        )
    if kind == "charge" and stripe_type == "charge.refunded" and in_cny and obj.get("payment_intent"):
        refunded = refunded_of_captured(obj)
        return ProviderEvent(
            type="payment_refunded" if refunded else "ignored",
            provider_ref=str(obj["payment_intent"]),
            status=None,
            amount_fen=int(obj["amount"]),
            amount_capturable_fen=0,
            amount_received_fen=int(obj.get("amount_captured", 0)),
            amount_refunded_fen=refunded,
            **base,
        )
    if kind == "refund" and stripe_type in _REFUND_EVENTS and in_cny and obj.get("payment_intent"):
        refund = refund_from_stripe(obj)
        return ProviderEvent(
            type="refund_updated",
            provider_ref=refund.payment_ref,
            status=None,
            amount_fen=None,
            amount_capturable_fen=None,
            amount_received_fen=None,
            amount_refunded_fen=None,
            refund=refund,
            **base,
        )
    ref = obj.get("payment_intent") if kind != "payment_intent" else obj.get("id")
    return ProviderEvent(
        type="ignored",
        provider_ref=str(ref) if ref else None,
        status=None,
        amount_fen=None,
        amount_capturable_fen=None,
        amount_received_fen=None,
        amount_refunded_fen=None,
        **base,
    )
