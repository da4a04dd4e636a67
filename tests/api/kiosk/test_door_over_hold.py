"""An open-door shopper who takes more than the visit's hold (issue 11, defect 1): the capture can
collect the hold and no more, so the order is charged the hold spread over its lines, the revenue
ledger holds what was captured, a later refund of those lines stays within the capture, the rest
is shrinkage an operator sees as an alert, and each cabinet's hold can be sized."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from payments.models import Payment
from sales.models import Order
from sales.refunds import request_refund
from tests.api.kiosk.conftest import pay, stocked_slots
from tests.revenue_helpers import revenue_total


def _visit(client, kiosk, hold: int) -> str:  # type: ignore[no-untyped-def]
    started = kiosk.post("/door-sessions", {}).get_json()
    assert started["hold_fen"] == hold
    assert pay(client, started["payment"]["qr_payload"]).status_code == 200
    return started["order_id"]


def test_taking_more_than_the_hold_charges_the_hold_books_it_and_alerts_the_shrinkage(
    app, client, auth, door_kiosk, session, clock
) -> None:
    patched = client.patch(
        "/api/v1/inventory/locations/FZ-0002", json={"open_door_hold_fen": 1000}, headers=auth("operator")
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["open_door_hold_fen"] == 1000
    app.extensions["dongxi.device_keys"].forget()  # as the cache turns over within its TTL
    a, b = stocked_slots(door_kiosk, at_least=3)[:2]
    order_id = _visit(client, door_kiosk, 1000)
    taken = [{"slot": a["slot"], "qty": 3}, {"slot": b["slot"], "qty": 2}]
    priced = 3 * a["product"]["price_fen"] + 2 * b["product"]["price_fen"]
    assert priced > 1000
    closed = door_kiosk.post(
        f"/orders/{order_id}/door-closed", {"report_id": str(uuid.uuid4()), "taken": taken}
    )
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["status"] == "completed" and closed.get_json()["total_fen"] == 1000

    payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
    session.refresh(payment)
    assert payment.captured_fen == 1000
    assert revenue_total(session, order_id) == 1000  # never more than was captured
    order = session.get(Order, order_id)
    session.refresh(order)
    assert order.uncollected_fen == priced - 1000
    assert sum(line.line_total_fen for line in order.lines) == 1000

    # A later refund of every unit gives back what was captured, and no more.
    request_refund(
        session, clock, order, payment, [(line, line.qty) for line in order.lines], reason="t", actor="t"
    )
    session.flush()
    assert order.refunded_fen == 1000 and revenue_total(session, order_id) == 0

    alerts = client.get("/api/v1/alerts", headers=auth("operator")).get_json()
    uncollected = [x for x in alerts if x["kind"] == "uncollected"]
    assert len(uncollected) == 1 and order_id in uncollected[0]["message"]


def test_a_hold_is_only_for_an_open_door_kiosk(client, auth) -> None:
    refused = client.patch(
        "/api/v1/inventory/locations/FZ-0001", json={"open_door_hold_fen": 1000}, headers=auth("operator")
    )
    assert refused.status_code == 422 and "open_door_hold_fen" in refused.get_json()["error"]["fields"]
