"""A vend session line may name a product (sku) instead of a slot: the server chooses the slots that
hold it and have stock, and answers per slot as for slot lines (KIOSK_PROTOCOL.md)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tests.api.kiosk.conftest import SignedKiosk


def slots_by_sku(kiosk: SignedKiosk) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for slot in kiosk.get("/catalogue").get_json()["slots"]:
        grouped[slot["product"]["sku"]].append(slot)
    return grouped


def twice_stocked(kiosk: SignedKiosk) -> list[dict[str, Any]]:
    """The slots of a product two slots hold, both with stock (the demo's A1 and A2)."""
    shared = [s for s in slots_by_sku(kiosk).values() if len(s) >= 2 and all(x["available"] > 0 for x in s)]
    assert shared, "the demo cabinet FZ-0001 holds one product in two stocked slots"
    return shared[0]


def test_a_product_line_is_split_over_the_slots_holding_it(vend_kiosk) -> None:
    first, second = twice_stocked(vend_kiosk)[:2]
    sku = first["product"]["sku"]
    qty = first["available"] + 1
    response = vend_kiosk.post("/sessions", {"lines": [{"sku": sku, "qty": qty}]})
    assert response.status_code == 201, response.get_json()
    started = response.get_json()
    assert [(line["slot"], line["sku"], line["qty"]) for line in started["lines"]] == [
        (first["slot"], sku, first["available"]),
        (second["slot"], sku, 1),
    ]
    assert started["total_fen"] == qty * first["product"]["price_fen"]
    after = {s["slot"]: s["available"] for s in vend_kiosk.get("/catalogue").get_json()["slots"]}
    assert after[first["slot"]] == 0 and after[second["slot"]] == second["available"] - 1


def test_a_product_line_skips_what_the_requests_slot_lines_already_take(vend_kiosk) -> None:
    first, second = twice_stocked(vend_kiosk)[:2]
    sku = first["product"]["sku"]
    body = {"lines": [{"slot": first["slot"], "qty": first["available"]}, {"sku": sku, "qty": 1}]}
    started = vend_kiosk.post("/sessions", body).get_json()
    assert [(line["slot"], line["qty"]) for line in started["lines"]] == [
        (first["slot"], first["available"]),
        (second["slot"], 1),
    ]


def test_more_of_a_product_than_its_slots_hold_is_409_naming_the_line_and_holds_nothing(vend_kiosk) -> None:
    slots = twice_stocked(vend_kiosk)
    sku = slots[0]["product"]["sku"]
    total = sum(s["available"] for s in slots)
    other = next(
        s
        for s in vend_kiosk.get("/catalogue").get_json()["slots"]
        if s["product"]["sku"] != sku and s["available"]
    )
    body = {"lines": [{"slot": other["slot"], "qty": 1}, {"sku": sku, "qty": total + 1}]}
    response = vend_kiosk.post("/sessions", body)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "out_of_stock" and error["fields"] == {"lines.1.sku": f"only {total} left"}
    after = {s["slot"]: s["available"] for s in vend_kiosk.get("/catalogue").get_json()["slots"]}
    assert after[other["slot"]] == other["available"]
    assert [after[s["slot"]] for s in slots] == [s["available"] for s in slots]


def test_bad_product_lines_are_422_naming_the_field(vend_kiosk) -> None:
    sku = twice_stocked(vend_kiosk)[0]["product"]["sku"]
    cases = [
        ({"lines": [{"sku": "NO-SUCH-SKU", "qty": 1}]}, "lines.0.sku"),
        ({"lines": [{"sku": "lower case", "qty": 1}]}, "lines.0.sku"),
        ({"lines": [{"sku": sku, "slot": "A1", "qty": 1}]}, "lines.0.slot"),
        ({"lines": [{"qty": 1}]}, "lines.0.slot"),
        ({"lines": [{"sku": sku, "qty": 0}]}, "lines.0.qty"),
    ]
    for body, field in cases:
        response = vend_kiosk.post("/sessions", body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())


def test_the_catalogue_names_category_and_county_in_english_too(vend_kiosk) -> None:
    body = vend_kiosk.get("/catalogue").get_json()
    product = body["slots"][0]["product"]
    assert product["category"] and set(product["category_name"]) == {"zh", "en"}
    assert product["county"]["name_en"] and product["county"]["name_en"] != product["county"]["name"]
    assert body["kiosk"]["name_en"].startswith("Fuzhou")
