"""The Stripe provider where localstripe falls short, against responses in Stripe's documented shape.

localstripe 1.15 has no WeChat Pay or Alipay (it refuses `payment_method_data` and never returns
their `next_action`), puts no PaymentIntent in a decline, and answers every refusal as a bare
"Bad request". So these tests run the real stripe library against `CannedStripe`, a local HTTP
server that replies with bodies shaped as Stripe's API reference documents them:
https://docs.stripe.com/api/payment_intents/object#payment_intent_object-next_action
https://docs.stripe.com/payments/wechat-pay/accept-a-payment?payment-ui=direct-api
https://docs.stripe.com/api/errors
"""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import InvalidInput
from payments.errors import IdempotencyKeyReused, PaymentStateConflict, ProviderUnavailable
from payments.providers.stripe_provider import StripeProvider
from tests.integration.payments.harness import CannedStripe

WECHAT_QR_DATA = "weixin://wxpay/bizpayurl?pr=Fh2VXiMzz"
ALIPAY_URL = "https://hooks.stripe.com/redirect/authenticate/src_1JZ?client_secret=src_client_secret_x"


def _intent(**fields: Any) -> dict[str, Any]:
    """A PaymentIntent object with the documented fields; fields override."""
    intent = {
        "id": "pi_3Docs",
        "object": "payment_intent",
        "amount": 2990,
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": "automatic",
        "client_secret": "pi_3Docs_secret_abc",
        "currency": "cny",
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": {"reference": "order-1"},
        "next_action": None,
        "payment_method": None,
        "payment_method_types": ["card"],
        "status": "requires_payment_method",
    }
    return {**intent, **fields}


def _create(provider: StripeProvider, **overrides: Any):
    args: dict[str, Any] = {
        "reference": "order-1",
        "amount_fen": 2990,
        "method": "wechat_pay",
        "capture": "automatic",
        "idempotency_key": "order-1:create",
        "description": "西吉马铃薯 5kg",
    }
    return provider.create_payment(**{**args, **overrides})


def test_wechat_pay_is_confirmed_at_once_and_its_qr_data_extracted(
    canned: CannedStripe, canned_provider: StripeProvider
) -> None:
    canned.respond_with(
        _intent(
            status="requires_action",
            payment_method="pm_1Wechat",
            payment_method_types=["wechat_pay"],
            next_action={
                "type": "wechat_pay_display_qr_code",
                "wechat_pay_display_qr_code": {
                    "data": WECHAT_QR_DATA,
                    "hosted_instructions_url": "https://payments.stripe.com/wechat_pay/qr/test_x",
                    "image_data_url": "data:image/png;base64,iVBORw0KGgo=",
                    "image_url_png": "https://qr.stripe.com/test_x.png",
                    "image_url_svg": "https://qr.stripe.com/test_x.svg",
                },
            },
        )
    )

    payment = _create(canned_provider)

    assert payment.qr_payload == WECHAT_QR_DATA
    assert payment.status == "requires_payment"
    sent = canned.exchanges[0].request
    assert (sent.method, sent.path) == ("POST", "/v1/payment_intents")
    assert sent.header("Idempotency-Key") == "order-1:create"
    assert sent.form["currency"] == "cny"
    assert sent.form["payment_method_types[0]"] == "wechat_pay"
    assert sent.form["payment_method_data[type]"] == "wechat_pay"
    assert sent.form["payment_method_options[wechat_pay][client]"] == "web"
    assert sent.form["confirm"] == "true"
    assert sent.form["description"] == "西吉马铃薯 5kg"


def test_alipay_redirect_page_becomes_the_qr_payload(
    canned: CannedStripe, canned_provider: StripeProvider
) -> None:
    canned.respond_with(
        _intent(
            status="requires_action",
            payment_method_types=["alipay"],
            next_action={
                "type": "alipay_handle_redirect",
                "alipay_handle_redirect": {
                    "native_data": None,
                    "native_url": None,
                    "return_url": "http://127.0.0.1:5000/pay/tok",
                    "url": ALIPAY_URL,
                },
            },
        )
    )

    payment = _create(canned_provider, method="alipay", return_url="http://127.0.0.1:5000/pay/tok")

    assert payment.qr_payload == ALIPAY_URL
    form = canned.exchanges[0].request.form
    assert (form["payment_method_types[0]"], form["payment_method_data[type]"]) == ("alipay", "alipay")
    assert form["return_url"] == "http://127.0.0.1:5000/pay/tok"


def test_any_method_offers_all_three_and_leaves_confirmation_to_the_pay_page(
    canned: CannedStripe, canned_provider: StripeProvider
) -> None:
    canned.respond_with(_intent(payment_method_types=["card", "wechat_pay", "alipay"]))

    payment = _create(canned_provider, method="any")

    form = canned.exchanges[0].request.form
    assert [form[f"payment_method_types[{i}]"] for i in range(3)] == ["card", "wechat_pay", "alipay"]
    assert "confirm" not in form
    assert (payment.status, payment.client_secret) == ("requires_payment", "pi_3Docs_secret_abc")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"method": "wechat_pay", "capture": "manual"}, "capture_not_supported"),
        ({"method": "alipay", "capture": "manual"}, "capture_not_supported"),
        ({"method": "alipay"}, "invalid_input"),  # no return_url
        ({"amount_fen": 29.9}, "invalid_input"),
        ({"method": "bitcoin"}, "invalid_input"),
        ({"idempotency_key": ""}, "invalid_input"),
    ],
)
def test_requests_stripe_cannot_serve_are_refused_before_any_call(
    canned: CannedStripe, canned_provider: StripeProvider, overrides: dict[str, Any], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _create(canned_provider, **overrides)
    assert refused.value.code == code
    assert canned.exchanges == []


def test_decline_at_confirmation_returns_the_failed_payment(
    canned: CannedStripe, canned_provider: StripeProvider
) -> None:
    error = {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline"}
    failed = _intent(
        status="requires_payment_method",
        last_payment_error={**error, "message": "Your card was declined."},
    )
    canned.respond_with(
        {"error": {**error, "message": "Your card was declined.", "payment_intent": failed}}, 402
    )

    payment = _create(canned_provider, method="card", payment_method="pm_card_visa_chargeDeclined")

    assert (payment.provider_ref, payment.status) == ("pi_3Docs", "failed")


@pytest.mark.parametrize(
    ("status", "error", "raised"),
    [
        (400, {"type": "idempotency_error", "message": "Keys for idempotent requests can only be used "
                                                     "with the same parameters they were first used with."},
         IdempotencyKeyReused),
        (400, {"type": "invalid_request_error", "code": "payment_intent_unexpected_state",
               "message": "This PaymentIntent could not be captured because it has a status of canceled."},
         PaymentStateConflict),
        (500, {"type": "api_error", "message": "An unknown error occurred"}, ProviderUnavailable),
    ],
)  # fmt: skip
def test_stripe_refusals_become_payments_errors(
    canned: CannedStripe, canned_provider: StripeProvider, status: int, error: dict, raised: type
) -> None:
    canned.respond_with({"error": error}, status)

    with pytest.raises(raised):
        canned_provider.capture("pi_3Docs", amount_fen=100, idempotency_key="order-1:capture")
    assert canned.exchanges[0].request.header("Idempotency-Key") == "order-1:capture"
