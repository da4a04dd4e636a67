"""The Stripe provider, through the real stripe library, against a real localstripe server."""

from __future__ import annotations

import pytest
import stripe

from payments.errors import PaymentDeclined, PaymentNotFound
from payments.providers.stripe_provider import StripeProvider
from tests.integration.payments.conftest import SECRET_KEY
from tests.integration.payments.harness import RecordingHTTPClient


def _charge(localstripe_url: str, provider_ref: str) -> dict:
    """localstripe's own record of the PaymentIntent's charge, read past the provider."""
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0)
    intent = client.v1.payment_intents.retrieve(provider_ref).to_dict()
    return intent["latest_charge"]


def _pay_by_card(provider: StripeProvider, amount_fen: int, key: str, capture: str = "automatic"):
    return provider.create_payment(
        reference=f"order-{key}",
        amount_fen=amount_fen,
        method="card",
        capture=capture,  # type: ignore[arg-type]
        idempotency_key=f"{key}:create",
        description="Xiji potatoes 5kg ×3",
        metadata={"order_id": key},
        payment_method="pm_card_visa",
    )


def test_card_payment_is_created_and_confirmed_in_cny(provider: StripeProvider) -> None:
    payment = _pay_by_card(provider, 8970, "card-ok")

    assert payment.provider_ref.startswith("pi_")
    assert payment.status == "succeeded"
    assert (payment.amount_fen, payment.amount_received_fen, payment.amount_capturable_fen) == (8970, 8970, 0)
    assert payment.raw["currency"] == "cny"
    assert payment.raw["metadata"] == {"order_id": "card-ok", "reference": "order-card-ok"}
    again = provider.get_payment(payment.provider_ref)
    assert (again.status, again.amount_received_fen) == ("succeeded", 8970)


def test_card_payment_without_a_payment_method_waits_with_a_client_secret(provider: StripeProvider) -> None:
    payment = provider.create_payment(
        reference="order-pending",
        amount_fen=2990,
        method="card",
        capture="automatic",
        idempotency_key="pending:create",
    )

    assert payment.status == "requires_payment"
    assert payment.client_secret and payment.client_secret.startswith(payment.provider_ref)
    assert payment.qr_payload is None
    assert payment.amount_received_fen == 0


def test_partial_then_full_refund(provider: StripeProvider, localstripe_url: str) -> None:
    payment = _pay_by_card(provider, 8970, "refunds")

    first = provider.refund(
        payment.provider_ref, amount_fen=2990, idempotency_key="refunds:r1", reason="vend failed: motor_jam"
    )
    rest = provider.refund(
        payment.provider_ref, amount_fen=5980, idempotency_key="refunds:r2", reason="return"
    )

    assert (first.status, first.amount_fen, first.payment_ref) == ("succeeded", 2990, payment.provider_ref)
    assert (rest.status, rest.amount_fen) == ("succeeded", 5980)
    assert first.provider_ref != rest.provider_ref
    assert first.raw["metadata"] == {"reason": "vend failed: motor_jam"}
    charge = _charge(localstripe_url, payment.provider_ref)
    assert (charge["amount_refunded"], charge["refunded"]) == (8970, True)


def test_a_refund_is_fetched_again_by_its_reference(provider: StripeProvider) -> None:
    payment = _pay_by_card(provider, 2990, "refund-fetch")
    made = provider.refund(payment.provider_ref, amount_fen=1000, idempotency_key="fetch:r1", reason="x")

    fetched = provider.get_refund(made.provider_ref)

    assert (fetched.provider_ref, fetched.payment_ref, fetched.status, fetched.amount_fen) == (
        made.provider_ref,
        payment.provider_ref,
        "succeeded",
        1000,
    )


def test_hold_is_captured_for_a_smaller_amount(provider: StripeProvider, localstripe_url: str) -> None:
    held = _pay_by_card(provider, 20000, "door", capture="manual")
    assert (held.status, held.amount_capturable_fen, held.amount_received_fen) == (
        "requires_capture",
        20000,
        0,
    )

    captured = provider.capture(held.provider_ref, amount_fen=5980, idempotency_key="door:capture")

    assert captured.status == "succeeded"
    assert (captured.amount_received_fen, captured.amount_capturable_fen) == (5980, 0)
    # localstripe's own record agrees: the charge was captured and the rest of the hold released.
    charge = _charge(localstripe_url, held.provider_ref)
    assert charge["captured"] is True
    assert charge["amount"] - charge["amount_refunded"] == 5980


def test_hold_is_cancelled(provider: StripeProvider) -> None:
    held = _pay_by_card(provider, 20000, "walkaway", capture="manual")

    released = provider.cancel(held.provider_ref, idempotency_key="walkaway:cancel")

    assert (released.status, released.amount_capturable_fen, released.amount_received_fen) == (
        "canceled",
        0,
        0,
    )
    assert provider.get_payment(held.provider_ref).status == "canceled"


def test_declined_card_raises_payment_declined(provider: StripeProvider) -> None:
    with pytest.raises(PaymentDeclined):
        provider.create_payment(
            reference="order-declined",
            amount_fen=1000,
            method="card",
            capture="automatic",
            idempotency_key="declined:create",
            payment_method="pm_card_chargeCustomerFail",
        )


def test_unknown_payment_raises_payment_not_found(provider: StripeProvider) -> None:
    with pytest.raises(PaymentNotFound):
        provider.get_payment("pi_doesnotexist")


def test_every_mutating_call_sends_the_callers_idempotency_key(
    provider: StripeProvider, recorder: RecordingHTTPClient
) -> None:
    held = _pay_by_card(provider, 20000, "keys-a", capture="manual")
    provider.capture(held.provider_ref, amount_fen=100, idempotency_key="keys-a:capture")
    provider.refund(held.provider_ref, amount_fen=50, idempotency_key="keys-a:refund", reason="test")
    other = _pay_by_card(provider, 300, "keys-b", capture="manual")
    provider.cancel(other.provider_ref, idempotency_key="keys-b:cancel")
    provider.get_payment(other.provider_ref)

    posts = [(r.path, r.header("Idempotency-Key")) for r in recorder.sent if r.method == "POST"]
    assert posts == [
        ("/v1/payment_intents", "keys-a:create"),
        (f"/v1/payment_intents/{held.provider_ref}/capture", "keys-a:capture"),
        ("/v1/refunds", "keys-a:refund"),
        ("/v1/payment_intents", "keys-b:create"),
        (f"/v1/payment_intents/{other.provider_ref}/cancel", "keys-b:cancel"),
    ]
    assert [r.method for r in recorder.sent].count("GET") == 1


def test_create_sends_cny_and_the_card_parameters(
    provider: StripeProvider, recorder: RecordingHTTPClient
) -> None:
    _pay_by_card(provider, 4500, "params", capture="manual")

    form = recorder.sent[0].form
    assert form["currency"] == "cny"
    assert form["amount"] == "4500"
    assert form["capture_method"] == "manual"
    assert form["payment_method_types[0]"] == "card"
    assert "payment_method_types[1]" not in form
    assert (form["confirm"], form["payment_method"]) == ("true", "pm_card_visa")
    assert form["metadata[reference]"] == "order-params"
