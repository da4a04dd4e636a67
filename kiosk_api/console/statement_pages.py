"""Console pages of statements: a month's list, one statement with its charts, issuing a month."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from accounts.roles import STATEMENT_VIEWERS
from kiosk_api.blueprints.statements import visibility_of
from kiosk_api.console import names
from kiosk_api.console.access import can_edit, console, page_roles, signed_in_user
from kiosk_api.console.charts import bar_chart
from kiosk_api.console.forms import Form
from kiosk_api.database import get_clock, get_session
from sales.revenue import period_of
from sales.statements import issue as service
from sales.statements import labels
from sales.statements.compute import PERIOD, previous_period


@console.get("/statements")
@page_roles(*STATEMENT_VIEWERS)
def statements() -> str:
    """A month's statements (issued, or drafts while the month is open), with the issue button."""
    period = request.args.get("period", "")
    return _statements_page(period if PERIOD.match(period) else None)


def _statements_page(period: str | None, errors: dict[str, str] | None = None) -> str:
    session = get_session()
    now_period = period_of(get_clock().now())
    period = period or previous_period(now_period)
    user = signed_in_user()
    assert user is not None
    found = service.list_statements(session, visibility_of(user), period=period)
    issued = service.issued_period(session, period)
    return render_template(
        "console/statements.html",
        period=period,
        statements=found,
        issued=issued,
        issued_by=names.actor_names(session, [issued.issued_by]).get(issued.issued_by) if issued else None,
        can_issue=can_edit() and issued is None and period < now_period,
        scopes=labels.SCOPES,
        previous=previous_period(period),
        errors=errors or {},
        names={"period": "期间 Period"},
        error_title="未签发 · Not issued",
    )


@console.get("/statements/<string:period>/<string:scope>/<string:key>")
@page_roles(*STATEMENT_VIEWERS)
def statement_page(period: str, scope: str, key: str) -> str:
    """One statement: totals, charts by product (or county) and channel, every breakdown."""
    if not PERIOD.match(period) or scope not in labels.SCOPES:
        abort(404)
    user = signed_in_user()
    assert user is not None
    statement = service.find_statement(get_session(), period, scope, key, visibility_of(user))
    if statement is None:
        abort(404)
    breakdowns = statement.figures["breakdowns"]
    first = "product" if "product" in breakdowns else "county"
    first_zh, first_en = labels.DIMENSIONS[first]
    charts = [
        bar_chart(f"按{first_zh}净销售额 · net sales by {first_en.lower()}", _items(breakdowns[first])),
        bar_chart("按渠道净销售额 · net sales by channel", _items(breakdowns["channel"])),
    ]
    base = current_app.config["PUBLIC_BASE_URL"]
    return render_template(
        "console/statement.html",
        statement=statement,
        figures=statement.figures,
        charts=charts,
        labels=labels,
        verify_url=f"{base}/verify/{statement.content_hash}" if statement.content_hash else None,
    )


def _items(lines: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(line["zh"], line["net_fen"]) for line in lines]


@console.post("/statements/<string:period>/issue")
@page_roles(*STATEMENT_VIEWERS)
def issue(period: str) -> Any:
    """Issue a finished month from the console (the same service as the API; audited)."""
    if not PERIOD.match(period):
        abort(404)
    user = signed_in_user()
    assert user is not None
    reader = Form(request.form)
    result = reader.write(
        lambda: service.issue_period(
            get_session(),
            get_clock(),
            period,
            actor=user.username,
            start=current_app.config.get("STATEMENTS_START") or None,
        )
    )
    if result is None:  # refused: nothing written, the month's page says why
        return _statements_page(period, reader.errors), reader.status
    if result.newly_issued:
        flash(
            f"{period} 已签发 {result.statement_count} 份对账单 · issued {result.statement_count} statements"
        )
    else:
        flash(f"{period} 此前已签发，未作改动 · already issued, nothing changed")
    return redirect(url_for("console.statements", period=period))
