"""The auditor's money audit page (issue 11): every check of `dongxi audit money`, passed or not,
with the orders that break it, and the failing rows as CSV for the auditor's evidence."""

from __future__ import annotations

from flask import Response, render_template, request, url_for

from accounts.roles import STAFF_READERS
from core.clock import local_minute
from kiosk_api.console.access import console, page_roles
from kiosk_api.console.money_audit_view import months_with_sales, present, render_csv
from kiosk_api.database import get_clock, get_session
from sales.money_audit import MAX_ROWS, MoneyAudit, audit_money
from sales.revenue import period_of
from sales.statements.compute import PERIOD, previous_period

ALL_MONTHS = "all"


def _last_finished_month() -> str:
    return previous_period(period_of(get_clock().now()))


def _chosen_period() -> str:
    """?period=YYYY-MM, or ?period=all for every month; by default the last finished month."""
    period = request.args.get("period", "")
    return period if period == ALL_MONTHS or PERIOD.match(period) else _last_finished_month()


def _run(chosen: str) -> MoneyAudit:
    return audit_money(get_session(), get_clock(), period=None if chosen == ALL_MONTHS else chosen)


@console.get("/audit/money")
@page_roles(*STAFF_READERS)
def money_audit() -> str:
    """The money invariants of a month (or of all months): each passed or not, with what breaks it."""
    chosen = _chosen_period()
    session = get_session()
    result = _run(chosen)
    months = months_with_sales(session)
    if chosen != ALL_MONTHS and chosen not in months:
        months = sorted({*months, chosen}, reverse=True)
    checks = present(session, result, lambda order_id: url_for("console.order_detail", order_id=order_id))
    return render_template(
        "console/money_audit.html",
        result=result,
        checks=checks,
        failed=[c for c in checks if not c.check.passed],
        owing=[c for c in checks if c.check.verdict == "OWED"],
        listed=[c for c in checks if c.check.rows],  # failing, or owing money back
        chosen=chosen,
        months=months,
        run_at=local_minute(result.at),
        max_rows=MAX_ROWS,
    )


@console.get("/audit/money.csv")
@page_roles(*STAFF_READERS)
def money_audit_csv() -> Response:
    """The rows that break each check, as CSV (UTF-8), for the auditor's evidence."""
    chosen = _chosen_period()
    result = _run(chosen)
    name = f"money-audit-{chosen}-{result.at:%Y%m%d-%H%M}.csv"
    return Response(
        render_csv(get_session(), result),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
