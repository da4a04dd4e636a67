"""Console pages for running things: the catalogue, kiosks and slots, stock, orders and refunds."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.roles import STAFF_READERS
from audit.service import record, snapshot
from catalogue import service as catalogue
from catalogue.models import Product
from core.errors import DomainError, InvalidInput
from core.money import parse_yuan
from inventory import service as inventory
from inventory.models import Location
from kiosk_api.console.access import can_edit, console, page_roles, signed_in_user
from kiosk_api.console.dashboard import kiosk_states
from kiosk_api.database import get_clock, get_session


def _audit(session: Any, action: str, target: Any, target_id: Any, before: dict | None) -> None:
    user = signed_in_user()
    assert user is not None
    session.flush()  # the after-image needs the applied change
    record(
        session,
        get_clock(),
        actor=user.username,
        actor_role=user.role,
        action=action,
        target_type=target.__tablename__,
        target_id=target_id,
        before=before,
        after=snapshot(target),
        via="console",
    )


@console.get("/catalogue")
@page_roles(*STAFF_READERS)
def catalogue_list() -> str:
    """Every product, active or not, with its origin, supplier, price and certification."""
    session = get_session()
    products = session.scalars(
        select(Product)
        .options(selectinload(Product.county), selectinload(Product.supplier))
        .order_by(Product.county_code, Product.sku)
    ).all()
    return render_template(
        "console/catalogue.html", products=products, today=catalogue.today(get_clock()), editable=can_edit()
    )


@console.route("/catalogue/<int:product_id>", methods=["GET", "POST"])
@page_roles(*STAFF_READERS)
def product_edit(product_id: int) -> Any:
    """Edit a product's names, price, story and whether it is on sale; the change is audited."""
    session, clock = get_session(), get_clock()
    product = catalogue.get_product(session, product_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        changes: dict[str, Any] = {
            "name_zh": form.get("name_zh", "").strip(),
            "name_en": form.get("name_en", "").strip(),
            "story_zh": form.get("story_zh", "").strip(),
            "active": form.get("active") == "1",
        }
        try:
            changes["price_fen"] = parse_yuan(form.get("price", ""), field="price")
        except InvalidInput:
            errors["price"] = "请输入金额，如 12.50 · an amount of yuan such as 12.50"
        if not changes["name_zh"]:
            errors["name_zh"] = "必填 · required"
        if not errors:
            before = snapshot(product)
            try:
                catalogue.update_product(session, clock, product_id, changes)
                _audit(session, "product.update", product, product.id, before)
            except DomainError as error:
                session.rollback()
                errors = error.fields or {"_": error.message}
            else:
                flash("已保存 · saved")
                return redirect(url_for("console.product_edit", product_id=product_id))
    return render_template("console/product_edit.html", product=product, errors=errors, editable=can_edit())


@console.get("/kiosks")
@page_roles(*STAFF_READERS)
def kiosks() -> str:
    """Kiosks with their device state (online within five minutes, offline, not provisioned)."""
    return render_template("console/kiosks.html", kiosks=kiosk_states(get_session(), get_clock().now()))


@console.get("/kiosks/<string:code>")
@page_roles(*STAFF_READERS)
def kiosk_detail(code: str) -> str:
    """A kiosk's slots with what each holds, and its restock pick list."""
    session, clock = get_session(), get_clock()
    kiosk = session.scalar(
        select(Location)
        .where(Location.code == code, Location.kind == "kiosk")
        .options(selectinload(Location.slots))
    )
    if kiosk is None:
        abort(404)
    balances = inventory.list_balances(session, clock, location=code)
    held: dict[int, int] = {}
    for balance in balances:
        if balance.slot_id is not None:
            held[balance.slot_id] = held.get(balance.slot_id, 0) + balance.on_hand
    pick = inventory.kiosk_pick_list(session, clock, code)
    return render_template("console/kiosk.html", kiosk=kiosk, held=held, pick=pick)


@console.get("/inventory")
@page_roles(*STAFF_READERS)
def inventory_page() -> str:
    """Stock balances per location, slot and lot."""
    session, clock = get_session(), get_clock()
    location = request.args.get("location") or None
    try:
        balances = inventory.list_balances(session, clock, location=location)
    except DomainError:
        balances, location = [], None
    locations = inventory.list_locations(session)
    return render_template(
        "console/inventory.html",
        balances=balances,
        locations=locations,
        location=location,
        today=catalogue.today(clock),
    )
