"""Console pages of where products come from: suppliers, regions (GB/T 2260) and the pairings of
eastern partners with western regions. Each form goes through the API's schema and the catalogue
service the API calls; on any error nothing is written and the form comes back (422) as typed."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.roles import STAFF_READERS, STAFF_WRITERS
from catalogue import service as catalogue
from catalogue.models import Region, Supplier
from core.labels import REGION_LEVELS, SUPPLIER_KINDS, both
from kiosk_api.console.access import can_edit, console, page_roles
from kiosk_api.console.catalogue_pages import county_choices, region_choices
from kiosk_api.console.forms import Form
from kiosk_api.database import get_clock, get_session
from kiosk_api.schemas.catalogue import (
    PairingIn,
    PairingPatch,
    RegionIn,
    RegionPatch,
    SupplierIn,
    SupplierPatch,
)


def _form_page(
    template: str, values: dict[str, str], errors: dict[str, str], status: int = 200, **more: Any
) -> Any:
    session = get_session()
    page = render_template(
        template,
        values=values,
        errors=errors,
        editable=can_edit(),
        counties=county_choices(session),
        regions=region_choices(session),
        kinds=[(code, both("supplier_kind", code)) for code in SUPPLIER_KINDS],
        level_options=[(code, both("region_level", code)) for code in REGION_LEVELS],
        **more,
    )
    return page, status


# --- suppliers -----------------------------------------------------------------------------


def _read_supplier(form: Form, *, new: bool) -> dict[str, Any] | None:
    data = {
        "name_zh": form.text("name_zh"),
        "name_en": form.text("name_en"),
        "kind": form.choice("kind", SUPPLIER_KINDS),
        "county": form.choice("county", county_choices(get_session())),
        "credit_code": form.text("credit_code").upper(),
        "certified": form.flag("certified"),
        "households_linked": form.whole("households_linked") if form.text("households_linked") else 0,
        "payout_account": form.optional("payout_account"),
    }
    required = ("name_zh", "credit_code")
    return form.load(SupplierIn() if new else SupplierPatch(), data, required)


def _supplier_values(supplier: Supplier) -> dict[str, str]:
    return {
        "name_zh": supplier.name_zh,
        "name_en": supplier.name_en,
        "kind": supplier.kind,
        "county": supplier.county_code,
        "credit_code": supplier.credit_code,
        "certified": "1" if supplier.certified else "",
        "households_linked": str(supplier.households_linked),
        "payout_account": supplier.payout_account or "",
    }


@console.get("/suppliers")
@page_roles(*STAFF_READERS)
def suppliers() -> str:
    """Every supplier with its county, kind, certification and the households it is linked with."""
    rows = catalogue.list_suppliers(get_session())
    return render_template("console/suppliers.html", suppliers=rows, editable=can_edit())


@console.route("/suppliers/new", methods=["GET", "POST"])
@page_roles(*STAFF_WRITERS)
def supplier_new() -> Any:
    """Register a supplier; its unified social credit code must validate."""
    if request.method == "GET":
        return _form_page("console/supplier_form.html", {"kind": "cooperative"}, {}, supplier=None)
    form = Form(request.form)
    supplier = form.save(
        _read_supplier(form, new=True),
        lambda d: catalogue.create_supplier(get_session(), **d),
    )
    if supplier is None:
        return _form_page(
            "console/supplier_form.html", request.form.to_dict(), form.errors, 422, supplier=None
        )
    flash(f"已添加供应商「{supplier.name_zh}」 · supplier added")
    return redirect(url_for("console.supplier_edit", supplier_id=supplier.id), 303)


@console.route("/suppliers/<int:supplier_id>", methods=["GET", "POST"])
@page_roles(*STAFF_READERS)
def supplier_edit(supplier_id: int) -> Any:
    """A supplier's form."""
    session = get_session()
    supplier = catalogue.get_supplier(session, supplier_id)
    if request.method == "GET":
        return _form_page("console/supplier_form.html", _supplier_values(supplier), {}, supplier=supplier)
    form = Form(request.form)
    saved = form.save(
        _read_supplier(form, new=False),
        lambda d: catalogue.update_supplier(session, supplier_id, d),
    )
    if saved is None:
        supplier = catalogue.get_supplier(session, supplier_id)
        return _form_page(
            "console/supplier_form.html", request.form.to_dict(), form.errors, 422, supplier=supplier
        )
    flash("已保存 · saved")
    return redirect(url_for("console.supplier_edit", supplier_id=supplier_id), 303)


# --- regions -------------------------------------------------------------------------------


@console.get("/regions")
@page_roles(*STAFF_READERS)
def regions() -> str:
    """Every region with its level and the region above it."""
    rows = get_session().scalars(select(Region).options(selectinload(Region.parent)).order_by(Region.code))
    return render_template("console/regions.html", regions=list(rows), editable=can_edit())


@console.route("/regions/new", methods=["GET", "POST"])
@page_roles(*STAFF_WRITERS)
def region_new() -> Any:
    """Add a region with its GB/T 2260 code under the region above it."""
    if request.method == "GET":
        return _form_page("console/region_form.html", {"level": "county"}, {}, region=None)
    form = Form(request.form)
    data = {
        "code": form.text("code"),
        "name_zh": form.text("name_zh"),
        "name_en": form.text("name_en"),
        "level": form.choice("level", REGION_LEVELS),
        "parent": form.optional("parent"),
    }
    if data["parent"] is not None:
        form.choice("parent", region_choices(get_session()))
    loaded = form.load(RegionIn(), data, ("code", "name_zh", "name_en"))
    region = form.save(loaded, lambda d: catalogue.create_region(get_session(), **d))
    if region is None:
        return _form_page(
            "console/region_form.html",
            request.form.to_dict(),
            form.errors,
            422,
            region=None,
            levels=REGION_LEVELS,
        )
    flash(f"已添加地区「{region.name_zh}」 · region added")
    return redirect(url_for("console.regions"), 303)


@console.route("/regions/<string:code>", methods=["GET", "POST"])
@page_roles(*STAFF_READERS)
def region_edit(code: str) -> Any:
    """Rename a region (its code and level are fixed: a new code is a new region)."""
    session = get_session()
    region = catalogue.get_region(session, code)
    if request.method == "GET":
        values = {"name_zh": region.name_zh, "name_en": region.name_en}
        return _form_page("console/region_form.html", values, {}, region=region)
    form = Form(request.form)
    data = {"name_zh": form.text("name_zh"), "name_en": form.text("name_en")}
    loaded = form.load(RegionPatch(), data, ("name_zh", "name_en"))
    if form.save(loaded, lambda d: catalogue.update_region(session, code, d)) is None:
        region = catalogue.get_region(session, code)
        return _form_page(
            "console/region_form.html",
            request.form.to_dict(),
            form.errors,
            422,
            region=region,
            levels=REGION_LEVELS,
        )
    flash("已保存 · saved")
    return redirect(url_for("console.regions"), 303)


# --- pairings ------------------------------------------------------------------------------


def _read_pairing(form: Form, *, new: bool) -> dict[str, Any] | None:
    data: dict[str, Any] = {
        "valid_from": form.text("valid_from"),
        "valid_to": form.optional("valid_to"),
        "note_zh": form.text("note_zh"),
        "note_en": form.text("note_en"),
    }
    if new:
        choices = region_choices(get_session())
        data["east"], data["west"] = form.choice("east", choices), form.choice("west", choices)
    return form.load(PairingIn() if new else PairingPatch(), data, ("valid_from",))


@console.get("/pairings")
@page_roles(*STAFF_READERS)
def pairings() -> str:
    """Every pairing of an eastern partner with a western region, with its dates and state today."""
    rows = catalogue.list_pairings(get_session())
    today = catalogue.today(get_clock())
    return render_template("console/pairings.html", pairings=rows, today=today, editable=can_edit())


@console.route("/pairings/new", methods=["GET", "POST"])
@page_roles(*STAFF_WRITERS)
def pairing_new() -> Any:
    """Pair an eastern partner with a western region from a day (and, if known, to a day)."""
    if request.method == "GET":
        return _form_page("console/pairing_form.html", {}, {}, pairing=None)
    form = Form(request.form)
    pairing = form.save(
        _read_pairing(form, new=True),
        lambda d: catalogue.create_pairing(get_session(), **d),
    )
    if pairing is None:
        return _form_page("console/pairing_form.html", request.form.to_dict(), form.errors, 422, pairing=None)
    flash(f"已添加结对：{pairing.east.name_zh} ↔ {pairing.west.name_zh} · pairing added")
    return redirect(url_for("console.pairings"), 303)


@console.route("/pairings/<int:pairing_id>", methods=["GET", "POST"])
@page_roles(*STAFF_READERS)
def pairing_edit(pairing_id: int) -> Any:
    """A pairing's dates and notes (its partner and region are fixed: another pair is a new one)."""
    session = get_session()
    pairing = catalogue.get_pairing(session, pairing_id)
    if request.method == "GET":
        values = {
            "valid_from": pairing.valid_from.isoformat(),
            "valid_to": pairing.valid_to.isoformat() if pairing.valid_to else "",
            "note_zh": pairing.note_zh,
            "note_en": pairing.note_en,
        }
        return _form_page("console/pairing_form.html", values, {}, pairing=pairing)
    form = Form(request.form)
    saved = form.save(
        _read_pairing(form, new=False),
        lambda d: catalogue.update_pairing(session, pairing_id, d),
    )
    if saved is None:
        pairing = catalogue.get_pairing(session, pairing_id)
        return _form_page(
            "console/pairing_form.html", request.form.to_dict(), form.errors, 422, pairing=pairing
        )
    flash("已保存 · saved")
    return redirect(url_for("console.pairings"), 303)
