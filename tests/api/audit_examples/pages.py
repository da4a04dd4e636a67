"""Examples of the page forms: the console, the org portal, the shop's checkout, signing out."""

from __future__ import annotations

from kiosk_api.console.catalogue_pages import product_form_values
from sales.models import Order
from tests.api.audit_examples import Ctx, example
from tests.api.audit_examples.setups import (
    CONTACT,
    DELIVERY,
    HONEY,
    RICE,
    bulk_order,
    finished_month,
    paid_storefront_order,
)
from tests.audit_watch import Seen
from tests.integration.orgs.factories import product

ACTION = "POST /org/bulk-orders/<string:order_id>/<string:action>"


@example("POST /console/catalogue/<int:product_id>")
def edit_a_product(ctx: Ctx) -> Seen:
    potato = product(ctx.session, "GY-POTATO-5KG")
    form = {**product_form_values(potato), "price": "31.90"}
    return ctx.page("operator", f"/console/catalogue/{potato.id}", form)


@example("POST /console/orders/<string:order_id>/refund")
def refund_a_unit(ctx: Ctx) -> Seen:
    order = ctx.session.get(Order, paid_storefront_order(ctx)["order_id"])
    form = {"line": str(order.lines[0].id), "qty": "1", "reason": "damaged", "confirm": "1"}
    return ctx.page("operator", f"/console/orders/{order.id}/refund", form)


@example("POST /console/statements/<string:period>/issue")
def issue_from_the_console(ctx: Ctx) -> Seen:
    return ctx.page("operator", f"/console/statements/{finished_month(ctx)}/issue")


@example("POST /logout")
def sign_out(ctx: Ctx) -> Seen:
    """Signing out ends every session of the user: their session epoch moves, as the user."""
    return ctx.page("operator", "/logout")


@example("POST /shop/checkout")
def member_checks_out(ctx: Ctx) -> Seen:
    """A signed-in member's storefront order (it counts toward their unit): the member is the actor."""
    csrf = ctx.sign_in("demo-org-buyer")
    honey = product(ctx.session, HONEY)
    added = ctx.client.post("/shop/cart", data={"csrf_token": csrf, "product": honey.id, "qty": 2})
    assert added.status_code == 302
    return ctx.page("org_buyer", "/shop/checkout", CONTACT)


@example("POST /org/bulk-orders/new")
def draft_from_the_portal(ctx: Ctx) -> Seen:
    rice = product(ctx.session, RICE)
    form = {f"qty_{rice.id}": "10", **DELIVERY, "action": "submit"}
    return ctx.page("org_buyer", "/org/bulk-orders/new", form)


def _act(ctx: Ctx, role: str, state: str, action: str, **form: str) -> Seen:
    order = bulk_order(ctx, state)
    return ctx.page(role, f"/org/bulk-orders/{order.id}/{action}", form)


@example(ACTION, "submit")
def portal_submit(ctx: Ctx) -> Seen:
    return _act(ctx, "org_buyer", "draft", "submit")


@example(ACTION, "approve")
def portal_approve(ctx: Ctx) -> Seen:
    return _act(ctx, "org_approver", "awaiting_approval", "approve", note="同意")


@example(ACTION, "reject")
def portal_reject(ctx: Ctx) -> Seen:
    return _act(ctx, "org_approver", "awaiting_approval", "reject", reason="预算不足")


@example(ACTION, "cancel")
def portal_cancel(ctx: Ctx) -> Seen:
    return _act(ctx, "org_buyer", "awaiting_approval", "cancel")


@example(ACTION, "pay-online")
def portal_pay_online(ctx: Ctx) -> Seen:
    return _act(ctx, "org_buyer", "awaiting_payment", "pay-online")


@example(ACTION, "deliver")
def portal_deliver(ctx: Ctx) -> Seen:
    return _act(ctx, "operator", "paid", "deliver", note="已签收")


@example(ACTION, "mark-paid")
def portal_mark_paid(ctx: Ctx) -> Seen:
    order = bulk_order(ctx, "awaiting_payment")
    yuan, fen = divmod(order.total_fen, 100)
    form = {"bank_reference": "ICBC-20261126-9", "amount": f"{yuan}.{fen:02d}"}
    return ctx.page("operator", f"/org/bulk-orders/{order.id}/mark-paid", form)
