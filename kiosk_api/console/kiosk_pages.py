"""Console pages of kiosks: the list, a kiosk's slots and pick list, editing slots, and its device
key (provision, rotate, revoke) through the services the API and the `dongxi kiosks` command call."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.roles import STAFF_READERS
from catalogue.models import Product
from devices.models import KioskDevice
from inventory import service as inventory
from inventory.models import Location, Slot
from kiosk_api.auth.device_http import device_keys
from kiosk_api.console.access import can_edit, console, page_roles
from kiosk_api.console.dashboard import kiosk_states
from kiosk_api.console.forms import Form, on_form
from kiosk_api.database import get_clock, get_session
from kiosk_api.kiosks import service as kiosk_keys
from kiosk_api.schemas import inventory as schemas

KEY_ACTIONS = {
    "provision": ("配置设备密钥", "Provision the device key"),
    "rotate": ("更换设备密钥", "Rotate the device key"),
    "revoke": ("吊销设备密钥", "Revoke the device key"),
}
SLOT_FIELDS = ("code", "product", "capacity", "par_level", "active")


def _kiosk(code: str) -> Location:
    kiosk = get_session().scalar(
        select(Location)
        .where(Location.code == code, Location.kind == "kiosk")
        .options(selectinload(Location.slots).selectinload(Slot.product))
    )
    if kiosk is None:
        abort(404)
    return kiosk


def _device(kiosk: Location) -> KioskDevice | None:
    return get_session().scalar(select(KioskDevice).where(KioskDevice.location_id == kiosk.id))


def _products() -> list[Product]:
    return list(get_session().scalars(select(Product).order_by(Product.sku)))


@console.get("/kiosks")
@page_roles(*STAFF_READERS)
def kiosks() -> str:
    """Kiosks with their device state (online within five minutes, offline, no key, key revoked)."""
    states = kiosk_states(get_session(), get_clock().now())
    for state in states:
        if state["device"] is not None and state["device"].status == "revoked":
            state["state"] = "revoked"
    return render_template("console/kiosks.html", kiosks=states)


def _detail_page(code: str, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    session, clock = get_session(), get_clock()
    kiosk = _kiosk(code)
    held: dict[int, int] = {}
    for balance in inventory.list_balances(session, clock, location=code):
        if balance.slot_id is not None:
            held[balance.slot_id] = held.get(balance.slot_id, 0) + balance.on_hand
    pick = inventory.kiosk_pick_list(session, clock, code)
    page = render_template(
        "console/kiosk.html",
        kiosk=kiosk,
        held=held,
        pick=pick,
        blocked={line.slot.code for line in pick.lines if line.blocked},
        device=_device(kiosk),
        products=_products(),
        errors=on_form(errors or {}, SLOT_FIELDS),
        values=request.form,
        editable=can_edit(),
        actions=KEY_ACTIONS,
    )
    return page, status


@console.get("/kiosks/<string:code>")
@page_roles(*STAFF_READERS)
def kiosk_detail(code: str) -> Any:
    """A kiosk's slots with what each holds, its device key, and its restock pick list."""
    return _detail_page(code)


def _slot_values(form: Form, new: bool) -> dict[str, Any]:
    """A slot form's values as the API's body (empty numbers left out)."""
    data: dict[str, Any] = {
        name: form.whole(name, blank=None) for name in ("product", "capacity", "par_level")
    }
    if new:
        data["code"] = form.text("code").upper() or None
    else:
        data["active"] = form.flag("active")
    return {k: v for k, v in data.items() if v is not None}


@console.post("/kiosks/<string:code>/slots")
@page_roles(*STAFF_READERS)
def slot_add(code: str) -> Any:
    """Add a slot to a kiosk: its code, product, capacity and par level."""
    _kiosk(code)
    form = Form(request.form)
    data = form.load(schemas.SlotIn(), _slot_values(form, True))
    slot = form.save(data, lambda d: inventory.add_slot(get_session(), code, **d))
    if slot is None:
        return _detail_page(code, form.errors, 422)
    flash(f"已添加货道 · slot added: {slot.code}")
    return redirect(url_for("console.kiosk_detail", code=code), 303)


@console.route("/kiosks/<string:code>/slots/<string:slot>", methods=["GET", "POST"])
@page_roles(*STAFF_READERS)
def slot_edit(code: str, slot: str) -> Any:
    """Change a slot's product (only when empty), capacity, par level or whether it is in use."""
    kiosk = _kiosk(code)
    current = next((s for s in kiosk.slots if s.code == slot), None)
    if current is None:
        abort(404)
    form = Form(request.form)
    if request.method == "POST":
        data = form.load(schemas.SlotPatch(), _slot_values(form, False))
        if form.save(data, lambda d: inventory.update_slot(get_session(), code, slot, d)) is not None:
            flash(f"已保存货道 · slot saved: {slot}")
            return redirect(url_for("console.kiosk_detail", code=code), 303)
    page = render_template(
        "console/slot_edit.html",
        kiosk=kiosk,
        slot=current,
        products=_products(),
        errors=on_form(form.errors, SLOT_FIELDS),
        values=request.form if request.method == "POST" else None,
        editable=can_edit(),
    )
    return page, (422 if form.errors else 200)


@console.post("/kiosks/<string:code>/key/<any(provision, rotate, revoke):action>")
@page_roles(*STAFF_READERS)
def kiosk_key(code: str, action: str) -> Any:
    """Provision, rotate or revoke a kiosk's device key, after a confirmation; a new secret is
    shown on this answer only (never stored in a page or the session, and not cached)."""
    kiosk = _kiosk(code)
    if request.form.get("confirm") != "1":
        return render_template(
            "console/kiosk_key_confirm.html",
            kiosk=kiosk,
            device=_device(kiosk),
            action=action,
            title=KEY_ACTIONS[action],
        )
    session, clock, secret_key = get_session(), get_clock(), current_app.config["SECRET_KEY"]
    form = Form(request.form)
    if action == "revoke":
        key = form.write(lambda: kiosk_keys.revoke(session, code))
    else:
        handler = kiosk_keys.provision if action == "provision" else kiosk_keys.rotate
        key = form.write(lambda: handler(session, clock, code, secret_key=secret_key))
    if form.errors:
        flash(f"未完成 · refused: {'; '.join(form.errors.values())}")
        return _detail_page(code, status=409)
    cache, kiosk_id = device_keys(), kiosk.id
    if action == "revoke":
        response = redirect(url_for("console.kiosk_detail", code=code), 303)
        flash(f"已吊销设备密钥 · key revoked: {kiosk.code}")
    else:
        response = make_response(
            render_template("console/kiosk_key_result.html", kiosk=kiosk, key=key, action=action)
        )
    cache.forget(kiosk_id)  # this process stops using the old key at once,
    response.call_on_close(lambda: cache.forget(kiosk_id))  # and again once the change is committed
    response.headers["Cache-Control"] = "no-store"
    return response
