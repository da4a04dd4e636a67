"""The organization portal: a unit's quota and purchases, its bulk orders (draft, upload, approve,
pay), the certificate of the year; and, for operators, recording transfers and deliveries."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from accounts.roles import STAFF_READERS, STAFF_WRITERS
from catalogue.models import Product, Region
from catalogue.service import today
from core.errors import DomainError, InvalidInput
from core.money import format_fen, parse_yuan
from kiosk_api.auth.http import current_user
from kiosk_api.blueprints.orgs import cancel_online_payments
from kiosk_api.database import get_clock, get_db, get_session
from kiosk_api.input_limits import row_id, year_arg
from kiosk_api.payments_ext import get_provider
from kiosk_api.storefront import org_order_form as order_form
from kiosk_api.storefront.charts import county_chart, quota_chart
from kiosk_api.storefront.helpers import (
    pick,
    resolve_page_user,
    sign_in_required,
)
from kiosk_api.storefront.org_order_form import FormErrors
from kiosk_api.storefront.presenters import bulk_view
from kiosk_api.storefront.shop import stripe_page
from sales import bulk, org_quota
from sales.bulk_stock import Wanted, available_for_bulk, check_bulk_stock
from sales.org_models import OrganizationMember
from sales.org_upload import read_order_sheet
from sales.organizations import get_organization, membership
from sales.payment_flow import start_payment

orgportal = Blueprint("orgportal", __name__, url_prefix="/org", template_folder="templates")
orgportal.before_request(resolve_page_user)
MONTHS = [str(m) for m in range(1, 13)]  # the caption says they are months
MAX_UPLOAD_BYTES = 1_000_000


def _member() -> OrganizationMember | None:
    user = current_user()
    return membership(get_session(), user.id) if user else None


def _is_staff(roles: tuple[str, ...] = STAFF_READERS) -> bool:
    user = current_user()
    return user is not None and user.role in roles


@orgportal.get("")
@sign_in_required
def dashboard() -> Any:
    """A unit's year: purchases against the quota by month and county, its bulk orders, the certificate."""
    member = _member()
    if member is not None:
        org_id = member.organization_id
    elif _is_staff():
        org_id = request.args.get("org", type=row_id)
        if org_id is None:
            return redirect(url_for("operator.orgs"))
    else:
        return render_template("storefront/org/not_member.html"), 403
    session = get_session()
    org = get_organization(session, org_id)
    day = today(get_clock())
    year = request.args.get("year", type=year_arg) or day.year
    progress = org_quota.quota_progress(session, org_id, year, day)
    return render_template(
        "storefront/org/dashboard.html",
        org=org,
        member=member,
        year=year,
        progress=progress,
        chart=quota_chart(
            progress.months,
            progress.quota_fen,
            month_labels=MONTHS,
            title=pick(f"{year} 年累计采购与额度", f"Purchases in {year} against the quota"),
        ),
        counties=county_chart(
            [(pick(c.name_zh, c.name_en), c.amount_fen) for c in progress.counties],
            title=pick("按原产县", "By county"),
        ),
        orders=[bulk_view(session, o, b) for o, b in bulk.list_bulk_orders(session, org_id=org_id)],
    )


def _products() -> list[Product]:
    return list(
        get_session().scalars(
            select(Product)
            .where(Product.active.is_(True))
            .options(selectinload(Product.county).selectinload(Region.parent))
            .order_by(Product.county_code, Product.id)
        )
    )


@orgportal.route("/bulk-orders/new", methods=["GET", "POST"])
@sign_in_required
def new_bulk_order() -> Any:
    """A buyer builds a bulk order by quantities or from a CSV/XLSX sheet, with the invoice details;
    each product shows what the stock can supply, and an order beyond it is refused naming it."""
    member = _member()
    if member is None or member.role != "buyer":
        return render_template("storefront/org/not_member.html", need="buyer"), 403
    session, clock, org, form = get_session(), get_clock(), member.organization, request.form
    products = _products()
    qty = {p.id: form.get(f"qty_{p.id}", "").strip() for p in products}
    delivery = {
        "contact_name": form.get("contact_name", ""),
        "phone": form.get("phone", ""),
        "address": form.get("address", ""),
        "invoice_title": form.get("invoice_title", org.name_zh),
        "tax_id": form.get("tax_id", org.credit_code),
        "note": form.get("note", ""),
    }
    action, sheet, errors = form.get("action"), None, FormErrors()
    code = {"code": form.get("code", ""), "qty": form.get("code_qty", "")}
    if request.method == "POST" and action == "upload":
        sheet, status = _read_sheet(qty, org)
    elif request.method == "POST" and action == "add":
        added = order_form.add_by_code(
            products, form.get("code", ""), form.get("code_qty", "").strip(), qty, errors
        )
        if added is not None:
            name = pick(added.name_zh, added.name_en or added.name_zh)
            flash(pick(f"已填入：{name} × {qty[added.id]}", f"Filled in: {name} × {qty[added.id]}"), "info")
        status = 422 if errors else 200
        code = {} if not errors else code  # filled in: the box is free for the next product
    elif request.method == "POST":
        lines = order_form.typed_lines(products, qty, errors)
        if not errors:
            try:
                order, _record = bulk.draft_bulk_order(
                    session,
                    clock,
                    org_id=org.id,
                    user_id=member.user_id,
                    lines=lines,
                    delivery=bulk.Delivery(**{k: v.strip() for k, v in delivery.items()}),
                    submit=action != "draft",
                )
            except DomainError as error:
                session.rollback()  # nothing of the refused order is written
                errors.refused(error, products)
            else:
                return redirect(url_for("orgportal.bulk_order", order_id=order.id))
        status = errors.status
    else:
        status = 200
    return (
        render_template(
            "storefront/org/new_order.html",
            org=org,
            products=products,
            available=available_for_bulk(session, clock, org, [p.id for p in products]),
            qty=qty,
            delivery=delivery,
            code=code,
            sheet=sheet,
            errors=errors.fields,
            summary=errors.summary({p.id: p for p in products}),
        ),
        status,
    )


def _read_sheet(qty: dict[int, str], org: Any) -> tuple[Any, int]:
    upload = request.files.get("sheet")
    if upload is None or not upload.filename:
        flash(pick("请选择 CSV 或 XLSX 文件", "Choose a CSV or XLSX file"), "error")
        return None, 422
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        flash(pick("文件不能超过 1 MB", "The file must be at most 1 MB"), "error")
        return None, 422
    session = get_session()
    try:
        sheet = read_order_sheet(session, upload.filename, data)
    except InvalidInput as error:
        refused = FormErrors()
        refused.refused(error)
        for line in refused.summary({}):
            flash(line, "error")
        return None, 422
    try:
        check_bulk_stock(
            session, get_clock(), org, [Wanted.of(session.get(Product, p), q) for p, q in sheet.lines]
        )
    except DomainError as error:
        order_form.sheet_shortages(sheet, error)
    for product_id in qty:
        qty[product_id] = ""
    for product_id, amount in sheet.lines:
        qty[product_id] = str(amount)
    return sheet, (200 if not sheet.errors else 422)


def _readable(order_id: str) -> tuple[Any, Any]:
    user = current_user()
    session = get_session()
    try:
        if user is not None and user.role in STAFF_READERS:
            return bulk.get_bulk_order(session, order_id)
        return bulk.bulk_order_for_member(session, order_id, user.id if user else 0)
    except DomainError:
        abort(404)


@orgportal.get("/bulk-orders/<string:order_id>")
@sign_in_required
def bulk_order(order_id: str) -> Any:
    """A bulk order with what the caller may do next: submit, approve or reject, pay, record a transfer."""
    return _order_page(order_id)


def _order_page(order_id: str, errors: FormErrors | None = None) -> Any:
    """The order page; after a refused action, with its errors at the fields and the values typed."""
    order, record = _readable(order_id)
    member = _member()
    errors = errors or FormErrors(status=200)
    html = render_template(
        "storefront/org/bulk_order.html",
        o=bulk_view(get_session(), order, record),
        member=member if member and member.organization_id == record.organization_id else None,
        staff_writer=_is_staff(STAFF_WRITERS),
        errors=errors.fields,
        summary=errors.summary({}),
        values=request.form if errors else {},
    )
    return html, errors.status


@orgportal.post("/bulk-orders/<string:order_id>/<string:action>")
@sign_in_required
def bulk_order_action(order_id: str, action: str) -> Any:
    """Submit, approve, reject, cancel, pay online, record a transfer or a delivery."""
    back = url_for("orgportal.bulk_order", order_id=order_id)
    session, clock, user = get_session(), get_clock(), current_user()
    user_id, actor, form = user.id, f"user:{user.username}", request.form
    changes = {
        "submit": lambda: bulk.submit_bulk_order(session, clock, order_id, user_id=user_id),
        "approve": lambda: bulk.approve_bulk_order(
            session, clock, order_id, user_id=user_id, note=form.get("note", "")
        ),
        "reject": lambda: bulk.reject_bulk_order(
            session, clock, order_id, user_id=user_id, reason=form.get("reason", "")
        ),
        "cancel": lambda: bulk.cancel_bulk_order(session, clock, order_id, user_id=user_id),
        "pay-online": lambda: _pay_online(order_id, user_id),
    }
    if _is_staff(STAFF_WRITERS):
        changes["deliver"] = lambda: bulk.record_delivery(
            session, clock, order_id, actor=actor, note=form.get("note", "")
        )
        changes["mark-paid"] = lambda: _mark_paid(order_id, actor)
    if action not in changes:
        abort(404)
    _readable(order_id)
    try:
        answer = changes[action]()
    except DomainError as error:
        session.rollback()  # nothing of a refused action is written
        errors = FormErrors()
        errors.refused(error)
        return _order_page(order_id, errors)
    return answer if isinstance(answer, Response) else redirect(back)


def _pay_online(order_id: str, user_id: int) -> Any:
    """Write the online payment, commit, then create it at the provider and go to the pay page."""
    session, clock, provider = get_session(), get_clock(), get_provider()
    payment, _created = bulk.online_payment(session, clock, order_id, user_id=user_id, provider=provider.name)
    payment_id, started = payment.id, payment.provider_ref is not None
    token = bulk.get_bulk_order(session, order_id)[0].pay_token
    session.commit()  # the provider is called outside our transaction
    if not started:
        start_payment(get_db(), clock, provider, payment_id, description="dongxi bulk order")
    if provider.name == "stripe":
        return redirect(url_for("orgportal.pay_online_page", order_id=order_id))
    return redirect(url_for("pay.pay_page", token=token))


@orgportal.get("/bulk-orders/<string:order_id>/pay")
@sign_in_required
def pay_online_page(order_id: str) -> Any:
    """Stripe's Payment Element for a bulk order's online payment (members of its unit only)."""
    order, _record = _readable(order_id)
    if order.status != "awaiting_payment":
        return redirect(url_for("orgportal.bulk_order", order_id=order_id))
    return stripe_page(order, url_for("orgportal.bulk_order", order_id=order_id))


def _mark_paid(order_id: str, actor: str) -> None:
    """Record a transfer typed in yuan; when transfers cover the order, cancel any open online payment."""
    session = get_session()
    amount = parse_yuan(request.form.get("amount", ""), field="amount")
    result = bulk.record_bank_transfer(
        session,
        get_clock(),
        order_id,
        bank_reference=request.form.get("bank_reference", ""),
        amount_fen=amount,
        actor=actor,
    )
    session.commit()  # the provider is called outside our transaction
    cancel_online_payments(result.stale_online_payments)
    if not result.recorded:
        flash(pick("该笔转账已登记过", "This transfer was already recorded"), "info")
    elif result.paid_now:
        flash(pick("已全额到账，订单已付款", "Paid in full: the order is paid"), "info")
    else:
        owed = format_fen(result.settlement.outstanding_fen)
        flash(pick(f"已登记，尚欠 {owed}", f"Recorded; {owed} outstanding"), "info")
