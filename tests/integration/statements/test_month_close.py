"""Closing a month: statements add up to the payments, documents carry the API's figures, issuing
twice changes nothing, and a refund after issue lands in the next month as an adjustment."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from core.clock import SHANGHAI
from core.money import format_fen
from payments.models import Payment
from sales.models import CommissionRate
from sales.payment_flow import request_refund, sync_payment
from sales.statements import rollup
from sales.statements.models import Statement
from tests.integration.statements.documents import (
    contains_row,
    contains_run,
    csv_rows,
    fen,
    pdf_lines,
    xlsx_rows,
)
from tests.integration.statements.factories import make_month

OCTOBER = datetime(2026, 10, 1, tzinfo=SHANGHAI)
AFTER_OCTOBER = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
AFTER_NOVEMBER = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


def _rates(session) -> None:
    for channel, bp in (("kiosk", 800), ("storefront", 500), ("bulk", 300), ("shop", 650)):
        session.add(CommissionRate(channel=channel, supplier_id=None, basis_points=bp))


def _statements(client, headers, period: str) -> list[dict]:
    response = client.get(f"/api/v1/statements?period={period}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _net(statements: list[dict], scope: str) -> int:
    return sum(s["totals"]["net_fen"] for s in statements if s["scope"] == scope)


@pytest.fixture
def october(session, clock):
    _rates(session)
    month = make_month(session, clock, OCTOBER, orders=40)
    session.commit()
    return month


def test_a_closed_month_adds_up_and_late_refunds_become_adjustments(
    session, clock, client, auth, october
) -> None:
    admin = auth("admin")
    clock.set(AFTER_OCTOBER)
    issued = client.post("/api/v1/statements/2026-10/issue", headers=auth("operator"))
    assert issued.status_code == 200 and issued.get_json()["newly_issued"] is True
    before = {
        s["id"]: client.get(f"/api/v1/statements/{s['id']}", headers=admin).get_json()
        for s in _statements(client, admin, "2026-10")
    }

    # County statements, supplier statements and the payments of the month agree to the fen.
    payments = session.scalars(select(Payment).where(Payment.id.in_([p.id for p in october.payments]))).all()
    captured_minus_refunded = sum(p.captured_fen - p.refunded_fen for p in payments)
    october_statements = list(before.values())
    assert (
        _net(october_statements, "county") == _net(october_statements, "supplier") == captured_minus_refunded
    )
    assert sum(s["totals"]["adjustments_fen"] for s in october_statements) == 0

    # Refunds after the issue: they are dated November, so they land there, as adjustments.
    late = october.orders[:6]
    late_by_county: dict[str, int] = {}
    for order, payment in zip(late, october.payments[:6], strict=True):
        session.refresh(payment)
        line = next((ln for ln in order.lines if ln.refunded_qty < ln.qty), None)
        if line is None or payment.refunded_fen >= payment.captured_fen:
            continue
        clock.advance(hours=3)
        refund = request_refund(session, clock, order, payment, [(line, 1)], reason="late", actor="test")
        late_by_county[line.county_code] = late_by_county.get(line.county_code, 0) - refund.amount_fen
    clock.advance(hours=1)
    sync_payment(  # and one refunded at the provider's dashboard, spread over the order's lines
        session,
        clock,
        october.payments[10],
        status=None,
        received=None,
        refunded=october.payments[10].refunded_fen + 100,
        actor="test",
    )
    session.commit()
    assert late_by_county

    # Issuing October again changes nothing; its statements are as they were, hashes and all.
    again = client.post("/api/v1/statements/2026-10/issue", headers=auth("admin"))
    assert again.status_code == 200 and again.get_json()["newly_issued"] is False
    for statement_id, figures in before.items():
        assert client.get(f"/api/v1/statements/{statement_id}", headers=admin).get_json() == figures

    # November's draft shows each late refund as an adjustment of October's sales.
    november = _statements(client, admin, "2026-11")
    for county, amount in late_by_county.items():
        draft = client.get(f"/api/v1/statements/2026-11/county/{county}", headers=admin).get_json()
        assert draft["status"] == "draft"
        adjustments = draft["figures"]["adjustments"]
        assert adjustments and {a["sale_period"] for a in adjustments} == {"2026-10"}
        assert draft["totals"]["gross_fen"] == 0 and draft["totals"]["refunds_fen"] == 0
        assert draft["totals"]["adjustments_fen"] <= amount  # the provider refund may add to one county
    session.expire_all()
    payments = session.scalars(select(Payment).where(Payment.id.in_([p.id for p in october.payments]))).all()
    everything = sum(p.captured_fen - p.refunded_fen for p in payments)
    assert _net(october_statements, "county") + _net(november, "county") == everything
    assert _net(november, "supplier") == _net(november, "county") < 0

    # Once November is issued too, its adjustments are frozen the same way.
    clock.set(AFTER_NOVEMBER)
    assert client.post("/api/v1/statements/2026-11/issue", headers=admin).get_json()["newly_issued"] is True
    issued_november = _statements(client, admin, "2026-11")
    assert [s["totals"] for s in issued_november] == [s["totals"] for s in november]
    assert all(s["status"] == "issued" and len(s["content_hash"]) == 64 for s in issued_november)

    # The reconciliation of October balances: payments − refunds = ledger = statements.
    report = client.get(
        "/api/v1/statements/reconciliation?period=2026-10", headers=auth("auditor")
    ).get_json()
    assert report["balanced"] is True and report["differences"] == []
    assert report["payments_net_fen"] == report["ledger_fen"] == _net(october_statements, "county")


def test_documents_carry_the_figures_of_the_api(session, clock, client, auth, october) -> None:
    admin = auth("admin")
    clock.set(AFTER_OCTOBER)
    client.post("/api/v1/statements/2026-10/issue", headers=admin)
    listed = _statements(client, admin, "2026-10")
    chosen = [s for s in listed if s["scope"] == "county"][:3] + [
        s for s in listed if s["scope"] == "supplier"
    ][:2]
    chosen += [s for s in listed if s["scope"] == "partner"][:1]
    for summary in chosen:
        api = client.get(f"/api/v1/statements/{summary['id']}", headers=admin).get_json()
        figures, totals = api["figures"], api["totals"]

        pdf = client.get(f"/api/v1/statements/{api['id']}.pdf", headers=admin)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        lines = pdf_lines(pdf.data)
        for label, key in (
            ("销售总额 Gross sales", "gross_fen"),
            ("销售净额 Net sales", "net_fen"),
            ("运营佣金 Commission", "commission_fen"),
            ("应付金额 Net payable", "net_payable_fen"),
            ("本期退款 Refunds", "refunds_fen"),
        ):
            assert contains_run(lines, [label, format_fen(totals[key])]), (label, api["key"])
        for dimension, breakdown in figures["breakdowns"].items():
            for line in breakdown:
                row = [
                    format_fen(line["gross_fen"]),
                    format_fen(line["refunds_fen"]),
                    format_fen(line["net_fen"]),
                    str(line["units"]),
                    format_fen(line["commission_fen"]),
                    format_fen(line["net_payable_fen"]),
                ]
                assert contains_row(lines, line["zh"], row), (dimension, line["zh"], row)
        assert f"SHA-256 {api['content_hash']}" in " ".join(lines)

        rows = csv_rows(client.get(f"/api/v1/statements/{api['id']}.csv", headers=admin).data)
        total = next(r for r in rows if r["section"] == "total")
        assert fen(total["gross"]) == totals["gross_fen"] and fen(total["net"]) == totals["net_fen"]
        assert (
            fen(total["net_payable"]) == totals["net_payable_fen"] and int(total["units"]) == totals["units"]
        )
        for dimension, breakdown in figures["breakdowns"].items():
            found = {r["key"]: r for r in rows if r["section"] == dimension}
            assert set(found) == {line["key"] for line in breakdown}
            for line in breakdown:
                assert fen(found[line["key"]]["net"]) == line["net_fen"]
                assert fen(found[line["key"]]["commission"]) == line["commission_fen"]

        book = xlsx_rows(client.get(f"/api/v1/statements/{api['id']}.xlsx", headers=admin).data)
        total = next(r for r in book if r["section"] == "total")
        assert fen(str(total["net"])) == totals["net_fen"] and fen(str(total["gross"])) == totals["gross_fen"]


def test_breakdowns_add_up_to_the_totals(session, clock, client, auth, october) -> None:
    for statement in _statements(client, auth("auditor"), "2026-10"):
        full = client.get(
            f"/api/v1/statements/2026-10/{statement['scope']}/{statement['key']}", headers=auth("auditor")
        ).get_json()
        totals = full["totals"]
        for dimension, lines in full["figures"]["breakdowns"].items():
            assert sum(line["net_fen"] for line in lines) == totals["net_fen"] - totals["adjustments_fen"], (
                dimension
            )
            assert sum(line["gross_fen"] for line in lines) == totals["gross_fen"], dimension
        assert totals["net_payable_fen"] == totals["net_fen"] - totals["commission_fen"]


def test_an_issued_statement_cannot_be_changed_in_the_database(session, clock, client, auth, october) -> None:
    clock.set(AFTER_OCTOBER)
    client.post("/api/v1/statements/2026-10/issue", headers=auth("admin"))
    statement_id = session.scalar(select(func.min(Statement.id)))
    for change in (update(Statement).where(Statement.id == statement_id).values(figures={"totals": {}}),):
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError):
            session.execute(change)
        savepoint.rollback()


def test_the_rollup_equals_the_ledger_grouped(session, clock, october) -> None:
    clock.set(AFTER_OCTOBER)
    order, payment = october.orders[3], october.payments[3]
    session.refresh(payment)
    line = next(ln for ln in order.lines if ln.refunded_qty < ln.qty)
    request_refund(session, clock, order, payment, [(line, 1)], reason="late", actor="test")
    session.flush()
    assert rollup.rollup_rows(session) == rollup.ledger_rows(session)
    adjustment_rows = [r for r in rollup.rollup_rows(session, "2026-11") if r[1] == "2026-10"]
    assert adjustment_rows, "a November refund of an October sale is keyed to its sale's month"
    assert rollup.rebuild(session, "2026-10") == len(rollup.ledger_rows(session, "2026-10"))
    assert rollup.rollup_rows(session) == rollup.ledger_rows(session)


def test_a_month_still_running_cannot_be_issued(client, auth, clock) -> None:
    response = client.post("/api/v1/statements/2026-11/issue", headers=auth("admin"))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "period_open"
    assert client.post("/api/v1/statements/2026-13/issue", headers=auth("admin")).status_code == 422
