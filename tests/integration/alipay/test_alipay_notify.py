"""Alipay's asynchronous notifications: verified with Alipay's public key, normalised into events;
a forged, foreign or stale one is refused and nothing is recorded (the endpoint answers `fail`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import func, select

from core.clock import SHANGHAI
from payments.errors import WebhookSignatureError
from payments.models import WebhookEvent
from payments.providers.alipay import AlipayProvider
from tests.fakes.alipay_fake import TIME_FORMAT, AlipayFake

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
NOTIFY = "/api/v1/payments/alipay/notify"


def _paid(alipay: AlipayProvider, fake: AlipayFake, amount: int = 1234) -> tuple[str, bytes]:
    ref = alipay.create_payment(
        reference="o1", amount_fen=amount, method="alipay", capture="automatic", idempotency_key="k1"
    ).provider_ref
    return ref, fake.pay(ref)


def _tampered(body: bytes, **changes: str) -> bytes:
    params = dict(parse_qsl(body.decode())) | changes
    return urlencode(params).encode()


def test_a_paid_trade_notification_is_payment_succeeded(alipay: AlipayProvider, alipay_fake: AlipayFake):
    ref, body = _paid(alipay, alipay_fake, 100_001)
    event = alipay.parse_webhook(body, FORM)
    assert (event.type, event.provider_ref, event.status) == ("payment_succeeded", ref, "succeeded")
    assert (event.amount_fen, event.amount_received_fen, event.amount_refunded_fen) == (
        100_001,
        100_001,
        None,
    )
    assert event.created.tzinfo is not None and event.provider_type == "trade_status_sync.TRADE_SUCCESS"


def test_refund_notifications_carry_the_total_refunded(alipay: AlipayProvider, alipay_fake: AlipayFake):
    ref, _body = _paid(alipay, alipay_fake, 1000)
    alipay.refund(ref, amount_fen=300, idempotency_key="r-a", reason="x")
    alipay.refund(ref, amount_fen=700, idempotency_key="r-b", reason="x")
    partial, full = (alipay.parse_webhook(body, FORM) for body in alipay_fake.sent[1:])
    assert (partial.type, partial.amount_refunded_fen, partial.raw["trade_status"]) == (
        "payment_refunded",
        300,
        "TRADE_SUCCESS",
    )
    assert (full.type, full.amount_refunded_fen, full.raw["trade_status"]) == (
        "payment_refunded",
        1000,
        "TRADE_CLOSED",
    )
    assert partial.event_id != full.event_id and partial.raw["out_biz_no"].startswith("R_")


def test_a_closed_unpaid_trade_is_payment_canceled(alipay: AlipayProvider, alipay_fake: AlipayFake):
    ref = alipay.create_payment(
        reference="o1", amount_fen=500, method="alipay", capture="automatic", idempotency_key="k1"
    ).provider_ref
    alipay_fake.scan(ref)
    alipay.cancel(ref, idempotency_key="c")
    event = alipay.parse_webhook(alipay_fake.notification(ref), FORM)
    assert (event.type, event.status, event.amount_received_fen) == ("payment_canceled", "canceled", None)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda fake, body, keys: _tampered(body, total_amount="0.01"), id="amount changed"),
        pytest.param(
            lambda fake, body, keys: _tampered(body, trade_status="TRADE_CLOSED"), id="status changed"
        ),
        pytest.param(
            lambda fake, body, keys: fake.sign_notification(dict(parse_qsl(body.decode())), keys["stranger"]),
            id="signed with another key",
        ),
        pytest.param(lambda fake, body, keys: _tampered(body, sign=""), id="no sign"),
        pytest.param(lambda fake, body, keys: _tampered(body, sign="not base64!"), id="garbage sign"),
        pytest.param(lambda fake, body, keys: _tampered(body, sign_type="RSA"), id="RSA1"),
        pytest.param(
            lambda fake, body, keys: fake.sign_notification(
                dict(parse_qsl(body.decode())) | {"app_id": "2021999"}
            ),
            id="another app",
        ),
        pytest.param(
            lambda fake, body, keys: fake.sign_notification(
                dict(parse_qsl(body.decode()))
                | {"notify_time": (datetime.now(SHANGHAI) - timedelta(hours=49)).strftime(TIME_FORMAT)}
            ),
            id="stale",
        ),
        pytest.param(lambda fake, body, keys: b"\xff\xfe not a form", id="not a form"),
    ],
)
def test_forged_notifications_are_refused(alipay, alipay_fake, alipay_keys, forge: Any) -> None:
    _ref, body = _paid(alipay, alipay_fake)
    with pytest.raises(WebhookSignatureError):
        alipay.parse_webhook(forge(alipay_fake, body, alipay_keys), FORM)


def test_a_retry_a_day_later_is_still_accepted(alipay: AlipayProvider, alipay_fake: AlipayFake):
    _ref, body = _paid(alipay, alipay_fake)
    late = (datetime.now(SHANGHAI) - timedelta(hours=25)).strftime(TIME_FORMAT)
    retry = alipay_fake.sign_notification(dict(parse_qsl(body.decode())) | {"notify_time": late})
    assert alipay.parse_webhook(retry, FORM).event_id == alipay.parse_webhook(body, FORM).event_id


def _events(db: Any) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


def test_the_endpoint_answers_plain_success_or_fail_and_records_only_genuine(app, client, db, alipay_fake):
    provider = app.extensions["dongxi.payments"]
    assert provider.name == "alipay"
    _ref, body = _paid(provider, alipay_fake)
    forged = client.post(NOTIFY, data=_tampered(body, total_amount="0.01"), headers=FORM)
    assert (forged.status_code, forged.get_data(as_text=True), forged.mimetype) == (400, "fail", "text/plain")
    assert _events(db) == 0
    first = client.post(NOTIFY, data=body, headers=FORM)
    again = client.post(NOTIFY, data=body, headers=FORM)
    for answer in (first, again):
        assert (answer.status_code, answer.get_data(as_text=True), answer.mimetype) == (
            200,
            "success",
            "text/plain",
        )
    assert _events(db) == 1
