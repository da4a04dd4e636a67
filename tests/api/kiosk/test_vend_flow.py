"""Vend cabinets over the device protocol: session, payment, dispensing, refunds, stock and ledger."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from payments.models import Payment
from sales.models import Order
from tests.api.kiosk.conftest import pay, stocked_slots
from tests.revenue_helpers import revenue_total


def available(kiosk, slot: str) -> int:
    return next(s["available"] for s in kiosk.get("/catalogue").get_json()["slots"] if s["slot"] == slot)


def test_two_products_paid_dispensed_with_one_failure_refunded_and_restocked(
    client, vend_kiosk, session
) -> None:
    a, b = stocked_slots(vend_kiosk)[:2]
    before_a, before_b = a["available"], b["available"]
    response = vend_kiosk.post(
        "/sessions", {"lines": [{"slot": a["slot"], "qty": 2}, {"slot": b["slot"], "qty": 1}]}
    )
    assert response.status_code == 201, response.get_json()
    started = response.get_json()
    assert started["status"] == "awaiting_payment"
    assert started["total_fen"] == 2 * a["product"]["price_fen"] + b["product"]["price_fen"]
    assert started["payment"]["qr_payload"].startswith("http://127.0.0.1:5000/pay/")
    assert available(vend_kiosk, a["slot"]) == before_a - 2

    assert pay(client, started["payment"]["qr_payload"]).status_code == 200
    polled = vend_kiosk.get(f"/orders/{started['order_id']}").get_json()
    assert polled["status"] == "paid"

    report = {
        "report_id": str(uuid.uuid4()),
        "results": [
            {"slot": a["slot"], "requested": 2, "dispensed": 2},
            {"slot": b["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"},
        ],
    }
    result = vend_kiosk.post(f"/orders/{started['order_id']}/vend-results", report)
    assert result.status_code == 200, result.get_json()
    assert result.get_json() == {
        "order_id": started["order_id"],
        "status": "partially_refunded",
        "refunded_fen": b["product"]["price_fen"],
    }
    # The jammed unit is back on sale; the two dispensed units are gone.
    assert available(vend_kiosk, b["slot"]) == before_b
    assert available(vend_kiosk, a["slot"]) == before_a - 2
    # The ledger says what the payment says: captured minus refunded.
    payment = session.scalar(select(Payment).where(Payment.order_id == started["order_id"]))
    assert payment.captured_fen == started["total_fen"]
    assert revenue_total(session, started["order_id"]) == payment.captured_fen - payment.refunded_fen


def test_the_same_vend_report_twice_changes_nothing_and_another_is_409(client, vend_kiosk, session) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    pay(client, started["payment"]["qr_payload"])
    report = {
        "report_id": "r-1",
        "results": [{"slot": a["slot"], "requested": 1, "dispensed": 0, "error": "jam"}],
    }
    first = vend_kiosk.post(f"/orders/{started['order_id']}/vend-results", report)
    again = vend_kiosk.post(f"/orders/{started['order_id']}/vend-results", report)
    assert first.status_code == again.status_code == 200
    assert (
        first.get_json()
        == again.get_json()
        == {"order_id": started["order_id"], "status": "refunded", "refunded_fen": a["product"]["price_fen"]}
    )
    other = dict(report, report_id="r-2")
    assert vend_kiosk.post(f"/orders/{started['order_id']}/vend-results", other).status_code == 409


def test_an_idempotency_key_replayed_returns_the_first_order(vend_kiosk, session) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    body = {"lines": [{"slot": a["slot"], "qty": 1}]}
    headers = {"Idempotency-Key": "key-123"}
    first = vend_kiosk.post("/sessions", body, headers=headers)
    second = vend_kiosk.post("/sessions", body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert (
        session.scalar(select(func.count()).select_from(Order).where(Order.idempotency_key == "key-123")) == 1
    )
    reused = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 2}]}, headers=headers)
    assert reused.status_code == 409 and reused.get_json()["error"]["code"] == "idempotency_key_reused"


def test_a_slot_named_twice_counts_once_with_the_summed_quantity(vend_kiosk) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    body = {"lines": [{"slot": a["slot"], "qty": 1}, {"slot": a["slot"], "qty": 1}]}
    started = vend_kiosk.post("/sessions", body).get_json()
    assert [(line["slot"], line["qty"]) for line in started["lines"]] == [(a["slot"], 2)]


def test_more_than_the_slot_holds_is_409_naming_the_slot_and_holds_nothing(vend_kiosk) -> None:
    a = stocked_slots(vend_kiosk, at_least=1)[0]
    (b,) = [s for s in stocked_slots(vend_kiosk, at_least=1) if s["slot"] != a["slot"]][:1]
    body = {"lines": [{"slot": b["slot"], "qty": 1}, {"slot": a["slot"], "qty": a["available"] + 1}]}
    response = vend_kiosk.post("/sessions", body)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "out_of_stock" and "lines.1.slot" in error["fields"]
    assert available(vend_kiosk, b["slot"]) == b["available"]


def test_bad_session_bodies_are_422_naming_the_field(vend_kiosk) -> None:
    cases = [
        ({"lines": []}, "lines"),
        ({"lines": [{"slot": "A1", "qty": 0}]}, "lines.0.qty"),
        ({"lines": [{"slot": "A1", "qty": "2"}]}, "lines.0.qty"),
        ({"lines": [{"slot": "Z99", "qty": 1}]}, "lines.0.slot"),
        ({"lines": [{"slot": "A1", "qty": 1, "price_fen": 1}]}, "lines.0.price_fen"),
        ({}, "lines"),
    ]
    for body, field in cases:
        response = vend_kiosk.post("/sessions", body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())


def test_cancel_releases_the_hold_and_a_paid_order_cannot_be_cancelled(client, vend_kiosk) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    cancelled = vend_kiosk.post(f"/orders/{started['order_id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert available(vend_kiosk, a["slot"]) == a["available"]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    pay(client, started["payment"]["qr_payload"])
    assert vend_kiosk.post(f"/orders/{started['order_id']}/cancel").status_code == 409


def test_an_unpaid_session_expires_and_its_stock_returns(vend_kiosk, clock) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    clock.advance(seconds=181)
    assert vend_kiosk.get(f"/orders/{started['order_id']}").get_json()["status"] == "expired"
    assert available(vend_kiosk, a["slot"]) == a["available"]


def test_an_expired_kiosk_order_has_its_payment_cancelled_at_the_provider(client, vend_kiosk, clock) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    clock.advance(seconds=181)
    assert vend_kiosk.get(f"/orders/{started['order_id']}").get_json()["status"] == "expired"
    late = pay(client, started["payment"]["qr_payload"])  # the QR no longer takes money
    assert late.status_code == 409, late.get_json()
    assert vend_kiosk.get(f"/orders/{started['order_id']}").get_json()["status"] == "expired"
    assert available(vend_kiosk, a["slot"]) == a["available"]


def test_a_payment_after_expiry_at_a_kiosk_is_refunded_automatically(
    client, vend_kiosk, clock, session
) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    clock.advance(seconds=181)
    # The shopper pays after the session ended, before the server noticed it had.
    assert pay(client, started["payment"]["qr_payload"]).status_code == 200
    order = vend_kiosk.get(f"/orders/{started['order_id']}").get_json()
    assert order["status"] == "refunded" and order["refunded_fen"] == a["product"]["price_fen"]
    assert available(vend_kiosk, a["slot"]) == a["available"]
    assert revenue_total(session, started["order_id"]) == 0


def test_an_idempotency_key_over_128_characters_is_a_422_and_nothing_is_held(vend_kiosk, session) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    before = session.scalar(select(func.count()).select_from(Order))
    response = vend_kiosk.post(
        "/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}, headers={"Idempotency-Key": "k" * 129}
    )
    assert response.status_code == 422, response.get_json()
    assert "Idempotency-Key" in response.get_json()["error"]["fields"]
    assert session.scalar(select(func.count()).select_from(Order)) == before
    after = {s["slot"]: s["available"] for s in vend_kiosk.get("/catalogue").get_json()["slots"]}
    assert after[a["slot"]] == a["available"]


def test_a_cancel_after_the_shopper_paid_unseen_is_accepted_and_the_payment_refunded(
    app, client, vend_kiosk, session
) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    # The shopper pays at the provider; its notification has not reached us when the kiosk gives up.
    token = started["payment"]["qr_payload"].rstrip("/").rsplit("/", 1)[-1]
    app.extensions["dongxi.payments"].simulate_pay_token(token)
    cancelled = vend_kiosk.post(f"/orders/{started['order_id']}/cancel")
    assert cancelled.status_code == 200, cancelled.get_json()
    order = vend_kiosk.get(f"/orders/{started['order_id']}").get_json()
    assert order["status"] == "refunded" and order["refunded_fen"] == a["product"]["price_fen"]
    assert available(vend_kiosk, a["slot"]) == a["available"]
    assert revenue_total(session, started["order_id"]) == 0
