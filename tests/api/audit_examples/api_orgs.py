"""Examples of the API's order, organization, bulk-order, payout and statement writes."""

from __future__ import annotations

from catalogue.validators import credit_code_check_char
from tests.api.audit_examples import Ctx, example
from tests.api.audit_examples.setups import (
    CONTACT,
    DELIVERY,
    HONEY,
    RICE,
    bulk_order,
    finished_month,
    lone_user,
    pending_payout,
    unit,
)
from tests.audit_watch import Seen
from tests.integration.orgs.factories import product

BULK = "/api/v1/bulk-orders"


@example("POST /api/v1/orders")
def member_places_a_storefront_order(ctx: Ctx) -> Seen:
    unit(ctx)  # the buyer's purchase counts toward the demo office
    body = {"lines": [{"product": product(ctx.session, HONEY).id, "qty": 1}], "contact": CONTACT}
    return ctx.api("org_buyer", "POST", "/api/v1/orders", body)


@example("POST /api/v1/orgs")
def register_a_unit(ctx: Ctx) -> Seen:
    first17 = "12330200MA0TQ0009"
    body = {
        "name_zh": "宁波某中学",
        "kind": "school",
        "credit_code": first17 + credit_code_check_char(first17),
    }
    return ctx.api("operator", "POST", "/api/v1/orgs", {**body, "city": "330200"})


@example("POST /api/v1/orgs/<int:org_id>/members")
def add_a_member(ctx: Ctx) -> Seen:
    office, username = unit(ctx), lone_user(ctx)
    body = {"username": username, "role": "buyer"}
    return ctx.api("operator", "POST", f"/api/v1/orgs/{office.org.id}/members", body)


@example("PUT /api/v1/orgs/<int:org_id>/quotas/<int(min=2000, max=2100):year>")
def set_next_years_quota(ctx: Ctx) -> Seen:
    body = {"kind": "budget_share", "budget_fen": 80_000_000, "share_bp": 1000}
    return ctx.api("operator", "PUT", f"/api/v1/orgs/{unit(ctx).org.id}/quotas/2027", body)


@example("POST /api/v1/orgs/<int:org_id>/bulk-orders")
def draft_a_bulk_order(ctx: Ctx) -> Seen:
    body = {"lines": [{"product": product(ctx.session, RICE).id, "qty": 10}], "delivery": DELIVERY}
    return ctx.api("org_buyer", "POST", f"/api/v1/orgs/{unit(ctx).org.id}/bulk-orders", body)


@example("POST /api/v1/bulk-orders/<string:order_id>/submit")
def submit_a_draft(ctx: Ctx) -> Seen:
    return ctx.api("org_buyer", "POST", f"{BULK}/{bulk_order(ctx, 'draft').id}/submit")


@example("POST /api/v1/bulk-orders/<string:order_id>/approve")
def approve(ctx: Ctx) -> Seen:
    order = bulk_order(ctx, "awaiting_approval")
    return ctx.api("org_approver", "POST", f"{BULK}/{order.id}/approve", {"note": "同意"})


@example("POST /api/v1/bulk-orders/<string:order_id>/reject")
def reject(ctx: Ctx) -> Seen:
    order = bulk_order(ctx, "awaiting_approval")
    return ctx.api("org_approver", "POST", f"{BULK}/{order.id}/reject", {"reason": "预算不足"})


@example("POST /api/v1/bulk-orders/<string:order_id>/cancel")
def cancel(ctx: Ctx) -> Seen:
    return ctx.api("org_buyer", "POST", f"{BULK}/{bulk_order(ctx, 'awaiting_payment').id}/cancel")


@example("POST /api/v1/bulk-orders/<string:order_id>/mark-paid")
def record_a_transfer(ctx: Ctx) -> Seen:
    order = bulk_order(ctx, "awaiting_payment")
    body = {"bank_reference": "ICBC-20261126-7", "amount_fen": order.total_fen}
    return ctx.api("operator", "POST", f"{BULK}/{order.id}/mark-paid", body)


@example("POST /api/v1/bulk-orders/<string:order_id>/mark-paid", "while an online payment is open")
def transfer_cancels_the_online_payment(ctx: Ctx) -> Seen:
    """The transfer that pays the order cancels its open online payment, in units of work of their own
    after the request's commit: written as the operator all the same."""
    order = bulk_order(ctx, "awaiting_payment")
    ctx.commit()
    started = ctx.client.post(f"{BULK}/{order.id}/pay-online", headers=ctx.auth("org_buyer"))
    assert started.status_code == 200, started.get_json()
    body = {"bank_reference": "ICBC-20261126-8", "amount_fen": order.total_fen}
    return ctx.api("operator", "POST", f"{BULK}/{order.id}/mark-paid", body)


@example("POST /api/v1/bulk-orders/<string:order_id>/pay-online")
def pay_online(ctx: Ctx) -> Seen:
    return ctx.api("org_buyer", "POST", f"{BULK}/{bulk_order(ctx, 'awaiting_payment').id}/pay-online")


@example("POST /api/v1/bulk-orders/<string:order_id>/deliver")
def deliver(ctx: Ctx) -> Seen:
    order = bulk_order(ctx, "paid")
    return ctx.api("operator", "POST", f"{BULK}/{order.id}/deliver", {"note": "已签收"})


@example("POST /api/v1/payouts/<int:refund_id>/paid")
def pay_out(ctx: Ctx) -> Seen:
    refund = pending_payout(ctx)
    body = {"bank_reference": "OUT-ICBC-77", "amount_fen": refund.amount_fen, "paid_on": "2026-11-26"}
    return ctx.api("operator", "POST", f"/api/v1/payouts/{refund.id}/paid", body)


@example("POST /api/v1/payouts/<int:refund_id>/failed")
def payout_failed(ctx: Ctx) -> Seen:
    refund = pending_payout(ctx)
    return ctx.api("operator", "POST", f"/api/v1/payouts/{refund.id}/failed", {"reason": "收款账户已销户"})


@example("POST /api/v1/statements/<string:period>/issue")
def issue_a_month(ctx: Ctx) -> Seen:
    return ctx.api("admin", "POST", f"/api/v1/statements/{finished_month(ctx)}/issue")
