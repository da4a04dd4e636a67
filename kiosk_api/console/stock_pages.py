"""Console forms that move stock: receipts, transfers, counts and write-offs. Each calls the service
the API calls; the first POST shows what would happen (checked by that service in a rolled-back
savepoint), the second, with confirm=1, writes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from marshmallow import Schema
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.roles import STAFF_READERS
from catalogue.models import Product
from core import labels
from inventory import service as inventory
from inventory.models import WRITEOFF_REASONS, Location, Lot, Slot, StockMovement
from kiosk_api.console.access import can_edit, console, page_roles, signed_in_user
from kiosk_api.console.forms import Form, on_form
from kiosk_api.database import get_clock, get_session
from kiosk_api.schemas import inventory as schemas


@dataclass(frozen=True)
class StockForm:
    """One stock form: its title, the API schema that checks it, the service it calls, its summary."""

    title: tuple[str, str]
    schema: Callable[[], Schema]
    call: Callable[..., Any]
    summarize: Callable[[Any, dict[str, Any]], dict[str, Any]]
    texts: tuple[str, ...]
    numbers: tuple[str, ...]
    places: tuple[tuple[str, str], ...] = ()  # (the form's place field, the schema's slot field)
    rename: tuple[tuple[str, str], ...] = ()


def place_label(location: Location | None, slot: Slot | None = None) -> str:
    """A place as people name it: the location's name and code, and at a kiosk the slot."""
    if location is None:
        return ""
    if slot is None:
        return f"{location.name_zh} · {location.code}"
    return f"{location.name_zh} · {location.code} · 货道 {slot.code}"


def _product(product_id: int) -> str:
    product = get_session().get(Product, product_id)
    return f"{product.name_zh} · {product.sku}" if product else ""


def _lots(movements: list[StockMovement]) -> list[dict[str, Any]]:
    return [{"code": m.lot.code, "expires_on": m.lot.expires_on, "qty": m.qty} for m in movements]


def _receipt_summary(m: StockMovement, _data: dict[str, Any]) -> dict[str, Any]:
    return {
        "rows": [
            ("入库仓库 Into", place_label(m.to_location)),
            ("商品 Product", _product(m.product_id)),
            ("批次 Lot", f"{m.lot.code}（到期 expires {m.lot.expires_on}）"),
            ("数量 Quantity", f"{m.qty} 件"),
        ],
        "done": f"已入库 · Received: {m.qty} 件 {_product(m.product_id)}，批次 {m.lot.code}",
        "location": m.to_location.code if m.to_location else None,
    }


def _transfer_summary(moves: list[StockMovement], _data: dict[str, Any]) -> dict[str, Any]:
    first, qty = moves[0], sum(m.qty for m in moves)
    return {
        "rows": [
            ("调出 From", place_label(first.from_location, first.from_slot)),
            ("调入 To", place_label(first.to_location, first.to_slot)),
            ("商品 Product", _product(first.product_id)),
            ("数量 Quantity", f"{qty} 件"),
        ],
        "lots": _lots(moves),
        "done": f"已调拨 · Transferred: {qty} 件 {_product(first.product_id)} → "
        f"{place_label(first.to_location, first.to_slot)}",
        "location": first.to_location.code if first.to_location else None,
    }


def _writeoff_summary(moves: list[StockMovement], _data: dict[str, Any]) -> dict[str, Any]:
    first, qty = moves[0], sum(m.qty for m in moves)
    reason = labels.both("stock_reason", first.reason)
    return {
        "rows": [
            ("报损地点 At", place_label(first.from_location, first.from_slot)),
            ("商品 Product", _product(first.product_id)),
            ("原因 Reason", reason),
            ("数量 Quantity", f"{qty} 件"),
        ],
        "lots": _lots(moves),
        "done": f"已报损 · Written off: {qty} 件 {_product(first.product_id)}（{reason}）",
        "location": first.from_location.code if first.from_location else None,
    }


def _count_summary(result: inventory.CountResult, data: dict[str, Any]) -> dict[str, Any]:
    location = inventory.get_location(get_session(), data["location"])
    slot = next((s for s in location.slots if s.code == data.get("slot")), None)
    product = slot.product_id if slot else data["product"]
    difference = result.counted - result.previous
    return {
        "rows": [
            ("盘点地点 At", place_label(location, slot)),
            ("商品 Product", _product(product)),
            ("账面数量 On record", f"{result.previous} 件"),
            ("实盘数量 Counted", f"{result.counted} 件"),
            ("差异 Difference", f"{difference:+d} 件"),
        ],
        "lots": _lots(result.movements),
        "done": f"已盘点 · Counted: {place_label(location, slot)} {result.counted} 件"
        f"（差异 difference {difference:+d}）",
        "location": location.code,
    }


FORMS: dict[str, StockForm] = {
    "receipt": StockForm(
        ("入库", "Receipt"),
        schemas.ReceiptIn,
        inventory.receive,
        _receipt_summary,
        ("location", "lot", "expires_on"),
        ("product", "qty"),
    ),
    "transfer": StockForm(
        ("调拨", "Transfer"),
        schemas.TransferIn,
        inventory.transfer,
        _transfer_summary,
        ("lot",),
        ("product", "qty"),
        places=(("from", "from_slot"), ("to", "to_slot")),
        rename=(("from_slot", "from"), ("to_slot", "to")),
    ),
    "count": StockForm(
        ("盘点", "Stock count"),
        schemas.CountIn,
        inventory.count,
        _count_summary,
        ("lot",),
        ("product", "counted"),
        places=(("location", "slot"),),
        rename=(("slot", "location"),),
    ),
    "writeoff": StockForm(
        ("报损", "Write-off"),
        schemas.WriteoffIn,
        inventory.write_off,
        _writeoff_summary,
        ("lot", "reason"),
        ("product", "qty"),
        places=(("location", "slot"),),
        rename=(("slot", "location"),),
    ),
}


def split_place(value: str) -> tuple[str | None, str | None]:
    """A place chosen from the list: "FZ-WH-01", or a kiosk's slot as "FZ-0001/A1"."""
    code, _, slot = value.strip().partition("/")
    return code or None, slot or None


def _parse(spec: StockForm, form: Form) -> dict[str, Any] | None:
    """The form's values as the API's body (empty ones left out), checked by the API's schema."""
    data: dict[str, Any] = {name: form.optional(name) for name in spec.texts}
    for name in spec.numbers:
        data[name] = form.whole(name, blank=None)
    for name, slot in spec.places:
        data[name], data[slot] = split_place(form.text(name))
    data["note"] = form.text("note")
    return form.load(spec.schema(), {k: v for k, v in data.items() if v is not None})


def choices() -> dict[str, Any]:
    """What the forms choose from, by name: products, places (kiosks by slot), lots by expiry."""
    session = get_session()
    locations = session.scalars(
        select(Location)
        .options(selectinload(Location.slots).selectinload(Slot.product))
        .order_by(Location.kind.desc(), Location.code)
    ).all()
    places = []
    for location in locations:
        if location.kind != "kiosk":
            places.append((location.code, place_label(location)))
        for slot in location.slots:
            places.append(
                (f"{location.code}/{slot.code}", f"{place_label(location, slot)}（{slot.product.name_zh}）")
            )
    lots = session.scalars(
        select(Lot).options(selectinload(Lot.product)).order_by(Lot.product_id, Lot.expires_on)
    )
    return {
        "products": session.scalars(select(Product).order_by(Product.sku)).all(),
        "stores": [(loc.code, place_label(loc)) for loc in locations if loc.kind in ("warehouse", "shop")],
        "places": places,
        "lots": list(lots),
        "reasons": [(code, labels.both("stock_reason", code)) for code in WRITEOFF_REASONS],
    }


FIELDS = ("location", "from", "to", "product", "lot", "expires_on", "qty", "counted", "reason", "note")


def _form_page(kind: str, errors: dict[str, str], status: int) -> tuple[str, int]:
    spec = FORMS[kind]
    return (
        render_template(
            "console/stock_form.html",
            kind=kind,
            title=spec.title,
            values=request.form,
            errors=on_form(errors, FIELDS),
            editable=can_edit(),
            **choices(),
        ),
        status,
    )


@console.route("/inventory/<any(receipt, transfer, count, writeoff):kind>", methods=["GET", "POST"])
@page_roles(*STAFF_READERS)
def stock_form(kind: str) -> Any:
    """A stock form (receipt, transfer, count, write-off): fill in, confirm the summary, written."""
    if request.method == "GET" or request.form.get("step") == "edit":
        return _form_page(kind, {}, 200)
    spec = FORMS[kind]
    form = Form(request.form, dict(spec.rename))
    data = _parse(spec, form)
    if data is None:
        return _form_page(kind, form.errors, 422)
    user = signed_in_user()
    assert user is not None  # page_roles let only a signed-in writer post

    def call() -> Any:
        return spec.call(get_session(), get_clock(), actor=user.username, **data)

    if request.form.get("confirm") != "1":
        summary = form.dry_run(call, lambda result: spec.summarize(result, data))
        if summary is None:
            return _form_page(kind, form.errors, 422)
        return render_template(
            "console/stock_confirm.html", kind=kind, title=spec.title, summary=summary, values=request.form
        )
    written = form.write(call)
    if form.errors:
        return _form_page(kind, form.errors, 422)
    summary = spec.summarize(written, data)
    flash(summary["done"])
    return redirect(url_for("console.inventory_page", location=summary["location"]), 303)
