"""Examples of the operator API's catalogue and stock writes (bearer tokens of staff roles)."""

from __future__ import annotations

from sqlalchemy import select

from catalogue.models import Pairing, Supplier
from catalogue.validators import credit_code_check_char
from tests.api.audit_examples import Ctx, example
from tests.api.audit_examples.setups import HONEY
from tests.audit_watch import Seen
from tests.integration.orgs.factories import product

INV = "/api/v1/inventory"


def _supplier_id(ctx: Ctx) -> int:
    return ctx.session.scalar(select(Supplier.id).where(Supplier.county_code == "610830").limit(1))


@example("POST /api/v1/regions")
def add_region(ctx: Ctx) -> Seen:
    body = {"code": "640499", "name_zh": "测试区", "name_en": "Test", "level": "county", "parent": "640400"}
    return ctx.api("operator", "POST", "/api/v1/regions", body)


@example("PATCH /api/v1/regions/<string:code>")
def rename_region(ctx: Ctx) -> Seen:
    return ctx.api("admin", "PATCH", "/api/v1/regions/640422", {"name_en": "Xiji"})


@example("POST /api/v1/pairings")
def add_pairing(ctx: Ctx) -> Seen:
    body = {"east": "350100", "west": "640422", "valid_from": "2026-01-01"}
    return ctx.api("operator", "POST", "/api/v1/pairings", body)


@example("PATCH /api/v1/pairings/<int:pairing_id>")
def note_pairing(ctx: Ctx) -> Seen:
    pairing_id = ctx.session.scalar(select(Pairing.id).order_by(Pairing.id).limit(1))
    return ctx.api("operator", "PATCH", f"/api/v1/pairings/{pairing_id}", {"note_en": "renewed"})


@example("POST /api/v1/suppliers")
def add_supplier(ctx: Ctx) -> Seen:
    first17 = "93640422MA0TE7T01"
    body = {
        "name_zh": "测试合作社（测试）",
        "kind": "cooperative",
        "county": "640422",
        "credit_code": first17 + credit_code_check_char(first17),
        "households_linked": 12,
    }
    return ctx.api("operator", "POST", "/api/v1/suppliers", body)


@example("PATCH /api/v1/suppliers/<int:supplier_id>")
def link_households(ctx: Ctx) -> Seen:
    path = f"/api/v1/suppliers/{_supplier_id(ctx)}"
    return ctx.api("operator", "PATCH", path, {"households_linked": 321})


@example("POST /api/v1/products")
def add_product(ctx: Ctx) -> Seen:
    body = {
        "sku": "NEW-MILLET-2KG",
        "name_zh": "测试小米",
        "category": "grain",
        "spec": "2kg/袋",
        "price_fen": 3600,
        "county": "610830",
        "supplier": _supplier_id(ctx),
        "shelf_life_days": 365,
    }
    return ctx.api("operator", "POST", "/api/v1/products", body)


@example("PATCH /api/v1/products/<int:product_id>")
def reprice_product(ctx: Ctx) -> Seen:
    potato = product(ctx.session, "GY-POTATO-5KG")
    return ctx.api("operator", "PATCH", f"/api/v1/products/{potato.id}", {"price_fen": potato.price_fen + 10})


@example("POST /api/v1/inventory/locations")
def add_kiosk(ctx: Ctx) -> Seen:
    kiosk = {
        "code": "FZ-0003",
        "kind": "kiosk",
        "mode": "vend",
        "name_zh": "福州三坊七巷专柜（测试）",
        "partner": "350100",
        "warehouse": "FZ-WH-01",
        "route": "FZ-R1",
    }
    return ctx.api("operator", "POST", f"{INV}/locations", kiosk)


@example("PATCH /api/v1/inventory/locations/<string:code>")
def set_open_door_hold(ctx: Ctx) -> Seen:
    return ctx.api("operator", "PATCH", f"{INV}/locations/FZ-0002", {"open_door_hold_fen": 12_000})


@example("POST /api/v1/inventory/locations/<string:code>/slots")
def add_slot(ctx: Ctx) -> Seen:
    slot = {"code": "D9", "product": product(ctx.session, "GY-OATS-1KG").id, "capacity": 6, "par_level": 4}
    return ctx.api("operator", "POST", f"{INV}/locations/FZ-0001/slots", slot)


@example("PATCH /api/v1/inventory/locations/<string:code>/slots/<string:slot>")
def raise_par_level(ctx: Ctx) -> Seen:
    return ctx.api("operator", "PATCH", f"{INV}/locations/FZ-0001/slots/A1", {"par_level": 7})


@example("POST /api/v1/inventory/receipts")
def receive_goods(ctx: Ctx) -> Seen:
    body = {
        "location": "FZ-WH-01",
        "product": product(ctx.session, HONEY).id,
        "lot": "FZ-HONEY-2705",
        "expires_on": "2027-05-31",
        "qty": 12,
        "reference": "PO-2026-118",
    }
    return ctx.api("operator", "POST", f"{INV}/receipts", body)


@example("POST /api/v1/inventory/transfers")
def fill_a_slot(ctx: Ctx) -> Seen:
    body = {"from": "FZ-WH-01", "to": "FZ-0001", "to_slot": "C2", "qty": 4}
    return ctx.api("operator", "POST", f"{INV}/transfers", body)


@example("POST /api/v1/inventory/writeoffs")
def write_off_expired(ctx: Ctx) -> Seen:
    body = {"location": "FZ-0001", "slot": "A3", "qty": 2, "reason": "expired"}
    return ctx.api("admin", "POST", f"{INV}/writeoffs", body)


@example("POST /api/v1/inventory/counts")
def count_a_slot(ctx: Ctx) -> Seen:
    return ctx.api("restocker", "POST", f"{INV}/counts", {"location": "FZ-0001", "slot": "A1", "counted": 3})


@example("POST /api/v1/kiosks/<string:code>/restock-visits")
def restock_visit(ctx: Ctx) -> Seen:
    pick = ctx.client.get("/api/v1/kiosks/FZ-0001/pick-list", headers=ctx.auth("restocker")).get_json()
    lines = {line["slot"]: line for line in pick["lines"]}
    visit = {
        "removed": [{"slot": "A3", "lot": lq["lot"], "qty": lq["qty"]} for lq in lines["A3"]["take_out"]],
        "put": [
            {"slot": s, "lot": lq["lot"], "qty": lq["qty"]}
            for s, line in lines.items()
            for lq in line["lots"]
        ],
    }
    return ctx.api("restocker", "POST", "/api/v1/kiosks/FZ-0001/restock-visits", visit)
