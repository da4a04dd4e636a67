"""Reading stock over HTTP: the demo's locations, balances, ledger, pick lists and alerts."""

from datetime import timedelta

from sqlalchemy import select

from catalogue.models import Product
from inventory import service
from inventory.models import Location

GUYUAN_COUNTIES = {"640422", "640423", "640424", "640425"}


def test_the_demo_has_two_warehouses_and_two_stocked_fuzhou_kiosks(client, auth) -> None:
    body = client.get("/api/v1/inventory/locations", headers=auth("auditor")).get_json()
    by_code = {loc["code"]: loc for loc in body}
    assert {"FZ-WH-01", "NB-WH-01", "FZ-0001", "FZ-0002"} <= set(by_code)
    assert (by_code["FZ-0001"]["mode"], len(by_code["FZ-0001"]["slots"])) == ("vend", 12)
    assert by_code["FZ-0002"]["mode"] == "open_door" and by_code["FZ-0002"]["warehouse"] == "FZ-WH-01"
    assert by_code["NB-WH-01"]["partner"] == "330200"


def test_demo_kiosks_sell_only_guyuan_products_and_hold_stock(client, auth, session) -> None:
    for code in ("FZ-0001", "FZ-0002"):
        kiosk = client.get(f"/api/v1/inventory/locations/{code}", headers=auth("operator")).get_json()
        skus = {slot["product"]["sku"] for slot in kiosk["slots"]}
        counties = set(session.scalars(select(Product.county_code).where(Product.sku.in_(skus))))
        assert counties <= GUYUAN_COUNTIES
        balances = client.get(
            f"/api/v1/inventory/balances?location={code}", headers=auth("auditor")
        ).get_json()
        assert sum(b["on_hand"] for b in balances) > 10


def test_balances_show_expired_lots_and_what_is_available(client, auth, session, clock) -> None:
    kiosk = session.scalar(select(Location).where(Location.code == "FZ-0001"))
    noodles = session.scalar(select(Product.id).where(Product.sku == "GY-INSTANT-VERMICELLI-6"))
    service.reserve(
        session,
        clock,
        order_ref="API-1",
        location_id=kiosk.id,
        lines=[(noodles, 2)],
        expires_at=clock.now() + timedelta(minutes=3),
        slot_codes=["A1"],
    )
    session.flush()
    rows = client.get("/api/v1/inventory/balances?location=FZ-0001", headers=auth("auditor")).get_json()
    a1 = next(b for b in rows if b["slot"] == "A1")
    assert (a1["on_hand"], a1["reserved"], a1["available"], a1["expired"]) == (5, 2, 3, False)
    assert any(b["slot"] == "A3" and b["expired"] for b in rows)
    held = client.get("/api/v1/inventory/reservations?order_ref=API-1", headers=auth("auditor")).get_json()
    assert [(r["slot"], r["qty"], r["status"]) for r in held] == [("A1", 2, "active")]
    clock.advance(minutes=4)
    rows = client.get("/api/v1/inventory/balances?location=FZ-0001", headers=auth("auditor")).get_json()
    assert next(b for b in rows if b["slot"] == "A1")["reserved"] == 0


def test_the_ledger_pages_in_the_order_it_was_written(client, auth) -> None:
    page = client.get(
        "/api/v1/inventory/movements?location=FZ-0001&per_page=5", headers=auth("auditor")
    ).get_json()
    assert page["total"] >= 12 and len(page["items"]) == 5
    ids = [m["id"] for m in page["items"]]
    assert ids == sorted(ids) and all(m["to"] == "FZ-0001" for m in page["items"])


def test_the_pick_list_of_fz_0001(client, auth) -> None:
    response = client.get("/api/v1/kiosks/FZ-0001/pick-list", headers=auth("restocker"))
    assert response.status_code == 200
    pick = response.get_json()
    lines = {line["slot"]: line for line in pick["lines"]}
    assert pick["warehouse"] == "FZ-WH-01" and len(lines) == 12
    assert [(t["lot"], t["qty"]) for t in lines["A3"]["take_out"]] == [("L20261125", 2)]
    assert (lines["C2"]["sellable"], lines["C2"]["bring"]) == (0, 4)
    assert [(lq["lot"], lq["qty"]) for lq in lines["C2"]["lots"]] == [("L20261130", 4)]
    assert lines["B1"]["bring"] == 3 and lines["A4"]["bring"] == 0


def test_a_route_pick_list_covers_its_kiosks(client, auth) -> None:
    pick = client.get("/api/v1/routes/FZ-R1/pick-list", headers=auth("restocker")).get_json()
    assert [k["kiosk"] for k in pick["kiosks"]] == ["FZ-0001", "FZ-0002"]
    assert pick["load"] and all(row["warehouse"] == "FZ-WH-01" for row in pick["load"])
    assert client.get("/api/v1/routes/NOWHERE/pick-list", headers=auth("restocker")).status_code == 404
    assert client.get("/api/v1/kiosks/FZ-WH-01/pick-list", headers=auth("restocker")).status_code == 404


def test_alerts_name_the_expired_the_empty_and_the_soon_expiring(client, auth) -> None:
    alerts = client.get("/api/v1/alerts?within_days=5", headers=auth("operator")).get_json()
    found = {(a["kind"], a["location"], a["slot"]) for a in alerts}
    assert ("expired_in_kiosk", "FZ-0001", "A3") in found
    assert ("low_stock", "FZ-0001", "C2") in found and ("low_stock", "FZ-0001", "B1") in found
    assert ("expiring_soon", "FZ-0002", "S2") in found  # apricots, two days left
    assert ("expired_in_stock", "NB-WH-01", None) not in found
    assert alerts[0]["severity"] == "critical"
    bad = client.get("/api/v1/alerts?within_days=-1", headers=auth("operator"))
    assert bad.status_code == 422 and "within_days" in bad.get_json()["error"]["fields"]
    assert client.get("/api/v1/alerts?colour=red", headers=auth("operator")).status_code == 422
