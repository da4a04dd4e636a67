"""Console pages for reading the records: raw ledgers and the reconciliation."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from accounts.roles import STAFF_READERS
from inventory import service as inventory
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
    return render_template(
        "console/ledger.html", entries=entries, period=period, page=page, total=total, per_page=PAGE
    )


@console.get("/ledger/stock")
@page_roles(*STAFF_READERS)
def stock_ledger() -> str:
    """The stock ledger (append-only movements), newest page last."""
    page = _page()
    movements, total = inventory.list_movements(get_session(), limit=PAGE, offset=(page - 1) * PAGE)
    return render_template(
        "console/stock_ledger.html", movements=movements, page=page, total=total, per_page=PAGE
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
    report = reconcile_period(get_session(), _period())
    return render_template("console/reconciliation.html", report=report)
