"""Operator pages: units behind their quota, and bulk orders waiting for a transfer or a delivery."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from accounts.roles import STAFF_READERS
from catalogue.service import today
from kiosk_api.database import get_clock, get_session
from kiosk_api.input_limits import year_arg
from kiosk_api.storefront.helpers import page_user, resolve_page_user, sign_in_required
from kiosk_api.storefront.presenters import bulk_view
from sales import bulk, org_quota

operator = Blueprint("operator", __name__, url_prefix="/operator", template_folder="templates")
operator.before_request(resolve_page_user)


def _forbidden() -> tuple[str, int]:
    return render_template("storefront/operator/forbidden.html"), 403


@operator.get("/orgs")
@sign_in_required
def orgs() -> Any:
    """Every unit's purchases of the year against its quota; those behind it first."""
    if page_user(STAFF_READERS) is None:
        return _forbidden()
    day = today(get_clock())
    year = request.args.get("year", type=year_arg) or day.year
    units = org_quota.units_progress(get_session(), year, day)
    return render_template(
        "storefront/operator/orgs.html", units=units, year=year, behind=sum(u.behind for u in units)
    )


@operator.get("/bulk-orders")
@sign_in_required
def bulk_orders() -> Any:
    """Bulk orders to act on: transfers to record, deliveries to make; then the rest."""
    if page_user(STAFF_READERS) is None:
        return _forbidden()
    session = get_session()
    views = [bulk_view(session, o, b) for o, b in bulk.list_bulk_orders(session)]
    groups = [
        ("awaiting_payment", [v for v in views if v["status"] in ("awaiting_payment", "expired")]),
        ("paid", [v for v in views if v["status"] == "paid"]),
        ("other", [v for v in views if v["status"] not in ("awaiting_payment", "expired", "paid")]),
    ]
    return render_template("storefront/operator/bulk_orders.html", groups=groups)
