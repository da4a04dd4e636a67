"""What the examples start from, made through the real services or earlier (unwatched) requests:
a bulk order of the demo unit in each state, a paid storefront order, a pending bank-transfer refund
(a payout owed), a finished month to issue, a user who belongs to no unit yet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import SHANGHAI
from kiosk_api.auth.service import create_user
from payments.models import Refund
from sales import bulk
from sales.models import Order
from sales.payment_flow import payment_of
from sales.refunds import request_refund
from tests.api.audit_examples import Ctx
from tests.integration.orgs.factories import Unit, delivery, demo_unit, product
from tests.integration.statements.factories import make_month

RICE, TEA, HONEY = "YB-RICE-5KG", "QXN-PUAN-RED-250G", "GY-HONEY-500G"
CONTACT = {"name": "林", "phone": "13800138000", "address": "福州市鼓楼区某路 1 号"}
DELIVERY = {
    "contact_name": "王科长",
    "phone": "0574-87000000",
    "address": "宁波市鄞州区某路 1 号",
    "invoice_title": "宁波市某区机关事务管理局",
    "tax_id": "11330200MB0A12345G",
}
STATES = ("draft", "awaiting_approval", "awaiting_payment", "paid")


def unit(ctx: Ctx) -> Unit:
    """The demo office, with demo-org-buyer and demo-org-approver as its members."""
    return demo_unit(ctx.session, ctx.clock)


def bulk_order(ctx: Ctx, state: str, sku: str = RICE, qty: int = 2) -> Order:
    """A bulk order of the demo unit, brought to `state` (one of STATES) by its members and an operator."""
    office = unit(ctx)
    lines = [(product(ctx.session, sku).id, qty)]
    order, _record = bulk.draft_bulk_order(
        ctx.session,
        ctx.clock,
        org_id=office.org.id,
        user_id=office.buyer.id,
        lines=lines,
        delivery=delivery(office.org.credit_code),
        submit=state != "draft",
    )
    if STATES.index(state) >= STATES.index("awaiting_payment"):
        bulk.approve_bulk_order(ctx.session, ctx.clock, order.id, user_id=office.approver.id)
    if state == "paid":
        reference = f"IN-{order.id[:8]}"
        bulk.record_bank_transfer(
            ctx.session, ctx.clock, order.id, bank_reference=reference, amount_fen=order.total_fen, actor="op"
        )
    ctx.session.flush()
    assert order.status == state, order.status
    return order


def pending_payout(ctx: Ctx) -> Refund:
    """A refund of one unit of a bulk order paid by bank transfer: a payout an operator owes the unit."""
    order = bulk_order(ctx, "paid", TEA, 3)
    [line] = order.lines
    payment = payment_of(ctx.session, order.id)
    refund = request_refund(ctx.session, ctx.clock, order, payment, [(line, 1)], reason="damaged", actor="op")
    ctx.session.flush()
    assert refund.status == "pending", refund.status
    return refund


def paid_storefront_order(ctx: Ctx) -> dict[str, Any]:
    """A storefront order placed and paid by an anonymous shopper (through the API and the pay link)."""
    honey = product(ctx.session, HONEY)
    ctx.commit()
    placed = ctx.client.post(
        "/api/v1/orders", json={"lines": [{"product": honey.id, "qty": 2}], "contact": CONTACT}
    )
    assert placed.status_code == 201, placed.get_json()
    order = placed.get_json()
    token = order["payment"]["pay_url"].rsplit("/", 1)[1]
    paid = ctx.client.post(f"/api/v1/pay/{token}/simulate")
    assert paid.status_code == 200 and paid.get_json()["status"] == "paid", paid.get_json()
    return order


def finished_month(ctx: Ctx) -> str:
    """October 2026 with a few sales, not yet issued; the clock back on the test's day after it."""
    now = ctx.clock.now()
    make_month(ctx.session, ctx.clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=4, seed=3)
    ctx.clock.set(now)
    return "2026-10"


def lone_user(ctx: Ctx, role: str = "org_buyer") -> str:
    """A user of an organization role who belongs to no unit yet; returns the username."""
    create_user(ctx.session, ctx.clock, username="lone-buyer", role=role, password="a-long-password-1")
    ctx.session.flush()
    return "lone-buyer"
