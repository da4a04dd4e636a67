"""A kiosk vend purchase through the device API with PAYMENT_PROVIDER=wechatpay, against the fake WeChat Pay:
the QR code is WeChat's code_url, the shopper pays at WeChat, notifications arrive twice, late, and in
any order, and every order of delivery ends in the state of one in-order delivery (as with Stripe,
tests/integration/stripe_orders/test_webhook_replay.py)."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from core.clock import FixedClock
from core.db import Database
from payments.models import Payment, Refund, WebhookEvent
from sales.money_audit import audit_money
from sales.provider_repair import reconcile
from tests.api.kiosk.conftest import SignedKiosk, provision, stocked_slots  # noqa: F401  (fixture)
from tests.fakes.wechatpay_fake import FakeWeChatPay, Notification
from tests.integration.stripe_orders.harness import order_state

WEBHOOK = "/api/v1/payments/wechatpay/webhook"
SEED = 20261203


@pytest.fixture
def app_config(wechatpay_config: dict[str, Any]) -> dict[str, Any]:
    """The shared `app` fixture, with WeChat Pay (the fake) as its provider."""
    return wechatpay_config


@pytest.fixture
def vend_kiosk(provision) -> SignedKiosk:  # type: ignore[no-untyped-def]  # noqa: F811
    return provision("FZ-0001")


def deliver(client: FlaskClient, notification: Notification) -> Any:
    """POST a notification to our webhook, as WeChat Pay sends it."""
    return client.post(WEBHOOK, data=notification.body, headers=notification.headers)


def wechat_events(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.provider == "wechatpay")
        )


def start_vend(
    kiosk: SignedKiosk, qty: tuple[int, int] = (2, 1)
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    a, b = stocked_slots(kiosk)[:2]
    body = {"lines": [{"slot": a["slot"], "qty": qty[0]}, {"slot": b["slot"], "qty": qty[1]}]}
    response = kiosk.post("/sessions", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json(), [a, b]


def out_trade_no(db: Database, order_id: str) -> str:
    with db.unit_of_work() as session:
        ref = session.scalar(select(Payment.provider_ref).where(Payment.order_id == order_id))
    assert ref
    return ref


def test_the_kiosk_shows_wechats_qr_and_the_payment_notification_pays_the_order_once(
    client: FlaskClient, vend_kiosk: SignedKiosk, db: Database, wechatpay_fake: FakeWeChatPay
) -> None:
    started, _slots = start_vend(vend_kiosk)
    assert started["payment"]["qr_payload"].startswith("weixin://wxpay/bizpayurl?pr=")
    number = out_trade_no(db, started["order_id"])
    assert wechatpay_fake.orders[number]["amount"]["total"] == started["total_fen"]
    assert wechatpay_fake.orders[number]["attach"] == started["order_id"]

    paid = wechatpay_fake.pay(number)
    stale = paid.resigned(at=int(paid.headers["Wechatpay-Timestamp"]) - 600)
    refused = deliver(client, stale)
    assert refused.status_code == 400 and refused.get_json()["code"] == "FAIL"
    assert wechat_events(db) == 0, "a refused notification records nothing"
    forged = Notification(
        paid.event_id, paid.body.replace(b'"id"', b'"id" ', 1), paid.headers, paid.platform_key, ""
    )
    assert deliver(client, forged).status_code == 400

    first = deliver(client, paid)
    again = deliver(client, paid.resigned())  # WeChat retries when it did not hear our answer
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json() == {"code": "SUCCESS", "message": "成功"}
    assert wechat_events(db) == 1
    polled = vend_kiosk.get(f"/orders/{started['order_id']}").get_json()
    assert polled["status"] == "paid"
    state = order_state(db, started["order_id"])
    assert state["payments"] == [
        ("wechatpay", number, "succeeded", started["total_fen"], started["total_fen"], 0)
    ]
    assert sum(e.amount_fen for e in state["revenue"]) == started["total_fen"]


def replay(
    connection: Connection, client: FlaskClient, db: Database, order_id: str, plan: list[Notification]
) -> Any:
    """Deliver notifications from the current state, read the state they leave, then undo them."""
    snapshot = connection.begin_nested()
    try:
        for notification in plan:
            response = deliver(client, notification.resigned())
            assert response.status_code == 200, response.get_json()
        return {**order_state(db, order_id), "events": wechat_events(db)}
    finally:
        snapshot.rollback()


def test_payment_and_refund_notifications_in_any_order_end_as_one_in_order_delivery(
    app: Flask,
    clock: FixedClock,
    client: FlaskClient,
    vend_kiosk: SignedKiosk,
    db: Database,
    connection: Connection,
    wechatpay_fake: FakeWeChatPay,
) -> None:
    started, (a, b) = start_vend(vend_kiosk)
    order_id = started["order_id"]
    number = out_trade_no(db, order_id)
    paid = wechatpay_fake.pay(number)
    # The notification is late: `dongxi payments reconcile` asks WeChat (查询订单) and pays the order,
    # so that the payment notification is still new when it arrives, before or after the refund's.
    assert reconcile(db, clock, app.extensions["dongxi.payments"])["repaired"] == 1
    assert vend_kiosk.get(f"/orders/{order_id}").get_json()["status"] == "paid"
    assert wechat_events(db) == 0
    report = {
        "report_id": str(uuid.uuid4()),
        "results": [
            {"slot": a["slot"], "requested": 2, "dispensed": 2},
            {"slot": b["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"},
        ],
    }
    vended = vend_kiosk.post(f"/orders/{order_id}/vend-results", report)
    assert vended.status_code == 200, vended.get_json()
    price_b = b["product"]["price_fen"]
    assert vended.get_json()["refunded_fen"] == price_b
    (refund_no,) = list(wechatpay_fake.refunds)
    assert wechatpay_fake.refunds[refund_no]["amount"]["refund"] == price_b
    assert order_state(db, order_id)["refunds"][0][:2] == (price_b, "pending"), "WeChat answered PROCESSING"
    refunded = wechatpay_fake.settle_refund(refund_no)
    before = order_state(db, order_id)

    each_three_times = [paid] * 3 + [refunded] * 3
    shuffled = list(each_three_times)
    random.Random(SEED).shuffle(shuffled)
    plans = {
        "in order, once each": [paid, refunded],
        f"each 3×, shuffled (seed {SEED})": shuffled,
        "each 3×, refund first": [refunded] * 3 + [paid] * 3,
    }
    states = {name: replay(connection, client, db, order_id, plan) for name, plan in plans.items()}

    baseline = states["in order, once each"]
    for name, state in states.items():
        assert state == baseline, f"{name} differs from one in-order delivery"
    assert order_state(db, order_id) == before, "every replay was undone"
    total = started["total_fen"]
    assert baseline["order"] == ("partially_refunded", total, total, price_b)
    assert baseline["payments"] == [("wechatpay", number, "succeeded", total, total, price_b)]
    assert [r[:2] for r in baseline["refunds"]] == [(price_b, "succeeded")]
    assert sum(e.amount_fen for e in baseline["revenue"]) == total - price_b
    assert baseline["events"] == 2, "each notification recorded once"
    assert len(wechatpay_fake.refunds) == 1, "no delivery asked WeChat for another refund"


def test_a_refund_wechat_could_not_pay_out_is_booked_back(
    client: FlaskClient, vend_kiosk: SignedKiosk, db: Database, wechatpay_fake: FakeWeChatPay
) -> None:
    started, (a, b) = start_vend(vend_kiosk)
    order_id = started["order_id"]
    assert deliver(client, wechatpay_fake.pay(out_trade_no(db, order_id))).status_code == 200
    report = {
        "report_id": str(uuid.uuid4()),
        "results": [
            {"slot": a["slot"], "requested": 2, "dispensed": 2},
            {"slot": b["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"},
        ],
    }
    assert vend_kiosk.post(f"/orders/{order_id}/vend-results", report).status_code == 200
    (refund_no,) = list(wechatpay_fake.refunds)

    abnormal = wechatpay_fake.settle_refund(refund_no, status="ABNORMAL")  # the shopper's card refused it
    assert deliver(client, abnormal).get_json() == {"code": "SUCCESS", "message": "成功"}

    state = order_state(db, order_id)
    assert [r[:2] for r in state["refunds"]] == [(b["product"]["price_fen"], "failed")]
    assert sum(e.amount_fen for e in state["revenue"]) == started["total_fen"], "the refund booked back"


def test_reconcile_settles_a_refund_whose_notification_never_came(
    app: Flask,
    clock: FixedClock,
    client: FlaskClient,
    vend_kiosk: SignedKiosk,
    db: Database,
    wechatpay_fake: FakeWeChatPay,
) -> None:
    started, (a, b) = start_vend(vend_kiosk, qty=(1, 1))
    order_id = started["order_id"]
    assert deliver(client, wechatpay_fake.pay(out_trade_no(db, order_id))).status_code == 200
    report = {
        "report_id": str(uuid.uuid4()),
        "results": [
            {"slot": a["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"},
            {"slot": b["slot"], "requested": 1, "dispensed": 1},
        ],
    }
    assert vend_kiosk.post(f"/orders/{order_id}/vend-results", report).status_code == 200
    (refund_no,) = list(wechatpay_fake.refunds)
    late = wechatpay_fake.settle_refund(refund_no)  # at WeChat: SUCCESS; its notification is lost

    counts = reconcile(db, clock, app.extensions["dongxi.payments"])

    assert counts["refunds_succeeded"] == 1
    state = order_state(db, order_id)
    assert [r[:2] for r in state["refunds"]] == [(a["product"]["price_fen"], "succeeded")]
    assert deliver(client, late).status_code == 200, "the notification, when it comes, changes nothing"
    assert order_state(db, order_id) == state


def test_a_refund_made_in_the_merchant_platform_is_booked_once_from_its_notification(
    app: Flask,
    clock: FixedClock,
    client: FlaskClient,
    vend_kiosk: SignedKiosk,
    db: Database,
    wechatpay_fake: FakeWeChatPay,
) -> None:
    started, _slots = start_vend(vend_kiosk)
    order_id, total = started["order_id"], started["total_fen"]
    number = out_trade_no(db, order_id)
    assert deliver(client, wechatpay_fake.pay(number)).status_code == 200

    refunded = wechatpay_fake.refund_in_merchant_platform(number, 500)
    for sent in (refunded, refunded.resigned()):  # delivered twice
        assert deliver(client, sent).get_json() == {"code": "SUCCESS", "message": "成功"}

    state = order_state(db, order_id)
    assert state["order"] == ("partially_refunded", total, total, 500)
    assert [r[:2] for r in state["refunds"]] == [(500, "succeeded")]
    assert sum(e.amount_fen for e in state["revenue"]) == total - 500
    (refund_no,) = list(wechatpay_fake.refunds)
    with db.unit_of_work() as session:
        assert session.scalar(select(Refund.provider_ref)) == refund_no, "found by its number next time"
        assert audit_money(session, clock).passed
    assert reconcile(db, clock, app.extensions["dongxi.payments"])["repaired"] == 0
    assert order_state(db, order_id) == state, "reconciling changes nothing"
