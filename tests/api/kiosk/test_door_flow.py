"""Open-door cabinets: authorize a hold, open, take, close, capture exactly what was taken."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from payments.models import Payment
from tests.api.kiosk.conftest import pay, stocked_slots
from tests.revenue_helpers import revenue_total


def open_visit(client, kiosk):  # type: ignore[no-untyped-def]
    started = kiosk.post("/door-sessions", {})
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["status"] == "awaiting_authorization" and body["hold_fen"] == 20000
    assert pay(client, body["payment"]["qr_payload"]).status_code == 200
    assert kiosk.get(f"/orders/{body['order_id']}").get_json()["status"] == "authorized"
    return body["order_id"]


def test_three_units_from_two_slots_are_charged_exactly_their_price(client, door_kiosk, session) -> None:
    a, b = stocked_slots(door_kiosk)[:2]
    order_id = open_visit(client, door_kiosk)
    closed = door_kiosk.post(
        f"/orders/{order_id}/door-closed",
        {
            "report_id": str(uuid.uuid4()),
            "taken": [{"slot": a["slot"], "qty": 1}, {"slot": b["slot"], "qty": 2}],
        },
    )
    assert closed.status_code == 200, closed.get_json()
    body = closed.get_json()
    expected = a["product"]["price_fen"] + 2 * b["product"]["price_fen"]
    assert body["status"] == "completed" and body["total_fen"] == expected
    payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert payment.captured_fen == expected and payment.amount_fen == 20000
    assert revenue_total(session, order_id) == expected
    slots = {s["slot"]: s["available"] for s in door_kiosk.get("/catalogue").get_json()["slots"]}
    assert slots[a["slot"]] == a["available"] - 1 and slots[b["slot"]] == b["available"] - 2


def test_an_empty_visit_costs_nothing_and_releases_the_hold(client, door_kiosk, session) -> None:
    order_id = open_visit(client, door_kiosk)
    closed = door_kiosk.post(f"/orders/{order_id}/door-closed", {"report_id": "visit-1", "taken": []})
    assert closed.get_json()["status"] == "completed" and closed.get_json()["total_fen"] == 0
    payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
    session.refresh(payment)
    assert payment.status == "canceled" and payment.captured_fen == 0
    assert revenue_total(session, order_id) == 0


def test_more_taken_than_the_server_knew_is_never_refused(client, door_kiosk, session) -> None:
    (a,) = stocked_slots(door_kiosk, at_least=1)[:1]
    order_id = open_visit(client, door_kiosk)
    taken = a["available"] + 2
    closed = door_kiosk.post(
        f"/orders/{order_id}/door-closed",
        {"report_id": "visit-2", "taken": [{"slot": a["slot"], "qty": taken}]},
    )
    assert closed.status_code == 200
    assert (
        closed.get_json()["total_fen"] == min(taken * a["product"]["price_fen"], 20000)
        or closed.get_json()["total_fen"] == taken * a["product"]["price_fen"]
    )
    slots = {s["slot"]: s["available"] for s in door_kiosk.get("/catalogue").get_json()["slots"]}
    assert slots[a["slot"]] == 0


def test_door_closed_before_authorization_is_409(door_kiosk) -> None:
    order_id = door_kiosk.post("/door-sessions", {}).get_json()["order_id"]
    response = door_kiosk.post(f"/orders/{order_id}/door-closed", {"report_id": "x", "taken": []})
    assert response.status_code == 409


def test_a_vend_session_at_an_open_door_cabinet_is_refused(door_kiosk) -> None:
    response = door_kiosk.post("/sessions", {"lines": [{"slot": "A1", "qty": 1}]})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "wrong_mode"
