"""Over the device protocol: a vending slot holding an expired unit shows available 0 with
`blocked`, a session for it is 409 naming the slot with nothing written, the ETag turns with the
expiry day without any write, and the restocker's pull puts the slot back on sale."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from catalogue.models import Product
from core.clock import SHANGHAI
from inventory.models import Location, Lot, Reservation, Slot, StockBalance
from payments.models import Payment
from sales.models import Order


def slots(kiosk) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {s["slot"]: s for s in kiosk.get("/catalogue").get_json()["slots"]}


def written(session) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    return (
        session.scalar(select(func.count()).select_from(Order)),
        session.scalar(select(func.count()).select_from(Reservation)),
        session.scalar(select(func.count()).select_from(Payment)),
        session.scalar(select(func.sum(StockBalance.reserved))),
    )


def expired_alerts(client, auth, slot: str) -> list[dict]:  # type: ignore[no-untyped-def]
    alerts = client.get("/api/v1/alerts?location=FZ-0001", headers=auth("operator")).get_json()
    return [a for a in alerts if a["kind"] == "expired_in_kiosk" and a["slot"] == slot]


def test_the_demo_slot_with_an_expired_lot_is_blocked_and_a_fresh_one_sells(vend_kiosk) -> None:
    catalogue = slots(vend_kiosk)
    assert catalogue["A3"]["available"] == 0 and catalogue["A3"]["blocked"] == "expired_stock"
    assert catalogue["A1"]["available"] > 0 and "blocked" not in catalogue["A1"]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": "A1", "qty": 1}]})
    assert started.status_code == 201, started.get_json()


def test_a_session_for_a_blocked_slot_is_409_naming_it_and_writes_nothing(vend_kiosk, session) -> None:
    before = written(session)
    body = {"lines": [{"slot": "A1", "qty": 1}, {"slot": "A3", "qty": 1}]}
    response = vend_kiosk.post("/sessions", body, headers={"Idempotency-Key": "expired-a3"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "out_of_stock" and set(error["fields"]) == {"lines.1.slot"}
    assert "expired" in error["fields"]["lines.1.slot"]
    assert written(session) == before


def test_the_etag_turns_when_a_lot_in_the_kiosk_expires_though_nothing_is_written(
    vend_kiosk, session, clock
) -> None:
    c4 = session.scalar(select(Slot).join(Location).where(Location.code == "FZ-0001", Slot.code == "C4"))
    last_day = session.scalar(
        select(func.min(Lot.expires_on))
        .join(StockBalance, StockBalance.lot_id == Lot.id)
        .where(StockBalance.slot_id == c4.id, StockBalance.on_hand > 0)
    )
    clock.set(datetime.combine(last_day, time(23, 59), tzinfo=SHANGHAI))
    first = vend_kiosk.get("/catalogue")
    c4_then = next(s for s in first.get_json()["slots"] if s["slot"] == "C4")
    assert c4_then["available"] > 0 and "blocked" not in c4_then
    tag = first.headers["ETag"]
    assert vend_kiosk.get("/catalogue", headers={"If-None-Match": tag}).status_code == 304
    version = session.scalar(select(Location.catalogue_version).where(Location.code == "FZ-0001"))

    clock.set(datetime.combine(last_day + timedelta(days=1), time(0, 1), tzinfo=SHANGHAI))
    after = vend_kiosk.get("/catalogue", headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["ETag"] != tag
    c4_now = next(s for s in after.get_json()["slots"] if s["slot"] == "C4")
    assert c4_now == {**c4_then, "available": 0, "blocked": "expired_stock"}
    session.expire_all()
    assert session.scalar(select(Location.catalogue_version).where(Location.code == "FZ-0001")) == version
    refused = vend_kiosk.post("/sessions", {"lines": [{"slot": "C4", "qty": 1}]})
    assert refused.status_code == 409 and "lines.0.slot" in refused.get_json()["error"]["fields"]


def test_one_alert_names_the_kiosk_and_product_and_the_pull_clears_it(
    vend_kiosk, client, auth, session
) -> None:
    for _ in range(3):  # catalogue syncs and refused sessions raise nothing more
        assert vend_kiosk.post("/sessions", {"lines": [{"slot": "A3", "qty": 1}]}).status_code == 409
    [alert] = expired_alerts(client, auth, "A3")
    product = session.scalar(select(Product).where(Product.sku == alert["product"]["sku"]))
    kiosk = session.scalar(select(Location).where(Location.code == "FZ-0001"))
    assert alert["severity"] == "critical"
    assert f"{kiosk.name_zh} A3 {product.name_zh}：有过期批次，已停售，请取出" in alert["message"]
    assert f"A3 {product.name_en}: expired lot in the slot, off sale until pulled" in alert["message"]
    assert expired_alerts(client, auth, "A3") == [alert]
    blocked_tag = vend_kiosk.get("/catalogue").headers["ETag"]

    pick = client.get("/api/v1/kiosks/FZ-0001/pick-list", headers=auth("restocker")).get_json()
    [a3] = [line for line in pick["lines"] if line["slot"] == "A3"]
    assert a3["take_out"], a3
    visit = {
        "removed": [
            {"slot": "A3", "lot": t["lot"], "qty": t["qty"], "reason": "expired"} for t in a3["take_out"]
        ]
    }
    done = client.post("/api/v1/kiosks/FZ-0001/restock-visits", json=visit, headers=auth("restocker"))
    assert done.status_code == 201, done.get_json()

    assert expired_alerts(client, auth, "A3") == []
    unblocked = vend_kiosk.get("/catalogue", headers={"If-None-Match": blocked_tag})
    assert unblocked.status_code == 200
    a3_now = next(s for s in unblocked.get_json()["slots"] if s["slot"] == "A3")
    assert a3_now["available"] > 0 and "blocked" not in a3_now
    assert vend_kiosk.post("/sessions", {"lines": [{"slot": "A3", "qty": 1}]}).status_code == 201
