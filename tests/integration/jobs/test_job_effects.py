"""Each scheduled job does its work once the injected clock passes the moment it waits for, and a
second run finds nothing left (issue 12, item 1). The jobs are called as the worker calls them:
run_job(job, db, clock, provider), under their lock, returning what they did."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from devices.models import DeviceNonce, KioskDevice
from inventory.models import Reservation
from kiosk_api.jobs.registry import BY_NAME, run_job
from payments.errors import ProviderUnavailable
from payments.models import Payment, Refund
from sales.models import Order
from sales.statements.models import NO_LOCATION, NO_PARTNER, RevenueRollup
from tests.api.kiosk.conftest import pay, stocked_slots
from tests.integration.orgs.factories import approved_order, demo_unit

OATS = "GY-OATS-1KG"  # at FZ-WH-01, where a bulk order of the demo unit is held


def run(name: str, db, clock, provider):  # type: ignore[no-untyped-def]
    job = BY_NAME[name]
    done = run_job(job, db, clock, provider, trigger=job.default)
    assert done.status == "done", done.error
    return done.result


def order_status(db, order_id: str) -> str:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        return session.get(Order, order_id).status


def payment_status(db, order_id: str) -> str:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        return session.scalar(select(Payment.status).where(Payment.order_id == order_id))


def test_orders_expire_expires_a_lapsed_kiosk_order_and_cancels_its_payment(
    app, db, clock, vend_kiosk
) -> None:
    provider = app.extensions["dongxi.payments"]
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    assert run("orders-expire", db, clock, provider) == {"expired": 0}  # not yet lapsed

    clock.advance(seconds=181)
    assert run("orders-expire", db, clock, provider) == {"expired": 1}
    assert run("orders-expire", db, clock, provider) == {"expired": 0}  # nothing twice
    assert order_status(db, started["order_id"]) == "expired"
    assert payment_status(db, started["order_id"]) == "canceled"
    slots = {s["slot"]: s["available"] for s in vend_kiosk.get("/catalogue").get_json()["slots"]}
    assert slots[a["slot"]] == a["available"]


def test_holds_release_puts_lapsed_stock_back_and_leaves_the_order(app, db, clock, vend_kiosk) -> None:
    provider = app.extensions["dongxi.payments"]
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 2}]}).get_json()
    assert run("holds-release", db, clock, provider) == {"released": 0}

    clock.advance(seconds=181)
    assert run("holds-release", db, clock, provider) == {"released": 1}
    assert run("holds-release", db, clock, provider) == {"released": 0}
    with db.unit_of_work() as session:
        [hold] = session.scalars(select(Reservation).where(Reservation.order_ref == started["order_id"]))
        assert hold.status == "expired"
    assert order_status(db, started["order_id"]) == "awaiting_payment"  # orders-expire's business


def test_bulk_holds_expire_ends_a_bulk_order_whose_week_lapsed(app, db, session, clock) -> None:
    provider = app.extensions["dongxi.payments"]
    order, _record = approved_order(session, clock, demo_unit(session, clock), [(OATS, 2)])
    session.commit()
    clock.advance(days=6, hours=23)
    assert run("bulk-holds-expire", db, clock, provider) == {"expired": 0}

    clock.advance(hours=2)
    assert run("orders-expire", db, clock, provider) == {"expired": 0}  # minutes-long holds only
    assert run("bulk-holds-expire", db, clock, provider) == {"expired": 1}
    assert run("bulk-holds-expire", db, clock, provider) == {"expired": 0}
    assert order_status(db, order.id) == "expired"
    with db.unit_of_work() as check:
        holds = check.scalars(select(Reservation.status).where(Reservation.order_ref == order.id)).all()
        assert holds and set(holds) == {"expired"}


def _unanswered_refund(app, client, clock, vend_kiosk, monkeypatch) -> int:  # type: ignore[no-untyped-def]
    """A kiosk sale whose jammed unit's refund the provider did not answer (it was down)."""
    provider = app.extensions["dongxi.payments"]
    a, b = stocked_slots(vend_kiosk)[:2]
    started = vend_kiosk.post(
        "/sessions", {"lines": [{"slot": a["slot"], "qty": 1}, {"slot": b["slot"], "qty": 1}]}
    ).get_json()
    assert pay(client, started["payment"]["qr_payload"]).status_code == 200
    report = {
        "report_id": str(uuid.uuid4()),
        "results": [
            {"slot": a["slot"], "requested": 1, "dispensed": 1},
            {"slot": b["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"},
        ],
    }

    def down(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise ProviderUnavailable("the provider timed out")

    with monkeypatch.context() as patched:
        patched.setattr(provider, "refund", down)
        assert vend_kiosk.post(f"/orders/{started['order_id']}/vend-results", report).status_code == 200
    with app.extensions["dongxi.db"].unit_of_work() as session:
        refund = session.scalar(select(Refund).join(Payment).where(Payment.order_id == started["order_id"]))
        assert (refund.status, refund.provider_ref) == ("pending", None)
        return refund.id


def test_refunds_retry_sends_an_unanswered_refund_again_with_backoff(
    app, db, client, clock, vend_kiosk, monkeypatch
) -> None:
    provider = app.extensions["dongxi.payments"]
    refund_id = _unanswered_refund(app, client, clock, vend_kiosk, monkeypatch)
    clock.advance(seconds=60)
    assert run("refunds-retry", db, clock, provider)["due"] == 0  # too young: the request's own call

    def down(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise ProviderUnavailable("still down")

    clock.advance(seconds=61)  # 2 min old: the first retry, the provider still down
    with monkeypatch.context() as patched:
        patched.setattr(provider, "refund", down)
        first = run("refunds-retry", db, clock, provider)
    assert (first["due"], first["unanswered"]) == (1, 1)
    clock.advance(seconds=60)  # 3 min: the next retry is at 4
    assert run("refunds-retry", db, clock, provider) | {} == {
        "due": 0,
        "waiting": 1,
        "succeeded": 0,
        "pending": 0,
        "failed": 0,
        "unanswered": 0,
    }
    clock.advance(seconds=60)  # 4 min, the provider back
    assert run("refunds-retry", db, clock, provider)["succeeded"] == 1
    with db.unit_of_work() as session:
        refund = session.get(Refund, refund_id)
        assert refund.status == "succeeded" and refund.provider_ref
    clock.advance(minutes=4)
    assert run("refunds-retry", db, clock, provider)["waiting"] == 0  # nothing left to send


def test_payments_reconcile_applies_a_payment_whose_webhook_was_lost(app, db, clock, vend_kiosk) -> None:
    provider = app.extensions["dongxi.payments"]
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    with db.unit_of_work() as session:
        ref = session.scalar(select(Payment.provider_ref).where(Payment.order_id == started["order_id"]))
    provider.simulate_pay(ref)  # paid at the provider; its event never reaches us

    done = run("payments-reconcile", db, clock, provider)
    assert (done["checked"], done["repaired"], done["failed"]) == (1, 1, 0)
    assert order_status(db, started["order_id"]) == "paid"
    assert run("payments-reconcile", db, clock, provider)["checked"] == 0


def test_nonces_prune_forgets_nonces_once_too_old_to_replay(app, db, session, clock) -> None:
    provider = app.extensions["dongxi.payments"]
    session.add_all(DeviceNonce(key_id="k-jobs", nonce=f"n-{i}", seen_at=clock.now()) for i in range(4))
    session.commit()
    assert run("nonces-prune", db, clock, provider) == {"pruned": 0}
    clock.advance(minutes=30)
    assert run("nonces-prune", db, clock, provider) == {"pruned": 4}
    assert run("nonces-prune", db, clock, provider) == {"pruned": 0}


def test_kiosk_alerts_logs_a_door_left_open_and_a_silent_kiosk_once(
    app, db, session, clock, vend_kiosk, caplog
) -> None:
    provider = app.extensions["dongxi.payments"]
    assert vend_kiosk.post("/heartbeat", {"door": "open", "software_version": "t"}).status_code in (200, 204)
    for device in session.scalars(select(KioskDevice).where(KioskDevice.status == "active")):
        if device.last_seen_at is None:  # other provisioned demo cabinets: seen now too, door shut
            device.last_seen_at = clock.now()
    session.commit()
    caplog.set_level(logging.WARNING, logger="dongxi.jobs")

    def alerts(minutes: int) -> dict:  # type: ignore[type-arg]
        clock.advance(minutes=minutes)
        return run("kiosk-alerts", db, clock, provider)

    assert alerts(2) == {"offline": 0, "door_open": 0, "new": 0}
    assert alerts(2) == {"offline": 0, "door_open": 1, "new": 1}  # open for 4 min
    assert alerts(1) == {"offline": 0, "door_open": 1, "new": 0}  # still open: not logged again
    offline = alerts(1)  # 6 min without a heartbeat
    assert offline["new"] >= 1 and offline["offline"] >= 1
    logged = [r.getMessage() for r in caplog.records if r.name == "dongxi.jobs.alerts"]
    assert sum("door_open FZ-0001" in m for m in logged) == 1
    assert sum("kiosk_offline FZ-0001" in m for m in logged) == 1


def test_rollup_check_passes_on_a_sound_ledger_and_logs_an_error_when_the_rollup_is_off(
    app, db, session, clock, caplog
) -> None:
    provider = app.extensions["dongxi.payments"]
    caplog.set_level(logging.INFO, logger="dongxi.jobs")
    job = BY_NAME["rollup-check"]
    sound = run_job(job, db, clock, provider)
    assert sound.ok and sound.result == {"periods": "2026-10,2026-11", "errors": 0}

    # A rollup row the ledger has no entries for: the statements would show money never booked.
    session.add(
        RevenueRollup(
            period="2026-11",
            sale_period="2026-11",
            county_code="640402",
            supplier_id=1,
            product_id=1,
            channel="kiosk",
            buyer_kind="individual",
            certified=True,
            partner_code=NO_PARTNER,
            location_id=NO_LOCATION,
            sale_fen=100,
            sale_qty=1,
            entry_count=1,
        )
    )
    session.commit()
    off = run_job(job, db, clock, provider)
    assert off.status == "done" and off.result["errors"] >= 1 and not off.ok
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("rollup of 2026-11 differs" in r.getMessage() for r in errors)
    assert any(r.getMessage().startswith("job rollup-check done") for r in errors)
