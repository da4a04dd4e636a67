"""Console pages for reading the records: raw ledgers and the reconciliation."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from accounts.roles import STAFF_READERS
from inventory import service as inventory
from kiosk_api.console import names
from kiosk_api.console.access import console, page_roles
from kiosk_api.database import get_clock, get_session
from kiosk_api.input_limits import int_within
from kiosk_api.schemas.base import MAX_PAGE
from payments.models import Payment, Refund
from sales.models import RevenueEntry
from sales.revenue import period_of
from sales.statements.balance_check import reconcile_period
from sales.statements.compute import PERIOD

PAGE = 100


def _page() -> int:
    return request.args.get("page", default=1, type=int_within(1, MAX_PAGE))


def _period() -> str:
    period = request.args.get("period", "")
    return period if PERIOD.match(period) else period_of(get_clock().now())


@console.get("/ledger")
@page_roles(*STAFF_READERS)
def ledger() -> str:
    """The revenue ledger of a month, entry by entry, in the order it was written."""
    session, period, page = get_session(), _period(), _page()
    total = session.scalar(select(func.count()).where(RevenueEntry.period == period)) or 0
    entries = session.scalars(
        select(RevenueEntry)
        .where(RevenueEntry.period == period)
        .order_by(RevenueEntry.id)
        .limit(PAGE)
        .offset((page - 1) * PAGE)
    ).all()
    found = names.Names(
        regions=names.region_names(session, [e.county_code for e in entries]),
        suppliers=names.supplier_names(session, [e.supplier_id for e in entries]),
        locations=names.location_names(session, [e.location_id for e in entries]),
    )
    return render_template(
        "console/ledger.html",
        entries=entries,
        names=found,
        period=period,
        page=page,
        total=total,
        per_page=PAGE,
    )


@console.get("/ledger/stock")
@page_roles(*STAFF_READERS)
def stock_ledger() -> str:
    """The stock ledger (append-only movements), newest page last."""
    session, page = get_session(), _page()
    movements, total = inventory.list_movements(session, limit=PAGE, offset=(page - 1) * PAGE)
    found = names.Names(
        products=names.product_names(session, [m.product_id for m in movements]),
        actors=names.actor_names(session, [m.actor for m in movements]),
        orders=names.order_ids(session, [m.reference for m in movements]),
    )
    return render_template(
        "console/stock_ledger.html", movements=movements, names=found, page=page, total=total, per_page=PAGE
    )


@console.get("/ledger/payments")
@page_roles(*STAFF_READERS)
def payment_ledger() -> str:
    """Payments with what was captured and refunded, and every refund."""
    session, page = get_session(), _page()
    payments = session.scalars(
        select(Payment)
        .options(selectinload(Payment.refunds))
        .order_by(Payment.id.desc())
        .limit(PAGE)
        .offset((page - 1) * PAGE)
    ).all()
    total = session.scalar(select(func.count(Payment.id))) or 0
    refunds = session.scalar(select(func.count(Refund.id))) or 0
    return render_template(
        "console/payments.html", payments=payments, page=page, total=total, refunds=refunds, per_page=PAGE
    )


@console.get("/reconciliation")
@page_roles(*STAFF_READERS)
def reconciliation() -> str:
    """Payments captured − refunds = revenue entries = statement totals, differences line by line."""
    session = get_session()
    report = reconcile_period(session, _period())
    keys = [d for d in report.differences if d["kind"] in ("county", "supplier")]
    found = names.Names(
        regions=names.region_names(session, [d["key"] for d in keys if d["kind"] == "county"]),
        suppliers=names.supplier_names(
            session, [int(d["key"]) for d in keys if d["kind"] == "supplier" and d["key"].isdigit()]
        ),
    )
    return render_template("console/reconciliation.html", report=report, names=found)
