"""Examples of the console's catalogue forms: a new product, suppliers, regions and pairings."""

from __future__ import annotations

from sqlalchemy import select

from catalogue.models import Pairing, Supplier
from tests.api.audit_examples import Ctx, example
from tests.api.console.test_origin_forms import supplier_form
from tests.api.console.test_product_forms import product_form
from tests.audit_watch import Seen

PAIRING = {"east": "320500", "west": "640422", "valid_from": "2026-01-01", "valid_to": "", "note_zh": "x"}


@example("POST /console/catalogue/new")
def add_a_product(ctx: Ctx) -> Seen:
    supplier = ctx.session.scalar(select(Supplier.id).where(Supplier.county_code == "610830").limit(1))
    return ctx.page("operator", "/console/catalogue/new", product_form(supplier))


@example("POST /console/suppliers/new")
def register_a_supplier(ctx: Ctx) -> Seen:
    return ctx.page("operator", "/console/suppliers/new", supplier_form())


@example("POST /console/suppliers/<int:supplier_id>")
def edit_a_supplier(ctx: Ctx) -> Seen:
    supplier = ctx.session.scalar(select(Supplier).order_by(Supplier.id))
    form = {
        "name_zh": supplier.name_zh,
        "name_en": supplier.name_en,
        "kind": supplier.kind,
        "county": supplier.county_code,
        "credit_code": supplier.credit_code,
        "households_linked": str((supplier.households_linked or 0) + 1),
        "payout_account": supplier.payout_account or "",
    }
    return ctx.page("operator", f"/console/suppliers/{supplier.id}", form)


@example("POST /console/regions/new")
def add_a_county(ctx: Ctx) -> Seen:
    form = {"code": "640498", "name_zh": "测试县", "name_en": "Test County", "level": "county"}
    return ctx.page("operator", "/console/regions/new", {**form, "parent": "640400"})


@example("POST /console/regions/<string:code>")
def rename_a_county(ctx: Ctx) -> Seen:
    return ctx.page("operator", "/console/regions/640422", {"name_zh": "西吉县（改）", "name_en": "Renamed"})


@example("POST /console/pairings/new")
def add_a_pairing(ctx: Ctx) -> Seen:
    return ctx.page("operator", "/console/pairings/new", PAIRING)


@example("POST /console/pairings/<int:pairing_id>")
def note_a_pairing(ctx: Ctx) -> Seen:
    pairing = ctx.session.scalar(select(Pairing).order_by(Pairing.id))
    until = pairing.valid_to.isoformat() if pairing.valid_to else ""
    form = {"valid_from": pairing.valid_from.isoformat(), "valid_to": until, "note_zh": "测试结对"}
    return ctx.page("operator", f"/console/pairings/{pairing.id}", {**form, "note_en": ""})
