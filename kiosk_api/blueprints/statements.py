"""Statements: list, read, issue a month, download PDF/CSV/XLSX; the reconciliation and audit log."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Response, current_app

from accounts.models import User
from accounts.roles import (
    AUDIT_READERS,
    COUNTY,
    STATEMENT_ISSUERS,
    STATEMENT_READERS,
    STATEMENT_VIEWERS,
    SUPPLIER,
)
from audit.service import audit_filter, list_entries
from core.errors import NotFound, PermissionDenied
from kiosk_api.auth.http import current_user, require_roles
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import get_clock, get_session
from kiosk_api.schemas import statements as s
from sales.statements import issue as service
from sales.statements.balance_check import reconcile_period
from sales.statements.compute import check_period
from sales.statements.models import Statement

statements = Blueprint(
    "statements", __name__, url_prefix="/api/v1/statements", description="月度对账单 · Monthly statements"
)
audit = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计日志 · Audit log")
BLUEPRINTS = (statements, audit)
# The renderers are imported when a document is asked for: reportlab and openpyxl weigh some 30 MB
# in every app server process, most of which never renders one.
DOCUMENTS = {
    "pdf": ("application/pdf", "sales.statements.documents.pdf:render_pdf"),
    "csv": ("text/csv; charset=utf-8", "sales.statements.documents.csvdoc:render_csv"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "sales.statements.documents.xlsxdoc:render_xlsx",
    ),
}


def _renderer(fmt: str) -> Any:
    module, name = DOCUMENTS[fmt][1].split(":")
    return getattr(importlib.import_module(module), name)


def visibility_of(user: User) -> service.Visibility:
    """Staff see every statement; a supplier its own; a county its county's (and its suppliers')."""
    if user.role in STATEMENT_READERS:
        return service.Visibility(everything=True)
    if user.role == SUPPLIER:
        return service.Visibility(supplier_id=user.supplier_id)
    if user.role == COUNTY:
        return service.Visibility(county_code=user.county_code)
    raise PermissionDenied(f"the {user.role} role may not read statements")


def _visibility() -> service.Visibility:
    user = current_user()
    assert user is not None  # the role check ran first
    return visibility_of(user)


def links(statement: Statement) -> dict[str, str]:
    """Where a statement and its documents are."""
    base = f"/api/v1/statements/{statement.period}/{statement.scope}/{statement.scope_key}"
    found = {"self": base}
    if statement.status == "issued" and statement.id is not None:
        found |= {fmt: f"/api/v1/statements/{statement.id}.{fmt}" for fmt in DOCUMENTS}
        found["verify"] = f"{current_app.config['PUBLIC_BASE_URL']}/verify/{statement.content_hash}"
    return found


def summary_view(statement: Statement) -> dict[str, Any]:
    return service.summary(statement) | {"links": links(statement)}


def full_view(statement: Statement) -> dict[str, Any]:
    return summary_view(statement) | {"figures": statement.figures}


@statements.route("")
@require_roles(*STATEMENT_VIEWERS)
@statements.arguments(s.StatementQuery, location="query")
@statements.response(200, s.StatementSummaryOut(many=True))
def list_statements(args: dict[str, Any]) -> Any:
    """List statements: issued ones as issued, those of an open month as drafts computed now."""
    found = service.list_statements(get_session(), _visibility(), **args)
    return [summary_view(st) for st in found]


@statements.route("/<string:period>/<string:scope>/<string:key>")
@require_roles(*STATEMENT_VIEWERS)
@statements.response(200, s.StatementOut)
def read_statement(period: str, scope: str, key: str) -> Any:
    """One statement of a month with every figure (a draft while the month is not issued)."""
    check_period(period)
    statement = service.find_statement(get_session(), period, scope, key, _visibility())
    if statement is None:
        raise NotFound("no such statement", code="statement_not_found")
    return full_view(statement)


@statements.route("/<int:statement_id>")
@require_roles(*STATEMENT_VIEWERS)
@statements.response(200, s.StatementOut)
def read_issued(statement_id: int) -> Any:
    """An issued statement by id."""
    statement = service.get_issued(get_session(), statement_id, _visibility())
    if statement is None:
        raise NotFound("no such statement", code="statement_not_found")
    return full_view(statement)


def _document(statement_id: int, fmt: str) -> Response:
    statement = service.get_issued(get_session(), statement_id, _visibility())
    if statement is None:
        raise NotFound("no such statement", code="statement_not_found")
    content_type, render = DOCUMENTS[fmt][0], _renderer(fmt)
    body = render(statement, current_app.config["PUBLIC_BASE_URL"])
    name = f"statement-{statement.period}-{statement.scope}-{statement.scope_key}.{fmt}"
    return Response(
        body, content_type=content_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@statements.route("/<int:statement_id>.pdf")
@require_roles(*STATEMENT_VIEWERS)
@statements.response(200, content_type="application/pdf", description="the statement as PDF")
def download_pdf(statement_id: int) -> Any:
    """An issued statement as PDF, with its charts and verification QR code."""
    return _document(statement_id, "pdf")


@statements.route("/<int:statement_id>.csv")
@require_roles(*STATEMENT_VIEWERS)
@statements.response(200, content_type="text/csv", description="the statement as CSV")
def download_csv(statement_id: int) -> Any:
    """An issued statement as CSV (UTF-8)."""
    return _document(statement_id, "csv")


@statements.route("/<int:statement_id>.xlsx")
@require_roles(*STATEMENT_VIEWERS)
@statements.response(200, content_type=DOCUMENTS["xlsx"][0], description="the statement as XLSX")
def download_xlsx(statement_id: int) -> Any:
    """An issued statement as an XLSX workbook."""
    return _document(statement_id, "xlsx")


@statements.route("/<string:period>/issue", methods=["POST"])
@require_roles(*STATEMENT_ISSUERS)
@statements.response(200, s.IssueOut)
def issue_statements(period: str) -> Any:
    """Issue (close) a finished month: freeze every statement with its SHA-256; again is a no-op."""
    user = current_user()
    result = service.issue_period(
        get_session(),
        get_clock(),
        check_period(period),
        actor=user.username,
        start=current_app.config.get("STATEMENTS_START") or None,
    )
    return result


@statements.route("/reconciliation")
@require_roles(*STATEMENT_READERS)
@statements.arguments(s.PeriodQuery, location="query")
@statements.response(200, s.ReconciliationOut)
def reconciliation(args: dict[str, Any]) -> Any:
    """Payments captured − refunds = revenue entries = statement totals, with every difference and
    the money still owed back to buyers."""
    report = reconcile_period(get_session(), args["period"])
    return report.__dict__ | {
        "payments_net_fen": report.payments_net_fen,
        "balanced": report.balanced,
        "owed_fen": report.owed_fen,
        "settled": report.settled,
    }


@audit.route("")
@require_roles(*AUDIT_READERS)
@audit.arguments(s.AuditQuery, location="query")
@audit.response(200, s.AuditEntryOut(many=True))
def list_audit(args: dict[str, Any]) -> Any:
    """The audit log, newest first: who changed what, from what, to what, when, from where."""
    limit, offset = args.pop("limit"), args.pop("offset")
    return list_entries(get_session(), audit_filter(**args), limit=limit, offset=offset)
