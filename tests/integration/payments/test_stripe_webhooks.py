"""Stripe webhooks: signatures verified by the library's own construct_event, tolerance 300 s.

Payloads are signed with the library's scheme (`stripe.WebhookSignature`), which the first test
checks against Stripe's documented recipe, and one test receives a webhook localstripe itself
signed and delivered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC
from typing import Any

import pytest
import stripe

from core.errors import InvalidInput
from payments.errors import WebhookSignatureError
from payments.providers.stripe_provider import StripeProvider
from tests.integration.payments.conftest import SECRET_KEY, WEBHOOK_SECRET
from tests.integration.payments.harness import WebhookReceiver


def _event_body(obj: dict[str, Any], event_type: str, event_id: str = "evt_1Test") -> bytes:
    """An Event in Stripe's documented envelope around obj."""
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    return json.dumps(event).encode()


def _signed(payload: bytes, *, secret: str = WEBHOOK_SECRET, age_seconds: int = 0) -> dict[str, str]:
    """Headers Stripe would send, signed with the library's own scheme."""
    at = int(time.time()) - age_seconds
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp=at)
    return {"Content-Type": "application/json", "Stripe-Signature": header}


def _localstripe_intent(provider: StripeProvider, localstripe_url: str, key: str) -> dict[str, Any]:
    """A PaymentIntent as localstripe serialises it, after a card payment through the provider."""
    payment = provider.create_payment(
        reference=key,
        amount_fen=8970,
        method="card",
        capture="automatic",
        idempotency_key=f"{key}:create",
        payment_method="pm_card_visa",
    )
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0)
    return client.v1.payment_intents.retrieve(payment.provider_ref).to_dict()


def test_library_signature_is_stripes_documented_scheme() -> None:
    payload = b'{"id": "evt_1", "object": "event"}'
    at = 1_780_000_000
    expected = hmac.new(WEBHOOK_SECRET.encode(), f"{at}.{payload.decode()}".encode(), hashlib.sha256)

    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), WEBHOOK_SECRET, timestamp=at)

    assert header == f"t={at},v1={expected.hexdigest()}"


def test_signed_event_is_verified_and_normalised(provider: StripeProvider, localstripe_url: str) -> None:
    intent = _localstripe_intent(provider, localstripe_url, "hook-ok")
    payload = _event_body(intent, "payment_intent.succeeded", "evt_1Ok")

    event = provider.parse_webhook(payload, _signed(payload))

    assert (event.event_id, event.type, event.provider_type) == (
        "evt_1Ok",
        "payment_succeeded",
        "payment_intent.succeeded",
    )
    assert (event.provider_ref, event.status) == (intent["id"], "succeeded")
    assert (event.amount_fen, event.amount_received_fen) == (8970, 8970)
    assert event.created.tzinfo is UTC


def test_header_name_is_matched_whatever_its_case(provider: StripeProvider) -> None:
    payload = _event_body({"id": "cus_1", "object": "customer"}, "customer.created")
    headers = {k.lower(): v for k, v in _signed(payload).items()}

    assert provider.parse_webhook(payload, headers).type == "ignored"


def test_webhook_signed_and_delivered_by_localstripe_is_verified(
    provider: StripeProvider, localstripe_url: str, localstripe_webhooks: WebhookReceiver
) -> None:
    intent = _localstripe_intent(provider, localstripe_url, "hook-delivered")

    body, headers = localstripe_webhooks.wait_for(
        lambda event: (
            event["type"] == "payment_intent.succeeded" and event["data"]["object"]["id"] == intent["id"]
        )
    )
    event = provider.parse_webhook(body, headers)

    assert (event.type, event.provider_ref, event.amount_received_fen) == (
        "payment_succeeded",
        intent["id"],
        8970,
    )


def _tampered(payload: bytes) -> tuple[bytes, dict[str, str]]:
    return payload.replace(b"8970", b"8971"), _signed(payload)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(_tampered, id="tampered-body"),
        pytest.param(lambda p: (p, _signed(p, secret="whsec_someone_else")), id="wrong-secret"),
        pytest.param(lambda p: (p, _signed(p, age_seconds=301)), id="older-than-300s"),
        pytest.param(lambda p: (p, {"Content-Type": "application/json"}), id="no-signature"),
        pytest.param(lambda p: (p, {"Stripe-Signature": "garbage"}), id="malformed-signature"),
        pytest.param(lambda p: (b"\xff" + p, _signed(p)), id="not-utf8"),
    ],
)
def test_forged_or_stale_webhooks_are_refused(provider: StripeProvider, forge: Any) -> None:
    intent = {
        "id": "pi_1Forged",
        "object": "payment_intent",
        "amount": 8970,
        "amount_capturable": 0,
        "amount_received": 8970,
        "currency": "cny",
        "status": "succeeded",
        "next_action": None,
    }
    payload, headers = forge(_event_body(intent, "payment_intent.succeeded"))

    with pytest.raises(WebhookSignatureError) as refused:
        provider.parse_webhook(payload, headers)
    assert refused.value.code == "webhook_signature_invalid"


def test_signature_within_the_tolerance_is_accepted(provider: StripeProvider) -> None:
    payload = _event_body({"id": "cus_1", "object": "customer"}, "customer.created")

    assert provider.parse_webhook(payload, _signed(payload, age_seconds=290)).event_id == "evt_1Test"


def test_genuine_body_that_is_not_an_event_is_invalid_input(provider: StripeProvider) -> None:
    payload = b'{"hello": "world"}'

    with pytest.raises(InvalidInput):
        provider.parse_webhook(payload, _signed(payload))
