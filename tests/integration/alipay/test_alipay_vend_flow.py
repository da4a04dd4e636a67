"""A kiosk vend purchase through the device API with PAYMENT_PROVIDER=alipay, against the fake gateway:
the kiosk shows Alipay's QR code, the shopper pays, Alipay's notifications arrive twice and out of
order, a jammed unit is refunded in part — and every order of delivery ends in one state, the state
of one in-order delivery (as tests/integration/stripe_orders/test_webhook_replay.py asks of Stripe)."""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from payments.models import Payment
from tests.api.kiosk.conftest import stocked_slots
from tests.fakes.alipay_fake import AlipayFake
from tests.integration.stripe_orders.harness import order_state

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NOTIFY = "/api/v1/payments/alipay/notify"
SEED = 20261203


def _deliver(client: Any, body: bytes) -> None:
    answer = client.post(NOTIFY, data=body, headers=FORM)
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "success")


def _replayed(
    connection: Connection, client: Any, db: Any, order_id: str, bodies: list[bytes]
) -> dict[str, Any]:
    """Deliver the notifications from the current state, read the state they leave, then undo them."""
    snapshot = connection.begin_nested()
    try:
        for body in bodies:
            _deliver(client, body)
        return order_state(db, order_id)
    finally:
        snapshot.rollback()


def test_a_vend_paid_with_alipay_ends_the_same_whatever_the_order_of_its_notifications(
    client,
    db,
    session,
    connection: Connection,
    provision,
    alipay_fake: AlipayFake,
) -> None:
    kiosk = provision("FZ-0001")
    a, b = stocked_slots(kiosk)[:2]
    started = kiosk.post(
        "/sessions", {"lines": [{"slot": a["slot"], "qty": 2}, {"slot": b["slot"], "qty": 1}]}
    )
    assert started.status_code == 201, started.get_json()
    order = started.get_json()
    assert order["payment"]["qr_payload"].startswith("https://qr.alipay.com/")
    ref = session.scalar(select(Payment.provider_ref).where(Payment.order_id == order["order_id"]))
    assert alipay_fake.trades[ref].total_fen == order["total_fen"]

    paid = alipay_fake.pay(ref)
    _deliver(client, paid)
    _deliver(client, paid)  # Alipay retries until it reads `success`; the second changes nothing
    assert kiosk.get(f"/orders/{order['order_id']}").get_json()["status"] == "paid"

    report = {
        "report_id": str(uuid.uuid4()),
        "results": [
            {"slot": a["slot"], "requested": 2, "dispensed": 2},
            {"slot": b["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"},
        ],
    }
    vended = kiosk.post(f"/orders/{order['order_id']}/vend-results", report)
    assert vended.status_code == 200, vended.get_json()
    assert vended.get_json()["status"] == "partially_refunded"
    assert alipay_fake.trades[ref].refunded_fen == b["product"]["price_fen"]
    refunded = alipay_fake.sent[-1]
    assert b"out_biz_no" in refunded

    before = order_state(db, order["order_id"])
    each_twice = [paid, refunded] * 2
    random.Random(SEED).shuffle(each_twice)
    plans = {
        "in order": [paid, refunded],
        f"each twice, shuffled (seed {SEED})": each_twice,
        "refund before payment, twice": [refunded, paid, refunded, paid],
    }
    states = {
        name: _replayed(connection, client, db, order["order_id"], bodies) for name, bodies in plans.items()
    }
    for name, state in states.items():
        assert state == states["in order"], f"{name} differs from one in-order delivery"
    assert states["in order"] == before, "a notification of what the order already knows changes nothing"
    assert states["in order"]["order"] == (
        "partially_refunded",
        order["total_fen"],
        order["total_fen"],
        b["product"]["price_fen"],
    )
    assert states["in order"]["payments"] == [
        ("alipay", ref, "succeeded", order["total_fen"], order["total_fen"], b["product"]["price_fen"])
    ]
