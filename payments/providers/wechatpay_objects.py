"""Reading WeChat Pay API v3 JSON (transaction, refund, notification) into the provider-neutral dataclasses.

Pure functions over plain dicts, so they read an API answer and a decrypted notification alike.
Our provider_ref of a payment is its `out_trade_no`, of a refund its `out_refund_no`: those are
what every query takes, and they exist before the shopper pays (transaction_id does not).
Fields: https://pay.weixin.qq.com/doc/v3/merchant/4012791880 (查询订单), 4012791862 (查询退款).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from payments.errors import PaymentProviderError
from payments.providers.base import (
    PaymentStatus,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
    RefundStatus,
)

WECHAT_CURRENCY = "CNY"

_TRADE_STATES: dict[str, PaymentStatus] = {
    "NOTPAY": "requires_payment",
    "USERPAYING": "requires_payment",  # the shopper is entering a password: not money yet
    "SUCCESS": "succeeded",
    "REFUND": "succeeded",  # paid, then (partly) refunded: the capture stands
    "CLOSED": "canceled",
    "REVOKED": "canceled",
    "PAYERROR": "failed",
}

_REFUND_STATES: dict[str, RefundStatus] = {
    "SUCCESS": "succeeded",
    "PROCESSING": "pending",
    # ABNORMAL: the shopper's bank card refused the money; an operator resends it (abnormal refund)
    # in the merchant platform, so for us the refund failed.
    "ABNORMAL": "failed",
    "CLOSED": "failed",
}

REFUND_EVENTS = ("REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED")


def _amount(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    amount = obj.get("amount") or {}
    currency = amount.get("currency") or WECHAT_CURRENCY
    if currency != WECHAT_CURRENCY:
        raise PaymentProviderError(f"WeChat Pay amount in {currency!r}, not CNY", code="unexpected_currency")
    return amount


def payment_from_transaction(transaction: Mapping[str, Any]) -> ProviderPayment:
    """Read a transaction (query answer or TRANSACTION.* resource) into a ProviderPayment."""
    state = str(transaction.get("trade_state", ""))
    try:
        status = _TRADE_STATES[state]
    except KeyError:
        raise PaymentProviderError(f"unknown WeChat Pay trade_state {state!r}") from None
    total = int(_amount(transaction)["total"])
    return ProviderPayment(
        provider_ref=str(transaction["out_trade_no"]),
        status=status,
        amount_fen=total,
        amount_capturable_fen=0,  # WeChat Pay holds nothing for later: a payment is captured or not
        amount_received_fen=total if status == "succeeded" else 0,
        raw=dict(transaction),
    )


def refund_from_wechat(refund: Mapping[str, Any]) -> ProviderRefund:
    """Read a refund (create/query answer, or REFUND.* resource) into a ProviderRefund."""
    state = str(refund.get("status") or refund.get("refund_status") or "")
    try:
        status = _REFUND_STATES[state]
    except KeyError:
        raise PaymentProviderError(f"unknown WeChat Pay refund status {state!r}") from None
    return ProviderRefund(
        provider_ref=str(refund["out_refund_no"]),
        payment_ref=str(refund.get("out_trade_no") or ""),
        status=status,
        amount_fen=int(_amount(refund)["refund"]),
        raw=dict(refund),
    )


def parse_time(value: str) -> datetime:
    """Read WeChat Pay's RFC 3339 time (2018-06-08T10:34:56+08:00) as an aware datetime."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def event_from_notification(notification: Mapping[str, Any]) -> ProviderEvent:
    """Normalise a verified notification whose resource is already decrypted."""
    event_type = str(notification["event_type"])
    resource: Mapping[str, Any] = notification["resource"]
    base = {
        "event_id": str(notification["id"]),
        "provider_type": event_type,
        "created": parse_time(str(notification["create_time"])),
        "raw": dict(notification),
    }
    if event_type.startswith("TRANSACTION.") and "trade_state" in resource:
        payment = payment_from_transaction(resource)
        if payment.status in ("succeeded", "canceled", "failed"):
            kind = {"succeeded": "payment_succeeded", "canceled": "payment_canceled"}.get(
                payment.status, "payment_failed"
            )
            return ProviderEvent(
                type=kind,  # type: ignore[arg-type]
                provider_ref=payment.provider_ref,
                status=payment.status,
                amount_fen=payment.amount_fen,
                amount_capturable_fen=0,
                amount_received_fen=payment.amount_received_fen,
                amount_refunded_fen=None,
                **base,
            )
    if event_type in REFUND_EVENTS and "out_refund_no" in resource:
        refund = refund_from_wechat(resource)
        return ProviderEvent(
            type="refund_updated",
            provider_ref=refund.payment_ref or None,
            status=None,
            amount_fen=None,
            amount_capturable_fen=None,
            amount_received_fen=None,
            amount_refunded_fen=None,
            refund=refund,
            refund_is_its_own_record=True,  # a merchant-platform refund sends nothing else
            **base,
        )
    ref = resource.get("out_trade_no")
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
