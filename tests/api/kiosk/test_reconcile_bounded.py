"""`dongxi payments reconcile` looks only at payments the provider may still move (issue 11,
defect 15): an order that lapsed and whose payment the provider cancelled is settled, and is not
fetched again on every run for ever — the run's work is what is open, not all that ever was."""

from __future__ import annotations

from sales.provider_repair import repair_unsettled_payments
from tests.api.kiosk.conftest import pay, stocked_slots


def test_reconcile_skips_lapsed_orders_whose_payment_is_settled_and_checks_open_ones(
    app, db, clock, vend_kiosk, client
) -> None:
    provider = app.extensions["dongxi.payments"]
    a, b = stocked_slots(vend_kiosk)[:2]
    lapsed = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    clock.advance(seconds=181)
    assert vend_kiosk.get(f"/orders/{lapsed['order_id']}").get_json()["status"] == "expired"  # and cancelled
    sold = vend_kiosk.post("/sessions", {"lines": [{"slot": b["slot"], "qty": 1}]}).get_json()
    assert pay(client, sold["payment"]["qr_payload"]).status_code == 200
    waiting = vend_kiosk.post("/sessions", {"lines": [{"slot": b["slot"], "qty": 1}]}).get_json()

    counts = repair_unsettled_payments(db, clock, provider)

    assert counts == {"checked": 1, "repaired": 0, "failed": 0}  # only the session still awaiting payment
    assert vend_kiosk.get(f"/orders/{waiting['order_id']}").get_json()["status"] == "awaiting_payment"
