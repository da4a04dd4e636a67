"""Kiosk orders expire on the server even when no kiosk polls (issue 11, defect 7): the cabinet
went offline mid-session, and `dongxi orders expire` — run every minute — expires the order, puts
its stock back and cancels its payment at the provider, so a late scan of the QR takes no money."""

from __future__ import annotations

from sales.checkout import expire_lapsed_orders
from tests.api.kiosk.conftest import pay, stocked_slots


def test_the_expiry_job_expires_lapsed_orders_frees_their_stock_and_cancels_the_payment(
    app, db, clock, client, vend_kiosk
) -> None:
    provider = app.extensions["dongxi.payments"]
    a, b = stocked_slots(vend_kiosk)[:2]
    lapsed = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    clock.advance(seconds=150)
    live = vend_kiosk.post("/sessions", {"lines": [{"slot": b["slot"], "qty": 1}]}).get_json()
    clock.advance(seconds=31)  # the first session is past its 180 s, the second is not

    assert expire_lapsed_orders(db, clock, provider) == 1
    assert expire_lapsed_orders(db, clock, provider) == 0  # nothing twice

    assert pay(client, lapsed["payment"]["qr_payload"]).status_code == 409  # the QR takes no money now
    order = vend_kiosk.get(f"/orders/{lapsed['order_id']}").get_json()
    assert order["status"] == "expired" and order.get("refunded_fen", 0) == 0
    slots = {s["slot"]: s["available"] for s in vend_kiosk.get("/catalogue").get_json()["slots"]}
    assert slots[a["slot"]] == a["available"]  # the stock is back
    assert vend_kiosk.get(f"/orders/{live['order_id']}").get_json()["status"] == "awaiting_payment"
