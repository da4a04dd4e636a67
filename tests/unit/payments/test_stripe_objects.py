"""Reading Stripe's documented objects into the provider-neutral shapes (no network, no stripe import)."""

from __future__ import annotations

from typing import Any

import pytest

from payments.errors import PaymentProviderError
from payments.providers.stripe_objects import (
    event_from_stripe,
    payment_from_intent,
    refund_from_stripe,
    refunded_of_captured,
)


def intent(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "pi_1",
        "object": "payment_intent",
        "amount": 20000,
        "amount_capturable": 0,
        "amount_received": 0,
        "currency": "cny",
        "status": "requires_payment_method",
        "last_payment_error": None,
        "next_action": None,
        "client_secret": "pi_1_secret_x",
    }
    return {**base, **fields}


def event(obj: dict[str, Any], event_type: str) -> dict[str, Any]:
    return {
        "id": "evt_1",
        "object": "event",
        "created": 1_780_000_000,
        "type": event_type,
        "data": {"object": obj},
    }


@pytest.mark.parametrize(
    ("stripe_status", "error", "status"),
    [
        ("requires_payment_method", None, "requires_payment"),
        ("requires_payment_method", {"code": "card_declined"}, "failed"),
        ("requires_confirmation", None, "requires_payment"),
        ("requires_action", None, "requires_payment"),
        ("processing", None, "requires_payment"),
        ("requires_capture", None, "requires_capture"),
        ("succeeded", None, "succeeded"),
        ("canceled", None, "canceled"),
    ],
)
def test_intent_statuses_are_normalised(stripe_status: str, error: dict | None, status: str) -> None:
    assert payment_from_intent(intent(status=stripe_status, last_payment_error=error)).status == status


def test_unknown_status_or_foreign_currency_is_an_error() -> None:
    with pytest.raises(PaymentProviderError):
        payment_from_intent(intent(status="exploded"))
    with pytest.raises(PaymentProviderError) as foreign:
        payment_from_intent(intent(currency="usd"))
    assert foreign.value.code == "unexpected_currency"


@pytest.mark.parametrize(
    ("stripe_status", "status"),
    [("succeeded", "succeeded"), ("pending", "pending"), ("requires_action", "pending"), ("failed", "failed"),
     ("canceled", "failed")],
)  # fmt: skip
def test_refund_statuses_are_normalised(stripe_status: str, status: str) -> None:
    refund = refund_from_stripe(
        {"id": "re_1", "payment_intent": "pi_1", "amount": 2990, "status": stripe_status}
    )
    assert (refund.status, refund.amount_fen, refund.payment_ref) == (status, 2990, "pi_1")


DECLINED = {"last_payment_error": {"code": "card_declined"}}


@pytest.mark.parametrize(
    ("event_type", "fields", "normalised", "status"),
    [
        ("payment_intent.succeeded", {"status": "succeeded"}, "payment_succeeded", "succeeded"),
        ("payment_intent.amount_capturable_updated", {"status": "requires_capture"}, "payment_authorized",
         "requires_capture"),
        ("payment_intent.payment_failed", DECLINED, "payment_failed", "failed"),
        ("payment_intent.canceled", {"status": "canceled"}, "payment_canceled", "canceled"),
        ("payment_intent.created", {}, "ignored", None),
        ("payment_intent.succeeded", {"status": "succeeded", "currency": "usd"}, "ignored", None),
    ],
)  # fmt: skip
def test_intent_events_are_normalised(
    event_type: str, fields: dict, normalised: str, status: str | None
) -> None:
    result = event_from_stripe(event(intent(**fields), event_type))

    assert (result.type, result.status, result.provider_ref) == (normalised, status, "pi_1")
    assert result.created.isoformat() == "2026-05-28T20:26:40+00:00"


def charge(**fields: Any) -> dict[str, Any]:
    base = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "currency": "cny", "amount": 20000}
    return {**base, **fields}


@pytest.mark.parametrize(
    ("fields", "refunded"),
    [
        ({"captured": True, "amount_captured": 20000, "amount_refunded": 2990}, 2990),
        # captured 5980 of a 20000 hold: Stripe shows the released 14020 as refunded
        ({"captured": True, "amount_captured": 5980, "amount_refunded": 14020}, 0),
        ({"captured": True, "amount_captured": 5980, "amount_refunded": 14020 + 2990}, 2990),
        # a hold released without capture
        ({"captured": False, "amount_captured": 0, "amount_refunded": 20000}, 0),
    ],
)
def test_refunded_counts_only_captured_money(fields: dict, refunded: int) -> None:
    assert refunded_of_captured(charge(**fields)) == refunded


def test_charge_refunded_event_reports_the_refunded_captured_amount() -> None:
    obj = charge(captured=True, amount_captured=5980, amount_refunded=14020 + 2990)

    result = event_from_stripe(event(obj, "charge.refunded"))

    assert (result.type, result.provider_ref) == ("payment_refunded", "pi_1")
    assert (result.amount_received_fen, result.amount_refunded_fen) == (5980, 2990)


def test_release_of_a_hold_is_not_a_refund_event() -> None:
    obj = charge(captured=False, amount_captured=0, amount_refunded=20000)
    assert event_from_stripe(event(obj, "charge.refunded")).type == "ignored"


def test_qr_payloads_come_from_the_documented_next_actions() -> None:
    wechat = {
        "type": "wechat_pay_display_qr_code",
        "wechat_pay_display_qr_code": {"data": "weixin://wxpay/x"},
    }
    alipay = {
        "type": "alipay_handle_redirect",
        "alipay_handle_redirect": {"url": "https://hooks.stripe.com/a"},
    }
    sdk = {"type": "use_stripe_sdk", "use_stripe_sdk": {}}

    assert (
        payment_from_intent(intent(status="requires_action", next_action=wechat)).qr_payload
        == "weixin://wxpay/x"
    )
    assert payment_from_intent(intent(status="requires_action", next_action=alipay)).qr_payload == (
        "https://hooks.stripe.com/a"
    )
    assert payment_from_intent(intent(status="requires_action", next_action=sdk)).qr_payload is None
