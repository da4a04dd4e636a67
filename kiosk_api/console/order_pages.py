"""Console pages of orders: the searchable list, an order with names and labels, and refunds of
units of a line, confirmed first with the amount, refused refunds shown as errors."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.models import User
from accounts.roles import STAFF_READERS
from catalogue.models import Region, Supplier
from core.errors import DomainError
from core.labels import CHANNELS, ORDER_STATUSES
from inventory.models import Location
from kiosk_api.console.access import can_edit, console, day_arg, page_roles, signed_in_user
from kiosk_api.console.forms import Form
from kiosk_api.console.names import actor_names
from kiosk_api.database import get_clock, get_db, get_session
from kiosk_api.input_limits import int_within, row_id
from kiosk_api.payments_ext import settle_after_commit
from kiosk_api.schemas.base import MAX_PAGE
from payments.models import Payment
from sales.line_refunds import plan_line_refund, refund_line
from sales.order_search import OrderFilters, search_orders, short_id
from sales.orders import get_order
from sales.org_models import Organization

ORDER_PAGE = 50
SEARCH_FIELDS = {
    "q": "订单号或手机号 Order id or phone",
    "unit": "单位 Unit",
    "from": "起始日期 From",
    "to": "截止日期 To",
}
REFUND_FIELDS = {"line": "商品行 Line", "qty": "数量 Qty", "reason": "原因 Reason"}


@console.app_template_filter("short_id")
def short_id_filter(order_id: str) -> str:
    """{{ order.id|short_id }} → the first 8 characters, as every list shows an order."""
    return short_id(order_id)


@console.get("/orders")
@page_roles(*STAFF_READERS)
def orders() -> Any:
    """Orders of every channel, newest first: search by id, short id, phone, unit and Beijing dates."""
    errors: dict[str, str] = {}
    channel = request.args.get("channel") or None
    status = request.args.get("status") or None
    filters = OrderFilters(
        text=request.args.get("q", "")[:64],
        unit=request.args.get("unit", "")[:64],
        date_from=day_arg("from", errors),
        date_to=day_arg("to", errors),
        channel=channel if channel in CHANNELS else None,
        status=status if status in ORDER_STATUSES else None,
    )
    page = request.args.get("page", default=1, type=int_within(1, MAX_PAGE))
    rows, total = search_orders(get_session(), filters, limit=ORDER_PAGE, offset=(page - 1) * ORDER_PAGE)
    html = render_template(
        "console/orders.html",
        rows=rows,
        filters=filters,
        channels=CHANNELS,
        statuses=ORDER_STATUSES,
        page=page,
        total=total,
        per_page=ORDER_PAGE,
        errors=errors,
        names=SEARCH_FIELDS,
    )
    return html, 422 if errors else 200


def _order_page(order_id: str, status: int = 200, **extra: Any) -> Any:
    """The order page with its lines, payments, refunds and status changes, names beside ids."""
    session = get_session()
    try:
        order = get_order(session, order_id)
    except DomainError:
        abort(404)
    payments = session.scalars(
        select(Payment).where(Payment.order_id == order_id).options(selectinload(Payment.refunds))
    ).all()
    counties = {line.county_code for line in order.lines}
    suppliers = {line.supplier_id for line in order.lines}
    names = {
        "counties": dict(
            session.execute(select(Region.code, Region.name_zh).where(Region.code.in_(counties))).all()
        ),
        "suppliers": dict(
            session.execute(select(Supplier.id, Supplier.name_zh).where(Supplier.id.in_(suppliers))).all()
        ),
        "unit": session.get(Organization, order.organization_id) if order.organization_id else None,
        "location": session.get(Location, order.location_id) if order.location_id else None,
        "user": session.get(User, order.user_id) if order.user_id else None,
        "lines": {line.id: line for line in order.lines},
        "actors": actor_names(
            session, [e.actor for e in order.events] + [r.actor for p in payments for r in p.refunds]
        ),
    }
    extra.setdefault("errors", {})
    html = render_template(
        "console/order.html",
        order=order,
        payments=payments,
        names=names,
        contact=(order.details or {}).get("contact") or {},
        editable=can_edit(),
        field_names=REFUND_FIELDS,
        **extra,
    )
    return html, status


@console.get("/orders/<string:order_id>")
@page_roles(*STAFF_READERS)
def order_detail(order_id: str) -> Any:
    """An order with its lines, payments, refunds and every status change; refund form for editors."""
    return _order_page(order_id)


def _refund_form() -> tuple[int | None, int | None, str]:
    form = request.form
    try:
        line_id: int | None = row_id(form.get("line", ""))
    except ValueError:
        line_id = None
    try:
        qty: int | None = int_within(1, 100_000)(form.get("qty", ""))
    except ValueError:
        qty = None
    return line_id, qty, form.get("reason", "").strip()[:200] or "operator refund"


@console.post("/orders/<string:order_id>/refund")
@page_roles(*STAFF_READERS)
def order_refund(order_id: str) -> Any:
    """Refund units of one line: the first post shows line, units and amount to confirm; the
    confirmed one writes the refund, paid out by the provider right after the commit."""
    user = signed_in_user()
    assert user is not None
    line_id, qty, reason = _refund_form()
    form, reader = {"line": line_id, "qty": qty, "reason": reason}, Form(request.form)
    try:
        if request.form.get("confirm") != "1":
            plan = plan_line_refund(get_session(), order_id, line_id, qty)
            return _order_page(order_id, confirm=plan, form=form)
        with get_db().unit_of_work() as session:  # committed before the provider is asked to pay out
            refund_line(session, get_clock(), order_id, line_id, qty, reason=reason, actor=user.username)
    except DomainError as error:
        reader.refused(error)
        return _order_page(order_id, reader.status, errors=reader.errors, form=form)
    settle_after_commit(order_id)
    flash("已申请退款 · refund requested — 见下方支付记录中的退款状态 · its status is shown under Payments")
    return redirect(url_for("console.order_detail", order_id=order_id))
