"""Each payment provider as a scenario drives it: an app of its own on the test's database, the
shopper paying at the provider, and the notifications the provider sends, which a test may deliver
as often and in whatever order it likes.

`agreed_state` is harness.order_state with what legitimately differs from one provider to another
taken out (the provider's name, its references, its event ids and shapes) and what the comparison
also needs put in (each refund's kind, each payment's surplus, the number of events recorded).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import stripe
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.clock import FixedClock
from core.db import Database
from kiosk_api import create_app
from payments.models import Payment, Refund, WebhookEvent
from payments.providers.base import PaymentProvider
from tests.api.kiosk.conftest import SECRET_KEY, SignedKiosk
from tests.fakes.alipay_fake import AlipayFake
from tests.fakes.wechatpay_fake import FakeWeChatPay, Notification
from tests.integration.payments.harness import WebhookReceiver
from tests.integration.stripe_orders.harness import (
    charge_refunded_event,
    deliver,
    event_body,
    order_state,
    pay_with_visa,
)

WECHATPAY_WEBHOOK = "/api/v1/payments/wechatpay/webhook"
ALIPAY_NOTIFY = "/api/v1/payments/alipay/notify"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Notice:
    """One notification a provider sent; post() delivers it to our webhook once more and checks that
    it was answered as the provider expects (signed afresh where the provider signs each retry)."""

    what: str  # "payment" or "refund"
    post: Callable[[FlaskClient], None] = field(repr=False)


@dataclass
class Rail:
    """One provider: its app, and how the shopper pays at it and how it tells us so."""

    name: str
    app: Flask
    db: Database
    clock: FixedClock
    kiosk_keys: dict[str, dict[str, str]]
    pay: Callable[[str], Notice]  # the shopper pays the payment of this provider ref
    refunded: Callable[[str], Notice]  # the notification of the refund just made on this payment
    at_the_door: Callable[[str], Notice]  # the shopper lets an open-door visit's door open: its notice
    door_closed: Callable[[str], Notice]  # the notice of what the provider did at the door's close

    @property
    def provider(self) -> PaymentProvider:
        return self.app.extensions["dongxi.payments"]

    @cached_property
    def client(self) -> FlaskClient:
        return self.app.test_client()

    def kiosk(self, code: str) -> SignedKiosk:
        """The demo cabinet `code`, provisioned for the test, talking to this provider's app."""
        keys = self.kiosk_keys[code]
        return SignedKiosk(self.client, self.clock, keys["key_id"], keys["secret"])

    def deliver(self, notices: Iterable[Notice]) -> None:
        for notice in notices:
            notice.post(self.client)


def app_for(db: Database, clock: FixedClock, settings: dict[str, Any]) -> Flask:
    """The tests' app (as tests/conftest.py builds it) with a provider's settings."""
    return create_app({"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": SECRET_KEY, **settings})


Notices = tuple[
    Callable[[str], Notice], Callable[[str], Notice], Callable[[str], Notice], Callable[[str], Notice]
]


def stripe_notices(stripe_api: stripe.StripeClient, receiver: WebhookReceiver) -> Notices:
    """Paying by card at localstripe; payment_intent.succeeded as localstripe delivered it, and
    charge.refunded and payment_intent.amount_capturable_updated built from localstripe's objects
    (localstripe sends neither to our receiver). At the door the card is held; at its close the
    hold is captured for what was taken, which localstripe reports as payment_intent.succeeded."""

    def post(body: bytes) -> Callable[[FlaskClient], None]:
        def send(client: FlaskClient) -> None:
            response = deliver(client, body)  # signed afresh, as Stripe signs each retry
            assert response.status_code == 200, response.get_json()
            assert response.get_json()["received"] is True

        return send

    def succeeded(ref: str) -> Notice:
        body, _headers = receiver.wait_for(
            lambda e: e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == ref
        )
        return Notice("payment", post(body))

    def pay(ref: str) -> Notice:
        pay_with_visa(stripe_api, ref)
        return succeeded(ref)

    def refunded(ref: str) -> Notice:
        # The scenarios make one refund per payment, so nothing was refunded before it.
        return Notice("refund", post(charge_refunded_event(stripe_api, ref, previous_refunded=0)))

    def hold(ref: str) -> Notice:
        stripe_api.v1.payment_intents.update(ref, params={"payment_method": "pm_card_visa"})
        intent = stripe_api.v1.payment_intents.confirm(ref).to_dict()
        assert intent["status"] == "requires_capture", intent["status"]
        return Notice("hold", post(event_body(intent, "payment_intent.amount_capturable_updated")))

    def captured(ref: str) -> Notice:
        return Notice("capture", succeeded(ref).post)

    return pay, refunded, hold, captured


def wechatpay_notices(fake: FakeWeChatPay) -> Notices:
    """Paying at the fake WeChat Pay; its refunds answer PROCESSING and settle by notification. At an
    open-door cabinet the hold is paid as a deposit and what was not taken is refunded at the close."""

    def post(notification: Notification) -> Callable[[FlaskClient], None]:
        def send(client: FlaskClient) -> None:
            retry = notification.resigned()  # WeChat signs each retry with a new timestamp and nonce
            response = client.post(WECHATPAY_WEBHOOK, data=retry.body, headers=retry.headers)
            assert response.status_code == 200, response.get_json()
            assert response.get_json() == {"code": "SUCCESS", "message": "成功"}

        return send

    def pay(ref: str) -> Notice:
        return Notice("payment", post(fake.pay(ref)))

    def refunded(ref: str) -> Notice:
        (number,) = [no for no, r in fake.refunds.items() if r["out_trade_no"] == ref]
        return Notice("refund", post(fake.settle_refund(number)))

    return pay, refunded, pay, refunded


def alipay_notices(fake: AlipayFake) -> Notices:
    """Paying at the fake Alipay gateway; a refund is paid out at once and notified (out_biz_no). At
    an open-door cabinet the hold is paid as a deposit and what was not taken is refunded at the close."""

    def post(body: bytes) -> Callable[[FlaskClient], None]:
        def send(client: FlaskClient) -> None:
            response = client.post(ALIPAY_NOTIFY, data=body, headers=FORM)
            assert (response.status_code, response.get_data(as_text=True)) == (200, "success")

        return send

    def pay(ref: str) -> Notice:
        return Notice("payment", post(fake.pay(ref)))

    def refunded(ref: str) -> Notice:
        trade = f"out_trade_no={ref}".encode()
        *_earlier, body = [b for b in fake.sent if b"out_biz_no" in b and trade in b]
        return Notice("refund", post(body))

    return pay, refunded, pay, refunded


def agreed_state(db: Database, order_id: str, provider_name: str) -> dict[str, Any]:
    """order_state without what differs by provider, with refund kinds, surpluses and event counts."""
    state = order_state(db, order_id)
    with db.unit_of_work() as session:
        payments = list(session.scalars(select(Payment).where(Payment.order_id == order_id)))
        refunds = session.scalars(select(Refund).where(Refund.payment_id.in_([p.id for p in payments])))
        events = session.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.provider == provider_name)
        )
        return {
            **state,
            "payments": sorted(
                (p.status, p.capture_mode, p.amount_fen, p.captured_fen, p.refunded_fen, p.surplus_fen)
                for p in payments
            ),
            "refund_kinds": sorted((r.amount_fen, r.status, r.kind) for r in refunds),
            "webhook_events": events,  # the count: ids and payloads are the provider's own
        }


def differences(state: dict[str, Any], baseline: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The parts of two states that differ: part → (this state's, the baseline's)."""
    return {
        key: (state.get(key), baseline.get(key))
        for key in sorted(set(state) | set(baseline))
        if state.get(key) != baseline.get(key)
    }
