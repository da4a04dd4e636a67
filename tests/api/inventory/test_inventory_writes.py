"""Operator writes on stock: good input is recorded in the ledger; bad input is a 4xx naming the
field, and nothing is written."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from catalogue.models import Product
from inventory.models import StockBalance, StockMovement

API = "/api/v1/inventory"


def pid(session, sku: str) -> int:
    return session.scalar(select(Product.id).where(Product.sku == sku))


def ledger_state(session) -> tuple[int, int, int]:
    movements = session.scalar(select(func.count()).select_from(StockMovement))
    on_hand = session.scalar(select(func.sum(StockBalance.on_hand)))
    reserved = session.scalar(select(func.sum(StockBalance.reserved)))
    return movements, on_hand, reserved


def test_a_receipt_records_a_new_lot_and_adds_stock(client, auth, session) -> None:
    body = {
        "location": "FZ-WH-01",
        "product": pid(session, "GY-HONEY-500G"),
        "lot": "FZ-HONEY-2705",
        "expires_on": "2027-05-31",
        "qty": 12,
        "reference": "PO-2026-118",
    }
    response = client.post(f"{API}/receipts", json=body, headers=auth("operator"))
    assert response.status_code == 201, response.get_json()
    movement = response.get_json()
    assert (movement["kind"], movement["to"], movement["from"], movement["lot"], movement["qty"]) == (
        "receipt",
        "FZ-WH-01",
        None,
        "FZ-HONEY-2705",
        12,
    )
    assert movement["actor"] == "demo-operator"


def test_a_transfer_to_an_empty_slot_takes_the_earliest_unexpired_lot(client, auth) -> None:
    body = {"from": "FZ-WH-01", "to": "FZ-0001", "to_slot": "C2", "qty": 4}
    response = client.post(f"{API}/transfers", json=body, headers=auth("operator"))
    assert response.status_code == 201, response.get_json()
    assert [(m["lot"], m["qty"], m["to_slot"]) for m in response.get_json()] == [("L20261130", 4, "C2")]


def test_a_slot_count_writes_the_difference(client, auth) -> None:
    count = {"location": "FZ-0001", "slot": "A1", "counted": 5}
    response = client.post(f"{API}/counts", json=count, headers=auth("restocker"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"previous": 5, "counted": 5, "difference": 0, "movements": []}
    response = client.post(f"{API}/counts", json={**count, "counted": 3}, headers=auth("restocker"))
    result = response.get_json()
    assert (
        result["difference"],
        [(m["kind"], m["qty"], m["from"], m["from_slot"]) for m in result["movements"]],
    ) == (
        -2,
        [("count", 2, "FZ-0001", "A1")],
    )


def test_expired_goods_are_written_off_from_the_slot(client, auth) -> None:
    body = {"location": "FZ-0001", "slot": "A3", "qty": 2, "reason": "expired"}
    response = client.post(f"{API}/writeoffs", json=body, headers=auth("admin"))
    assert response.status_code == 201, response.get_json()
    assert [(m["kind"], m["reason"], m["lot"], m["qty"]) for m in response.get_json()] == [
        ("writeoff", "expired", "L20261125", 2)
    ]


TEST_DAY = date(2026, 11, 26)  # tests.conftest.TEST_NOW in Shanghai; demo lots expire relative to it
HONEY_LOT = f"L{TEST_DAY + timedelta(days=500):%Y%m%d}"
NOODLES_SOON = f"L{TEST_DAY + timedelta(days=20):%Y%m%d}"  # all 12 units went to the kiosks
RECEIPT = {"location": "FZ-WH-01", "lot": "NEW-LOT", "expires_on": "2027-12-31", "qty": 3}
TRANSFER = {"from": "FZ-WH-01", "to": "FZ-0001", "to_slot": "B3", "qty": 1}
BAD_WRITES = [
    ("receipts", {**RECEIPT, "product": 999_999}, "product", 422),
    ("receipts", {**RECEIPT, "qty": -1}, "qty", 422),
    ("receipts", {**RECEIPT, "qty": 0}, "qty", 422),
    ("receipts", {**RECEIPT, "qty": "3"}, "qty", 422),
    ("receipts", {**RECEIPT, "qty": 1.5}, "qty", 422),
    ("receipts", {**RECEIPT, "location": "NOWHERE"}, "location", 422),
    ("receipts", {**RECEIPT, "location": "FZ-0001"}, "location", 422),
    ("receipts", {**RECEIPT, "expires_on": "2026-11-25"}, "expires_on", 422),
    ("receipts", {**RECEIPT, "expires_on": None}, "expires_on", 422),
    ("receipts", {**RECEIPT, "expires_on": "soon"}, "expires_on", 422),
    ("receipts", {**RECEIPT, "lot": ""}, "lot", 422),
    ("receipts", {**RECEIPT, "colour": "red"}, "colour", 422),
    ("receipts", {**RECEIPT, "lot": HONEY_LOT, "expires_on": "2027-01-01"}, "expires_on", 409),
    ("transfers", {**TRANSFER, "qty": 999}, "qty", 409),  # more than the warehouse has
    ("transfers", {**TRANSFER, "to_slot": "B1", "qty": 6}, "qty", 422),  # more than the slot holds
    ("transfers", {**TRANSFER, "to_slot": "A1", "lot": NOODLES_SOON}, "qty", 409),  # none of that lot left
    ("transfers", {**TRANSFER, "to_slot": "Z9"}, "to_slot", 422),
    ("transfers", {**TRANSFER, "to_slot": None}, "to_slot", 422),
    ("transfers", {k: v for k, v in TRANSFER.items() if k != "to_slot"}, "to_slot", 422),
    ("transfers", {k: v for k, v in TRANSFER.items() if k != "from"}, "from", 422),
    ("transfers", {**TRANSFER, "to_slot": "A3", "lot": "L20261125"}, "lot", 422),  # expired, into a kiosk
    ("transfers", {**TRANSFER, "lot": "NO-SUCH-LOT"}, "lot", 422),
    ("transfers", {**TRANSFER, "product": 1}, "product", 422),
    ("transfers", {**TRANSFER, "to": "FZ-WH-01", "to_slot": None}, "to", 422),
    ("writeoffs", {"location": "FZ-0001", "slot": "A1", "qty": 1, "reason": "bored"}, "reason", 422),
    ("writeoffs", {"location": "FZ-0001", "slot": "A1", "qty": 0, "reason": "damaged"}, "qty", 422),
    ("writeoffs", {"location": "FZ-0001", "slot": "A1", "qty": 6, "reason": "damaged"}, "qty", 409),
    ("writeoffs", {"location": "FZ-0001", "slot": "A1", "qty": 1, "reason": "expired"}, "qty", 409),
    ("counts", {"location": "FZ-0001", "slot": "A1", "counted": -1}, "counted", 422),
    ("counts", {"location": "FZ-0001", "slot": "A1", "counted": "5"}, "counted", 422),
    ("counts", {"location": "FZ-0001", "slot": "Q7", "counted": 5}, "slot", 422),
    ("counts", {"location": "FZ-0001", "counted": 5}, "slot", 422),
    ("counts", {"location": "FZ-WH-01", "counted": 5}, "product", 422),
    ("counts", {"location": "FZ-WH-01", "slot": "A1", "counted": 5}, "slot", 422),
]


@pytest.mark.parametrize(("endpoint", "body", "field", "status"), BAD_WRITES)
def test_bad_stock_writes_are_refused_naming_the_field_and_nothing_is_written(
    client, auth, session, endpoint, body, field, status
) -> None:
    if endpoint == "receipts" and "product" not in body:
        body = {**body, "product": pid(session, "GY-HONEY-500G")}
    before = ledger_state(session)
    response = client.post(f"{API}/{endpoint}", json=body, headers=auth("operator"))
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert field in error["fields"], error
    assert ledger_state(session) == before


def test_a_restock_visit_with_a_bad_line_writes_nothing(client, auth, session) -> None:
    before = ledger_state(session)
    visit = {
        "removed": [{"slot": "A3", "qty": 2}],
        "put": [{"slot": "C2", "lot": "L20261130", "qty": 4}, {"slot": "C2", "lot": "L20261130", "qty": 4}],
    }
    response = client.post("/api/v1/kiosks/FZ-0001/restock-visits", json=visit, headers=auth("restocker"))
    assert response.status_code == 422
    assert "put.1.qty" in response.get_json()["error"]["fields"]
    assert ledger_state(session) == before


def test_a_restock_visit_takes_out_the_expired_and_fills_from_the_pick_list(client, auth) -> None:
    pick = client.get("/api/v1/kiosks/FZ-0001/pick-list", headers=auth("restocker")).get_json()
    lines = {line["slot"]: line for line in pick["lines"]}
    visit = {
        "removed": [{"slot": "A3", "lot": lq["lot"], "qty": lq["qty"]} for lq in lines["A3"]["take_out"]],
        "put": [
            {"slot": slot, "lot": lq["lot"], "qty": lq["qty"]}
            for slot, line in lines.items()
            for lq in line["lots"]
        ],
    }
    response = client.post("/api/v1/kiosks/FZ-0001/restock-visits", json=visit, headers=auth("restocker"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["reference"].startswith("restock:FZ-0001:")
    after = client.get("/api/v1/kiosks/FZ-0001/pick-list", headers=auth("restocker")).get_json()
    for line in after["lines"]:
        assert line["take_out"] == [] and line["bring"] == line["short"], line


def test_a_restock_visit_repeated_with_its_idempotency_key_is_recorded_once(client, auth, session) -> None:
    visit = {"removed": [{"slot": "A3", "qty": 2}]}
    headers = {**auth("restocker"), "Idempotency-Key": "visit-fz-0001-0001"}
    first = client.post("/api/v1/kiosks/FZ-0001/restock-visits", json=visit, headers=headers)
    assert first.status_code == 201, first.get_json()
    after = ledger_state(session)
    again = client.post("/api/v1/kiosks/FZ-0001/restock-visits", json=visit, headers=headers)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert first.get_json()["reference"] == "restock:FZ-0001:visit-fz-0001-0001"
    assert ledger_state(session) == after


def test_an_operator_sets_up_a_kiosk_and_its_slots(client, auth, session) -> None:
    kiosk = {
        "code": "FZ-0003",
        "kind": "kiosk",
        "mode": "vend",
        "name_zh": "福州三坊七巷专柜（测试）",
        "partner": "350100",
        "warehouse": "FZ-WH-01",
        "route": "FZ-R1",
    }
    response = client.post(f"{API}/locations", json=kiosk, headers=auth("operator"))
    assert response.status_code == 201, response.get_json()
    slot = {"code": "A1", "product": pid(session, "GY-OATS-1KG"), "capacity": 6, "par_level": 4}
    response = client.post(f"{API}/locations/FZ-0003/slots", json=slot, headers=auth("operator"))
    assert response.status_code == 201 and response.get_json()["product"]["sku"] == "GY-OATS-1KG"
    assert (
        client.post(f"{API}/locations/FZ-0003/slots", json=slot, headers=auth("operator")).status_code == 409
    )
    bad = client.post(
        f"{API}/locations/FZ-0003/slots",
        json={**slot, "code": "A2", "par_level": 7},
        headers=auth("operator"),
    )
    assert bad.status_code == 422 and "par_level" in bad.get_json()["error"]["fields"]
    no_mode = client.post(
        f"{API}/locations", json={**kiosk, "code": "FZ-0004", "mode": None}, headers=auth("operator")
    )
    assert no_mode.status_code == 422 and "mode" in no_mode.get_json()["error"]["fields"]
    pick = client.get("/api/v1/kiosks/FZ-0003/pick-list", headers=auth("operator")).get_json()
    assert [(line["slot"], line["bring"]) for line in pick["lines"]] == [("A1", 4)]


def test_a_slot_holding_stock_keeps_its_product(client, auth, session) -> None:
    change = {"product": pid(session, "GY-OATS-1KG")}
    response = client.patch(f"{API}/locations/FZ-0001/slots/A1", json=change, headers=auth("operator"))
    assert response.status_code == 409 and "product" in response.get_json()["error"]["fields"]
    response = client.patch(
        f"{API}/locations/FZ-0001/slots/A1", json={"par_level": 7}, headers=auth("operator")
    )
    assert response.status_code == 200 and response.get_json()["par_level"] == 7
