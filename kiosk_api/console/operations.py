"""Console pages for running things: stock balances, orders and refunds (kiosks: kiosk_pages; stock
forms: stock_pages; the catalogue: catalogue_pages and origin_pages)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.roles import STAFF_READERS
from audit.service import record
from catalogue import service as catalogue
from core.errors import DomainError
from inventory import service as inventory
from kiosk_api.console.access import can_edit, console, page_roles, signed_in_user
from kiosk_api.database import get_clock, get_db, get_session
from kiosk_api.input_limits import int_within, row_id
from kiosk_api.payments_ext import settle_after_commit
from payments.models import Payment
from sales.models import Order
from sales.orders import get_order
from sales.payment_flow import payment_of
from sales.refunds import request_refund

ORDER_PAGE = 100


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


@console.get("/orders")
@page_roles(*STAFF_READERS)
def orders() -> str:
    """The latest orders of every channel (bulk orders with ?channel=bulk)."""
    session = get_session()
    channel = request.args.get("channel") or None
    stmt = select(Order).order_by(Order.created_at.desc(), Order.id).limit(ORDER_PAGE)
    if channel in ("kiosk", "storefront", "bulk", "shop"):
        stmt = stmt.where(Order.channel == channel)
    return render_template("console/orders.html", orders=session.scalars(stmt).all(), channel=channel)


@console.get("/orders/<string:order_id>")
@page_roles(*STAFF_READERS)
def order_detail(order_id: str) -> str:
    """An order with its lines, payment, refunds and every status change; refund form for editors."""
    session = get_session()
    try:
        order = get_order(session, order_id)
    except DomainError:
        abort(404)
    payments = session.scalars(
        select(Payment).where(Payment.order_id == order_id).options(selectinload(Payment.refunds))
    ).all()
    return render_template("console/order.html", order=order, payments=payments, editable=can_edit())


@console.post("/orders/<string:order_id>/refund")
@page_roles(*STAFF_READERS)
def order_refund(order_id: str) -> Any:
    """Refund units of one line: written now, paid out by the provider right after commit."""
    user = signed_in_user()
    assert user is not None
    try:
        line_id, qty = (
            row_id(request.form.get("line", "")),
            int_within(1, 100_000)(request.form.get("qty", "")),
        )
    except ValueError:
        line_id, qty = 0, 0
    reason = request.form.get("reason", "").strip()[:200] or "operator refund"
    try:
        with get_db().unit_of_work() as session:
            order = get_order(session, order_id, lock=True)
            line = next((ln for ln in order.lines if ln.id == line_id), None)
            payment = payment_of(session, order_id, lock=True)
            if line is None or qty <= 0 or payment is None or payment.captured_fen == 0:
                flash(
                    "无法退款：请选择已付款订单的商品行和数量 · choose a line and a quantity of a paid order"
                )
                return redirect(url_for("console.order_detail", order_id=order_id))
            before = {"status": order.status, "refunded_fen": order.refunded_fen}
            refund = request_refund(
                session, get_clock(), order, payment, [(line, qty)], reason=reason, actor=user.username
            )
            session.flush()
            record(
                session,
                get_clock(),
                actor=user.username,
                actor_role=user.role,
                action="order.refund",
                target_type="orders",
                target_id=order.id,
                before=before,
                after={
                    "status": order.status,
                    "refunded_fen": order.refunded_fen,
                    "refund_id": refund.id if refund else None,
                    "line": line.id,
                    "qty": qty,
                    "reason": reason,
                },
                via="console",
            )
    except DomainError as error:
        flash(f"退款失败 · refund refused: {error.message}")
        return redirect(url_for("console.order_detail", order_id=order_id))
    settle_after_commit(order_id)
    flash("已退款 · refunded")
    return redirect(url_for("console.order_detail", order_id=order_id))
