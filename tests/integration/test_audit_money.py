"""`dongxi audit money`: the money invariants pass on honest books and fail, naming what breaks
them, on books corrupted behind the services' backs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select, text, update

from core.clock import SHANGHAI
from core.db import Database, make_engine
from kiosk_api import migrate
from kiosk_api.cli import Context, main
from kiosk_api.demo import load_demo
from payments.models import BankReceipt, Refund
from payments.providers.simulated import SimulatedProvider
from payments.providers.simulated_db_store import DatabaseSimulatedStore
from sales.models import CommissionRate, RevenueEntry
from sales.money_audit import LABELS, audit_money
from sales.payment_flow import request_refund
from sales.refunds import process_pending_refunds, retry_refund
from sales.statements.issue import issue_period
from sales.statements.models import RevenueRollup
from tests.integration.sales.test_refund_lifecycle import paid_order, refund_two_units
from tests.integration.statements.factories import make_month

OCTOBER = datetime(2026, 10, 1, tzinfo=SHANGHAI)
AFTER_OCTOBER = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


def _invoke(db: Database, clock, *args: str):  # type: ignore[no-untyped-def]
    """Run the command on the test's own database (its transaction) and clock."""
    ctx = Context()
    ctx._db, ctx.clock = db, clock
    return CliRunner().invoke(main, ["audit", "money", *args], obj=ctx)


def _failed(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.code for c in result.checks if not c.passed}


@pytest.fixture
def october(session, clock):  # type: ignore[no-untyped-def]
    """October's sales (a quarter partly refunded), issued, then late refunds dated November."""
    for channel, bp in (("kiosk", 800), ("storefront", 500), ("bulk", 300), ("shop", 650)):
        session.add(CommissionRate(channel=channel, supplier_id=None, basis_points=bp))
    month = make_month(session, clock, OCTOBER, orders=30)
    # The factory never pays its refunds out; the provider did, in October (else they are stale).
    session.execute(update(Refund).where(Refund.status == "pending").values(status="succeeded"))
    session.commit()
    clock.set(AFTER_OCTOBER)
    issue_period(session, clock, "2026-10", actor="test")
    for order, payment in zip(month.orders[:5], month.payments[:5], strict=True):
        session.refresh(payment)
        line = next((ln for ln in order.lines if ln.refunded_qty < ln.qty), None)
        if line is not None and payment.refunded_fen < payment.captured_fen:
            clock.advance(minutes=10)
            request_refund(session, clock, order, payment, [(line, 1)], reason="late", actor="test")
    session.commit()
    return month


def test_the_command_passes_on_the_demo_data(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    migrate.upgrade(url)
    db = Database(make_engine(url))
    with db.unit_of_work() as session:
        load_demo(session, Context().clock)
    result = CliRunner().invoke(
        main, ["audit", "money"], env={"DATABASE_URL": url, "DONGXI_VAR_DIR": str(tmp_path)}
    )
    db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert result.output.count("  PASS  (") == len(LABELS) and "FAIL" not in result.output
    assert "per order: captured − refunds = revenue entries" in result.output


def test_demo_data_passes_on_both_databases(session, db, clock) -> None:
    assert audit_money(session, clock).passed
    result = _invoke(db, clock)
    assert result.exit_code == 0, result.output


def test_a_month_with_refunds_across_its_close_passes(session, db, clock, october) -> None:
    result = audit_money(session, clock)
    assert result.passed, [(c.code, c.rows) for c in result.checks if not c.passed]
    months = {m["period"]: m for m in result.check("statements_match_ledger").info["months"]}
    assert months["2026-10"]["issued"] and not months["2026-11"]["issued"]
    assert months["2026-11"]["ledger_fen"] < 0  # only the late refunds: adjustments of October
    for month in months.values():
        assert month["ledger_fen"] == month["county_fen"] == month["supplier_fen"]
        assert month["partner_fen"] == month["partner_ledger_fen"]
    assert audit_money(session, clock, period="2026-10").passed
    cli = _invoke(db, clock, "--period", "2026-11")
    assert cli.exit_code == 0, cli.output
    assert "2026-11 未出账 open (drafts)" in cli.output


def test_a_stray_revenue_entry_fails_naming_its_order(session, db, clock, october) -> None:
    order = october.orders[7]
    sale = session.scalars(select(RevenueEntry).where(RevenueEntry.order_id == order.id)).first()
    # Written behind the services' back: the ledger refuses UPDATE, so an extra entry, no rollup.
    columns = {c.key: getattr(sale, c.key) for c in RevenueEntry.__table__.columns if c.key != "id"}
    session.execute(insert(RevenueEntry).values(columns | {"period": "2026-11", "at": clock.now()}))
    session.flush()
    result = audit_money(session, clock)
    assert _failed(result) == {
        "orders_match_ledger",
        "no_uncaptured_revenue",
        "statements_match_ledger",
        "rollup_matches_ledger",
    }
    [row] = result.check("orders_match_ledger").rows
    assert row["order_id"] == order.id and row["difference_fen"] == sale.amount_fen
    assert order.lines[0].name_zh in row["products"]
    cli = _invoke(db, clock)
    assert cli.exit_code == 1
    assert order.id in cli.output and "FAIL" in cli.output


def test_a_changed_captured_amount_fails_naming_the_order(session, db, clock, october) -> None:
    order = october.orders[3]
    bump = text("UPDATE orders SET captured_fen = captured_fen + 1 WHERE id = :id")
    session.execute(bump, {"id": order.id})
    result = audit_money(session, clock)
    assert _failed(result) == {"orders_match_ledger", "orders_match_payments"}
    assert [r["order_id"] for r in result.check("orders_match_ledger").rows] == [order.id]
    cli = _invoke(db, clock)
    assert cli.exit_code == 1 and order.id in cli.output


def test_a_corrupted_rollup_row_fails_naming_county_and_supplier(session, db, clock, october) -> None:
    row = session.scalars(
        select(RevenueRollup).where(RevenueRollup.period == "2026-11").order_by(RevenueRollup.id)
    ).first()
    session.execute(
        text("UPDATE revenue_rollups SET refund_fen = refund_fen - 5 WHERE id = :id"), {"id": row.id}
    )
    result = audit_money(session, clock, period="2026-11")
    # November is open: its drafts are computed from the rollup, so they are off by the same 5 fen.
    assert _failed(result) == {"rollup_matches_ledger", "statements_match_ledger"}
    [bad] = result.check("rollup_matches_ledger").rows
    assert bad["county"].startswith(row.county_code)
    assert bad["rollup_refund_fen"] - bad["ledger_refund_fen"] == -5
    rows = result.check("statements_match_ledger").rows
    differences = {(r["scope"], r["key"]): r.get("difference_fen") for r in rows if r["scope"] != "month"}
    assert any(r["scope"] == "month" and r["period"] == "2026-11" for r in rows)
    assert differences[("county", row.county_code)] == -5
    assert differences[("supplier", str(row.supplier_id))] == -5
    cli = _invoke(db, clock, "--period", "2026-11")
    assert cli.exit_code == 1
    assert bad["county"] in cli.output and bad["supplier"] in cli.output


def test_refunds_left_pending_or_failed_and_overpayments_are_listed(session, clock, october) -> None:
    pending = session.scalars(select(Refund).where(Refund.status == "pending").order_by(Refund.id)).all()
    assert pending  # the late refunds were never paid out
    assert audit_money(session, clock).passed  # minutes old: in flight, not stale
    clock.advance(hours=2)
    failed = pending[0]
    session.execute(text("UPDATE refunds SET status = 'failed' WHERE id = :id"), {"id": failed.id})
    order = october.orders[12]
    session.add(
        BankReceipt(
            order_id=order.id,
            reference="TEST-OVERPAID-1",
            amount_fen=order.total_fen + 150,
            recorded_by="test",
            at=clock.now() - timedelta(minutes=5),
        )
    )
    session.flush()
    result = audit_money(session, clock)
    # Marked failed behind the services' back (not booked back): the order's refunded figure no
    # longer matches its refunds that have not failed.
    assert _failed(result) == {
        "stale_pending_refunds",
        "failed_refunds",
        "overpayments",
        "orders_match_payments",
    }
    assert [r["order_id"] for r in result.check("orders_match_payments").rows] == [failed.payment.order_id]
    checks = {c.code: c for c in result.checks}
    assert {r["refund_id"] for r in checks["stale_pending_refunds"].rows} == {r.id for r in pending[1:]}
    assert [r["refund_id"] for r in checks["failed_refunds"].rows] == [failed.id]
    [over] = checks["overpayments"].rows
    # The order was paid already: the whole transfer is money it did not need, on no payment.
    assert (over["order_id"], over["source"]) == (order.id, "bank_transfers")
    assert over["overpaid_fen"] == over["unrecorded_fen"] == order.total_fen + 150


def test_a_refund_the_provider_failed_passes_once_retried(db, clock, monkeypatch) -> None:
    """A failed refund is booked back (the order no longer counts it as refunded): the books still
    match the payment records, the audit lists it until an operator retries it, then passes."""
    provider = SimulatedProvider(
        lambda token: f"http://pay.test/pay/{token}", store=DatabaseSimulatedStore(db), clock=clock
    )
    order_id, payment_id = paid_order(db, clock, provider)
    refund_id = refund_two_units(db, clock, order_id, payment_id)
    real_refund = provider.refund
    monkeypatch.setattr(provider, "refund", lambda *a, **k: replace(real_refund(*a, **k), status="failed"))
    process_pending_refunds(db, clock, provider, only_order=order_id)
    with db.unit_of_work() as session:
        result = audit_money(session, clock)
        assert _failed(result) == {"failed_refunds"}
        assert [r["refund_id"] for r in result.check("failed_refunds").rows] == [refund_id]

    monkeypatch.setattr(provider, "refund", real_refund)
    with db.unit_of_work() as session:
        retry_refund(session, clock, refund_id, actor="operator")
    process_pending_refunds(db, clock, provider, only_order=order_id)
    with db.unit_of_work() as session:
        result = audit_money(session, clock)
        assert result.passed, [(c.code, c.rows) for c in result.checks if not c.passed]
