"""The WeChat Pay provider through the real SDK against the fake API: create, query, close, refund,
refund query, idempotent retries, the refused capture, and the trade bill."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.errors import InvalidInput
from payments.errors import (
    IdempotencyKeyReused,
    PaymentNotFound,
    PaymentProviderError,
    PaymentStateConflict,
)
from payments.providers.wechatpay import WeChatPayProvider, out_refund_no, out_trade_no
from tests.fakes.wechatpay_fake import FakeWeChatPay

ORDER = "6f1c2a34-8b7d-4e21-9a0f-3c5d7e9b1a22"
KEY = "pay-6f1c2a34-8b7d-4e21-9a0f-3c5d7e9b1a22-Xy3_Qp9-aBc"


def create(provider: WeChatPayProvider, amount_fen: int = 2990, key: str = KEY, **extra: object) -> object:
    return provider.create_payment(
        reference=ORDER,
        amount_fen=amount_fen,
        method="wechat_pay",
        capture="automatic",
        idempotency_key=key,
        description="西吉马铃薯 5kg",
        metadata={"order_id": ORDER},
        **extra,  # type: ignore[arg-type]
    )


def test_native_payment_is_a_qr_code_url_under_an_out_trade_no_of_our_reference(
    wechatpay: WeChatPayProvider, wechatpay_fake: FakeWeChatPay
) -> None:
    payment = create(wechatpay)

    number = out_trade_no(ORDER, KEY)
    assert payment.provider_ref == number and len(number) <= 32 and number.startswith("6f1c2a348b7d")
    assert payment.status == "requires_payment"
    assert payment.qr_payload.startswith("weixin://wxpay/bizpayurl?pr=")
    order = wechatpay_fake.orders[number]
    assert order["amount"] == {"total": 2990, "currency": "CNY"}
    assert order["attach"] == ORDER and order["trade_type"] == "NATIVE"


def test_a_retried_create_returns_the_same_order_and_a_paid_one_as_paid(
    wechatpay: WeChatPayProvider, wechatpay_fake: FakeWeChatPay
) -> None:
    first = create(wechatpay)
    again = create(wechatpay)
    assert again.qr_payload == first.qr_payload and again.provider_ref == first.provider_ref
    assert len(wechatpay_fake.orders) == 1

    wechatpay_fake.pay(first.provider_ref)
    after_paying = create(wechatpay)  # WeChat answers ORDERPAID: the order is queried

    assert (after_paying.status, after_paying.amount_received_fen) == ("succeeded", 2990)
    assert after_paying.raw["transaction_id"] == wechatpay_fake.orders[first.provider_ref]["transaction_id"]


def test_the_same_key_with_another_amount_is_refused(wechatpay: WeChatPayProvider) -> None:
    create(wechatpay)
    with pytest.raises(IdempotencyKeyReused):
        create(wechatpay, amount_fen=3000)


def test_two_payments_of_one_order_have_their_own_out_trade_no(wechatpay: WeChatPayProvider) -> None:
    first = create(wechatpay)
    second = create(wechatpay, key=KEY + "-second")
    assert first.provider_ref != second.provider_ref


def test_query_follows_the_shopper_paying(
    wechatpay: WeChatPayProvider, wechatpay_fake: FakeWeChatPay
) -> None:
    payment = create(wechatpay)
    assert wechatpay.get_payment(payment.provider_ref).status == "requires_payment"

    wechatpay_fake.pay(payment.provider_ref)
    paid = wechatpay.get_payment(payment.provider_ref)

    assert (paid.status, paid.amount_fen, paid.amount_received_fen, paid.amount_capturable_fen) == (
        "succeeded",
        2990,
        2990,
        0,
    )


def test_an_unknown_order_is_not_found(wechatpay: WeChatPayProvider) -> None:
    with pytest.raises(PaymentNotFound):
        wechatpay.get_payment("nosuchorder_0000000000")


def test_cancel_closes_an_unpaid_order_and_refuses_a_paid_one(
    wechatpay: WeChatPayProvider, wechatpay_fake: FakeWeChatPay
) -> None:
    unpaid = create(wechatpay)
    closed = wechatpay.cancel(unpaid.provider_ref, idempotency_key=f"{KEY}-cancel")
    assert closed.status == "canceled"
    assert wechatpay_fake.orders[unpaid.provider_ref]["trade_state"] == "CLOSED"

    paid = create(wechatpay, key=KEY + "-2")
    wechatpay_fake.pay(paid.provider_ref)
    with pytest.raises(PaymentStateConflict):
        wechatpay.cancel(paid.provider_ref, idempotency_key=f"{KEY}-2-cancel")
    assert wechatpay.get_payment(paid.provider_ref).status == "succeeded"


def test_refunds_are_partial_idempotent_by_key_and_queried_until_they_settle(
    wechatpay: WeChatPayProvider, wechatpay_fake: FakeWeChatPay
) -> None:
    payment = create(wechatpay)
    wechatpay_fake.pay(payment.provider_ref)
    key = "refund-6f1c2a34-8b7d-4e21-9a0f-3c5d7e9b1a22-Qq1_zz8"

    refund = wechatpay.refund(payment.provider_ref, amount_fen=1000, idempotency_key=key, reason="出货失败")
    retried = wechatpay.refund(payment.provider_ref, amount_fen=1000, idempotency_key=key, reason="出货失败")

    assert refund.provider_ref == retried.provider_ref == out_refund_no(key) == key
    assert (refund.status, refund.amount_fen, refund.payment_ref) == ("pending", 1000, payment.provider_ref)
    assert len(wechatpay_fake.refunds) == 1, "the retry refunded nothing more"
    wechatpay_fake.settle_refund(key)
    assert wechatpay.get_refund(key).status == "succeeded"
    # The paid order stays paid for us: the capture stands, a refund is booked beside it.
    assert wechatpay.get_payment(payment.provider_ref).status == "succeeded"

    second = wechatpay.refund(payment.provider_ref, amount_fen=1990, idempotency_key=key + "-2", reason="")
    assert second.amount_fen == 1990
    with pytest.raises(PaymentStateConflict):
        wechatpay.refund(payment.provider_ref, amount_fen=1, idempotency_key=key + "-3", reason="too much")


def test_a_refund_of_an_unpaid_order_is_a_conflict_and_an_unknown_refund_not_found(
    wechatpay: WeChatPayProvider,
) -> None:
    payment = create(wechatpay)
    with pytest.raises(PaymentStateConflict):
        wechatpay.refund(payment.provider_ref, amount_fen=100, idempotency_key="refund-x", reason="")
    with pytest.raises(PaymentNotFound):
        wechatpay.get_refund("refund-unknown")


def test_a_long_idempotency_key_becomes_a_stable_out_refund_no() -> None:
    key = "external-" + "x" * 80 + ":colon"
    assert out_refund_no(key) == out_refund_no(key) and len(out_refund_no(key)) <= 64
    assert out_refund_no(key) != out_refund_no(key + "1")


def test_manual_capture_is_refused_before_anything_is_sent(
    wechatpay: WeChatPayProvider, wechatpay_fake: FakeWeChatPay
) -> None:
    with pytest.raises(InvalidInput) as refused:
        wechatpay.create_payment(
            reference=ORDER, amount_fen=20000, method="wechat_pay", capture="manual", idempotency_key=KEY
        )
    assert refused.value.code == "capture_not_supported"
    with pytest.raises(PaymentProviderError) as capture:
        wechatpay.capture("anything_000000", amount_fen=100, idempotency_key="k-capture")
    assert capture.value.code == "capture_not_supported"
    assert wechatpay_fake.calls == []


def test_h5_payment_redirects_the_phone_and_comes_back_to_the_return_url(
    wechatpay: WeChatPayProvider, wechatpay_fake: FakeWeChatPay
) -> None:
    payment = wechatpay.create_payment(
        reference=ORDER,
        amount_fen=2990,
        method="wechat_pay",
        capture="automatic",
        idempotency_key=KEY,
        metadata={"payer_client_ip": "203.0.113.7"},
        payment_method="h5",
        return_url="https://dongxi.example.cn/pay/tok?done=1",
    )
    assert payment.qr_payload.startswith("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=")
    assert payment.qr_payload.endswith("&redirect_url=https%3A%2F%2Fdongxi.example.cn%2Fpay%2Ftok%3Fdone%3D1")
    assert wechatpay_fake.orders[payment.provider_ref]["trade_type"] == "MWEB"
    with pytest.raises(InvalidInput):
        wechatpay.create_payment(
            reference=ORDER,
            amount_fen=2990,
            method="wechat_pay",
            capture="automatic",
            idempotency_key=KEY + "-noip",
            payment_method="h5",
        )


def test_a_merchant_key_wechat_does_not_know_is_refused_by_the_fake(
    wechatpay_config: dict[str, object], wechatpay_fake: FakeWeChatPay
) -> None:
    from payments.providers import make_provider

    provider = make_provider(
        {**wechatpay_config, "WECHATPAY_CERT_SERIAL_NO": "0000DEADBEEF"}, lambda token: token
    )
    with pytest.raises(PaymentProviderError) as refused:
        provider.get_payment("whatever_000000")
    assert "SIGN_ERROR" in refused.value.message


def test_the_trade_bill_lists_the_days_payments_and_refunds(
    wechatpay: WeChatPayProvider, wechatpay_fake: FakeWeChatPay
) -> None:
    paid = create(wechatpay)
    wechatpay_fake.pay(paid.provider_ref)
    create(wechatpay, key=KEY + "-unpaid")  # never paid: not in the bill
    refund = wechatpay.refund(paid.provider_ref, amount_fen=990, idempotency_key="refund-bill-1", reason="")
    wechatpay_fake.settle_refund(refund.provider_ref)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    lines = wechatpay.daily_bill(today)

    order = wechatpay_fake.orders[paid.provider_ref]
    stored = wechatpay_fake.refunds[refund.provider_ref]
    assert sorted((line.kind, line.our_ref, line.provider_ref, line.amount_fen) for line in lines) == [
        ("payment", paid.provider_ref, order["transaction_id"], 2990),
        ("refund", "refund-bill-1", stored["refund_id"], 990),
    ]
    assert {line.provider for line in lines} == {"wechatpay"}
    assert all(line.occurred_at.utcoffset().total_seconds() == 8 * 3600 for line in lines)


def test_requests_signed_with_another_private_key_are_refused(
    wechatpay_config: dict[str, object], tmp_path: object
) -> None:
    from pathlib import Path

    from payments.providers import make_provider
    from tests.fakes.wechatpay_fake import generate_keys

    stranger = Path(str(tmp_path)) / "stranger_key.pem"
    stranger.write_text(generate_keys().merchant_private_pem)
    provider = make_provider({**wechatpay_config, "WECHATPAY_PRIVATE_KEY_PATH": str(stranger)}, lambda t: t)
    with pytest.raises(PaymentProviderError) as refused:
        provider.get_payment("whatever_000000")
    assert "SIGN_ERROR" in refused.value.message


def test_answers_not_signed_by_the_configured_platform_key_are_not_believed(
    wechatpay_config: dict[str, object], wechatpay_fake: FakeWeChatPay, tmp_path: object
) -> None:
    from pathlib import Path

    from payments.providers import make_provider
    from tests.fakes.wechatpay_fake import generate_keys

    other = Path(str(tmp_path)) / "other_pub.pem"
    other.write_bytes(generate_keys().platform_public_pem)
    provider = make_provider({**wechatpay_config, "WECHATPAY_PUBLIC_KEY_PATH": str(other)}, lambda t: t)
    with pytest.raises(PaymentProviderError) as refused:
        create(provider)
    assert "verify the signature" in refused.value.message
