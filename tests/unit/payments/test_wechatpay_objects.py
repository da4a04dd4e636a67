"""Reading WeChat Pay's transaction and refund JSON into the provider-neutral dataclasses."""

from __future__ import annotations

import pytest

from payments.errors import PaymentProviderError
from payments.providers.wechatpay_objects import payment_from_transaction, refund_from_wechat


def transaction(state: str, currency: str = "CNY") -> dict[str, object]:
    return {
        "out_trade_no": "abc_123456",
        "trade_state": state,
        "amount": {"total": 500, "currency": currency},
    }


@pytest.mark.parametrize(
    ("state", "status", "received"),
    [
        ("NOTPAY", "requires_payment", 0),
        ("USERPAYING", "requires_payment", 0),
        ("SUCCESS", "succeeded", 500),
        ("REFUND", "succeeded", 500),
        ("CLOSED", "canceled", 0),
        ("REVOKED", "canceled", 0),
        ("PAYERROR", "failed", 0),
    ],
)
def test_trade_states_are_normalised(state: str, status: str, received: int) -> None:
    payment = payment_from_transaction(transaction(state))
    assert (payment.provider_ref, payment.status, payment.amount_fen) == ("abc_123456", status, 500)
    assert (payment.amount_received_fen, payment.amount_capturable_fen) == (received, 0)


def test_an_unknown_state_or_another_currency_is_a_provider_error() -> None:
    with pytest.raises(PaymentProviderError):
        payment_from_transaction(transaction("SOMETHING_NEW"))
    with pytest.raises(PaymentProviderError) as error:
        payment_from_transaction(transaction("SUCCESS", currency="USD"))
    assert error.value.code == "unexpected_currency"


@pytest.mark.parametrize(
    ("state", "status"),
    [("SUCCESS", "succeeded"), ("PROCESSING", "pending"), ("ABNORMAL", "failed"), ("CLOSED", "failed")],
)
def test_refund_states_are_normalised(state: str, status: str) -> None:
    refund = refund_from_wechat(
        {
            "out_refund_no": "refund-1",
            "out_trade_no": "abc_123456",
            "status": state,
            "amount": {"refund": 120},
        }
    )
    assert (refund.provider_ref, refund.payment_ref, refund.status, refund.amount_fen) == (
        "refund-1",
        "abc_123456",
        status,
        120,
    )
