"""The Alipay provider against the fake gateway: every call signed, every answer verified."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from core.errors import InvalidInput
from payments.errors import (
    IdempotencyKeyReused,
    PaymentNotFound,
    PaymentProviderError,
    PaymentStateConflict,
    ProviderUnavailable,
)
from payments.providers.alipay import AlipayProvider
from tests.fakes.alipay_fake import AlipayFake, Refusal, private_pem, public_pem, rsa2_verify
from tests.integration.alipay.conftest import make_provider


def _create(provider: AlipayProvider, key: str = "pay-o1-k1", amount: int = 1234, **kw: Any):
    params = {"reference": "o1", "amount_fen": amount, "method": "alipay", "capture": "automatic"}
    return provider.create_payment(**(params | {"idempotency_key": key} | kw))


def test_precreate_sends_exact_yuan_and_returns_the_qr_code(alipay: AlipayProvider, alipay_fake: AlipayFake):
    payment = _create(alipay, amount=100_001)
    method, biz = alipay_fake.calls[-1]
    assert method == "alipay.trade.precreate"
    assert biz["total_amount"] == "1000.01"
    assert biz["out_trade_no"] == payment.provider_ref and payment.provider_ref.startswith("o1_")
    assert payment.qr_payload == alipay_fake.trades[payment.provider_ref].qr_code
    assert (payment.status, payment.amount_fen, payment.amount_received_fen) == (
        "requires_payment",
        100_001,
        0,
    )
    assert alipay_fake.trades[payment.provider_ref].notify_url.endswith("/payments/alipay/notify")


def test_a_retry_with_the_same_key_is_the_same_trade_and_another_key_another(
    alipay: AlipayProvider, alipay_fake
):
    first, again = _create(alipay), _create(alipay)
    other = _create(alipay, key="pay-o1-k2")
    assert (again.provider_ref, again.qr_payload) == (first.provider_ref, first.qr_payload)
    assert other.provider_ref != first.provider_ref
    assert len(alipay_fake.trades) == 2


def test_a_retry_after_the_shopper_paid_reports_the_paid_trade(alipay: AlipayProvider, alipay_fake):
    ref = _create(alipay).provider_ref
    alipay_fake.pay(ref)
    again = _create(alipay)
    assert (again.provider_ref, again.status, again.amount_received_fen) == (ref, "succeeded", 1234)


def test_query_follows_the_trade(alipay: AlipayProvider, alipay_fake: AlipayFake):
    ref = _create(alipay).provider_ref
    with pytest.raises(PaymentNotFound):  # precreated, not scanned: Alipay knows no trade yet
        alipay.get_payment(ref)
    alipay_fake.scan(ref)
    assert alipay.get_payment(ref).status == "requires_payment"
    alipay_fake.pay(ref)
    paid = alipay.get_payment(ref)
    assert (paid.status, paid.amount_fen, paid.amount_received_fen) == ("succeeded", 1234, 1234)


def test_cancel_closes_an_unpaid_trade_and_refuses_a_paid_one(
    alipay: AlipayProvider, alipay_fake: AlipayFake
):
    unscanned = _create(alipay).provider_ref
    assert alipay.cancel(unscanned, idempotency_key="c1").status == "canceled"
    assert alipay_fake.trades[unscanned].status == "TRADE_CLOSED"
    assert alipay.cancel(unscanned, idempotency_key="c1").status == "canceled"  # a retry
    with pytest.raises(PaymentStateConflict):  # the closed out_trade_no cannot be paid any more
        _create(alipay)
    paid = _create(alipay, key="pay-o1-k2").provider_ref
    alipay_fake.pay(paid)
    with pytest.raises(PaymentStateConflict):
        alipay.cancel(paid, idempotency_key="c2")
    assert alipay_fake.trades[paid].status == "TRADE_SUCCESS" and not alipay_fake.trades[paid].refunds


def test_partial_refunds_are_idempotent_and_queried(alipay: AlipayProvider, alipay_fake: AlipayFake):
    ref = _create(alipay, amount=1000).provider_ref
    alipay_fake.pay(ref)
    first = alipay.refund(ref, amount_fen=300, idempotency_key="refund-o1-a", reason="vend failed: motor_jam")
    retry = alipay.refund(ref, amount_fen=300, idempotency_key="refund-o1-a", reason="vend failed: motor_jam")
    second = alipay.refund(ref, amount_fen=200, idempotency_key="refund-o1-b", reason="short")
    assert (first.status, first.amount_fen, first.payment_ref) == ("succeeded", 300, ref)
    assert retry.provider_ref == first.provider_ref and retry.amount_fen == 300
    assert second.provider_ref != first.provider_ref
    assert alipay_fake.trades[ref].refunded_fen == 500  # the retry moved no money
    _method, biz = next(call for call in alipay_fake.calls if call[0] == "alipay.trade.refund")
    assert (biz["refund_amount"], biz["refund_reason"]) == ("3.00", "vend failed: motor_jam")
    assert alipay.get_refund(second.provider_ref).amount_fen == 200
    with pytest.raises(IdempotencyKeyReused):  # the same key for another amount
        alipay.refund(ref, amount_fen=100, idempotency_key="refund-o1-a", reason="x")
    with pytest.raises(PaymentStateConflict):  # more than is left
        alipay.refund(ref, amount_fen=501, idempotency_key="refund-o1-c", reason="x")
    with pytest.raises(PaymentNotFound):
        alipay.get_refund(f"{ref}:R_nothing")
    assert alipay_fake.trades[ref].refunded_fen == 500


def test_refunding_the_whole_trade_closes_it_and_it_still_reads_as_paid(alipay: AlipayProvider, alipay_fake):
    ref = _create(alipay, amount=800).provider_ref
    alipay_fake.pay(ref)
    alipay.refund(ref, amount_fen=800, idempotency_key="r-all", reason="x")
    assert alipay_fake.trades[ref].status == "TRADE_CLOSED"
    state = alipay.get_payment(ref)
    assert (state.status, state.amount_received_fen) == ("succeeded", 800)


def test_documented_refusals_become_payments_errors(alipay: AlipayProvider, alipay_fake: AlipayFake):
    ref = _create(alipay).provider_ref
    with pytest.raises(PaymentNotFound):  # ACQ.TRADE_NOT_EXIST
        alipay.refund(ref, amount_fen=1, idempotency_key="r1", reason="x")
    alipay_fake.scan(ref)
    with pytest.raises(PaymentStateConflict):  # ACQ.TRADE_STATUS_ERROR: nothing paid yet
        alipay.refund(ref, amount_fen=1, idempotency_key="r1", reason="x")
    alipay_fake.fail_next(
        "alipay.trade.query", Refusal("20000", "Service Currently Unavailable", "ACQ.SYSTEM_ERROR")
    )
    with pytest.raises(ProviderUnavailable):
        alipay.get_payment(ref)
    alipay_fake.fail_next("alipay.trade.query", 502)
    with pytest.raises(ProviderUnavailable):
        alipay.get_payment(ref)
    alipay_fake.fail_next(
        "alipay.trade.precreate",
        Refusal("40004", "Business Failed", "ACQ.TOTAL_FEE_EXCEED", "订单金额超过限额"),
    )
    with pytest.raises(PaymentProviderError, match=r"ACQ\.TOTAL_FEE_EXCEED"):
        _create(alipay, key="k-big")
    alipay_fake.trades[ref].total_fen = 999  # as if this out_trade_no had been sent for another amount
    with pytest.raises(IdempotencyKeyReused):  # ACQ.CONTEXT_INCONSISTENT
        _create(alipay)


def test_answers_not_signed_by_alipay_are_refused(alipay_fake: AlipayFake, alipay_keys: dict[str, Any]):
    wrong_alipay_key = make_provider(
        alipay_fake, alipay_keys, alipay_public_key=public_pem(alipay_keys["stranger"])
    )
    with pytest.raises(PaymentProviderError, match="does not verify"):
        _create(wrong_alipay_key)
    assert not alipay_fake.trades or all(t.scanned is False for t in alipay_fake.trades.values())


def test_requests_not_signed_with_the_app_key_are_refused(
    alipay_fake: AlipayFake, alipay_keys: dict[str, Any]
):
    stranger = make_provider(alipay_fake, alipay_keys, app_private_key=private_pem(alipay_keys["stranger"]))
    with pytest.raises(PaymentProviderError, match=r"isv\.invalid-signature"):
        _create(stranger)
    assert alipay_fake.trades == {}


def test_an_unreachable_gateway_is_unavailable(alipay_fake: AlipayFake, alipay_keys: dict[str, Any]):
    closed = make_provider(
        alipay_fake, alipay_keys, gateway_url="http://127.0.0.1:9/gateway.do", timeout_seconds=2
    )
    with pytest.raises(ProviderUnavailable):
        closed.get_payment("o1_x")


def test_manual_capture_is_refused_with_a_named_code(alipay: AlipayProvider):
    with pytest.raises(InvalidInput) as refused:
        _create(alipay, capture="manual")
    assert refused.value.code == "capture_not_supported"
    with pytest.raises(PaymentProviderError) as capture:
        alipay.capture("o1_x", amount_fen=100, idempotency_key="k-capture")
    assert capture.value.code == "capture_not_supported"


def test_a_phone_browser_gets_a_signed_wap_pay_redirect(alipay: AlipayProvider, alipay_fake, alipay_keys):
    payment = _create(alipay, return_url="https://dongxi.example/shop/orders/o1")
    url = urlsplit(payment.qr_payload or "")
    assert f"{url.scheme}://{url.netloc}{url.path}" == alipay_fake.gateway_url
    params = dict(parse_qsl(url.query))
    assert params["method"] == "alipay.trade.wap.pay" and params["return_url"].endswith("/shop/orders/o1")
    content = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign")
    assert rsa2_verify(alipay_keys["app"].public_key(), content, params["sign"])
    assert '"total_amount":"12.34"' in params["biz_content"]
