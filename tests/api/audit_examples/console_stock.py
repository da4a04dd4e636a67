"""Examples of the console's stock and kiosk forms (confirmed where they ask first) and the restocker's
visit form."""

from __future__ import annotations

from sqlalchemy import select

from inventory.models import Location, Slot
from kiosk_api.kiosks import service as kiosk_keys
from tests.api.audit_examples import Ctx, example
from tests.api.audit_examples.setups import HONEY
from tests.api.restock.test_restock_pages import VISIT, visit_form
from tests.audit_watch import Seen
from tests.integration.orgs.factories import product

STOCK = "POST /console/inventory/<any(receipt, transfer, count, writeoff):kind>"
KEY = "POST /console/kiosks/<string:code>/key/<any(provision, rotate, revoke):action>"
KIOSK = "/console/kiosks/FZ-0001"


def _stock(ctx: Ctx, kind: str, form: dict[str, str]) -> Seen:
    return ctx.page("operator", f"/console/inventory/{kind}", {**form, "confirm": "1"})


@example(STOCK, "receipt")
def receive_at_the_warehouse(ctx: Ctx) -> Seen:
    form = {"location": "FZ-WH-01", "product": str(product(ctx.session, HONEY).id), "lot": "FZ-HONEY-2705"}
    return _stock(ctx, "receipt", {**form, "expires_on": "2027-05-31", "qty": "12", "note": ""})


@example(STOCK, "transfer")
def transfer_to_a_slot(ctx: Ctx) -> Seen:
    form = {"from": "FZ-WH-01", "to": "FZ-0001/C2", "product": "", "lot": "", "qty": "3"}
    return _stock(ctx, "transfer", form)


@example(STOCK, "count")
def count_a_slot(ctx: Ctx) -> Seen:
    return _stock(ctx, "count", {"location": "FZ-0001/A1", "counted": "3"})


@example(STOCK, "writeoff")
def write_off_expired_units(ctx: Ctx) -> Seen:
    return _stock(ctx, "writeoff", {"location": "FZ-0001/A3", "qty": "2", "reason": "expired"})


@example("POST /console/kiosks/<string:code>/slots")
def add_a_slot(ctx: Ctx) -> Seen:
    form = {"code": "D1", "product": str(product(ctx.session, HONEY).id), "capacity": "6", "par_level": "4"}
    return ctx.page("operator", f"{KIOSK}/slots", form)


@example("POST /console/kiosks/<string:code>/slots/<string:slot>")
def edit_a_slot(ctx: Ctx) -> Seen:
    """A1 keeps its product (it holds stock); its capacity and par level change."""
    a1 = ctx.session.scalar(select(Slot).join(Location).where(Location.code == "FZ-0001", Slot.code == "A1"))
    form = {"product": str(a1.product_id), "capacity": "10", "par_level": "8"}
    return ctx.page("operator", f"{KIOSK}/slots/A1", {**form, "active": "1"})


def _key(ctx: Ctx, action: str, *, provisioned: bool = True) -> Seen:
    if provisioned:
        kiosk_keys.provision(ctx.session, ctx.clock, "FZ-0001", secret_key=ctx.app.config["SECRET_KEY"])
        ctx.session.flush()
    return ctx.page("operator", f"{KIOSK}/key/{action}", {"confirm": "1"})


@example(KEY, "provision")
def provision_a_key(ctx: Ctx) -> Seen:
    return _key(ctx, "provision", provisioned=False)


@example(KEY, "rotate")
def rotate_a_key(ctx: Ctx) -> Seen:
    return _key(ctx, "rotate")


@example(KEY, "revoke")
def revoke_a_key(ctx: Ctx) -> Seen:
    return _key(ctx, "revoke")


@example("POST /restock/kiosks/<string:code>/visit")
def record_a_visit(ctx: Ctx) -> Seen:
    """The visit as the form offers it (the pick list put, the expired units taken out), confirmed."""
    ctx.commit()
    ctx.sign_in("demo-restocker")
    form = {k: v for k, v in visit_form(ctx.client).items() if k != "csrf_token"}
    return ctx.page("restocker", VISIT, {**form, "confirm": "1"})
