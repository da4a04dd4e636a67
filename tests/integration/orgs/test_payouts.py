"""Refunds on bank transfers are payouts an operator makes (issue 11, defects 5 and 13): owed until
recorded paid with a bank reference and a date, or failed; an overpaid transfer becomes one too.
Until then the money audit lists them as owed (not as stale refunds) and the month's
reconciliation shows them beside its verdict."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from audit.context import Actor, acting_as
from audit.models import AuditEntry
from core.errors import Conflict, InvalidInput
from payments.models import Payment, Payout, Refund
from sales import bulk, payouts
from sales.money_audit import audit_money
from sales.payment_flow import payment_of
from sales.refunds import failed_refund_alerts, request_refund
from sales.revenue import period_of
from sales.statements.balance_check import reconcile_period
from tests.revenue_helpers import revenue_total

from .factories import approved_order, demo_unit

RICE, TEA = "YB-RICE-5KG", "QXN-PUAN-RED-250G"
TODAY = date(2026, 11, 26)


def paid_by_transfer(session, clock, *, extra_fen: int = 0):  # type: ignore[no-untyped-def]
    """A bulk order of 3 teas paid by one bank transfer (of extra_fen beyond its total)."""
    unit = demo_unit(session, clock)
    order, _ = approved_order(session, clock, unit, [(TEA, 3)])
    bulk.record_bank_transfer(
        session,
        clock,
        order.id,
        bank_reference=f"IN-{order.id[:8]}",
        amount_fen=order.total_fen + extra_fen,
        actor="op",
    )
    session.flush()
    return order, payment_of(session, order.id)


def refund_one_tea(session, clock, order, payment) -> Refund:  # type: ignore[no-untyped-def]
    [line] = order.lines
    refund = request_refund(session, clock, order, payment, [(line, 1)], reason="damaged", actor="op")
    session.flush()
    return refund


def complete(session, clock, refund_id: int, reference: str, amount_fen: int):  # type: ignore[no-untyped-def]
    return payouts.complete_payout(
        session,
        clock,
        refund_id,
        bank_reference=reference,
        amount_fen=amount_fen,
        paid_on=TODAY,
        actor="user:demo-operator",
    )


def checks_of(session, clock) -> dict:  # type: ignore[no-untyped-def]
    return {c.code: c for c in audit_money(session, clock).checks}


def test_a_bank_transfer_refund_is_owed_until_an_operator_pays_it_out_with_a_bank_reference(
    session, clock
) -> None:
    order, payment = paid_by_transfer(session, clock)
    refund = refund_one_tea(session, clock, order, payment)
    assert (payment.provider, refund.status) == ("bank_transfer", "pending")

    clock.advance(hours=3)  # long past the grace of a provider's refund
    checks = checks_of(session, clock)
    assert checks["stale_pending_refunds"].rows == []  # a payout owed is not a stale refund
    owed = checks["payouts_owed"]
    assert (owed.passed, owed.verdict) == (True, "OWED")
    assert [(r["refund_id"], r["amount_fen"]) for r in owed.rows] == [(refund.id, refund.amount_fen)]
    assert [r["refund_id"] for r in payouts.list_owed_payouts(session)] == [refund.id]
    month = reconcile_period(session, period_of(clock.now()))
    assert month.balanced and not month.settled
    assert [(o["kind"], o["refund_id"], o["amount_fen"]) for o in month.owed] == [
        ("payout", refund.id, refund.amount_fen)
    ]

    with acting_as(Actor("ops-1", "operator", "api", clock=clock.now)):
        done = complete(session, clock, refund.id, "OUT-ICBC-1", refund.amount_fen)
        again = complete(session, clock, refund.id, "OUT-ICBC-1", refund.amount_fen)
        session.flush()
    assert (done.recorded, again.recorded, again.payout.id) == (True, False, done.payout.id)
    assert (refund.status, refund.provider_ref) == ("succeeded", "OUT-ICBC-1")
    assert (done.payout.paid_on, done.payout.status) == (TODAY, "paid")
    assert revenue_total(session, order.id) == order.total_fen - refund.amount_fen
    assert payouts.list_owed_payouts(session) == []
    assert checks_of(session, clock)["payouts_owed"].verdict == "PASS"
    assert reconcile_period(session, period_of(clock.now())).settled
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "payouts.create")).all()
    assert (entry.actor, entry.after["refund_id"], entry.after["bank_reference"]) == (
        "ops-1",
        refund.id,
        "OUT-ICBC-1",
    )
    [settled] = session.scalars(select(AuditEntry).where(AuditEntry.action == "refunds.update")).all()
    assert (settled.target_id, settled.before["status"], settled.after["status"]) == (
        str(refund.id),
        "pending",
        "succeeded",
    )

    second = refund_one_tea(session, clock, order, payment)
    with pytest.raises(Conflict) as used:  # the reference is another payout's
        complete(session, clock, second.id, "OUT-ICBC-1", second.amount_fen)
    assert "bank_reference" in used.value.fields
    with pytest.raises(Conflict) as changed:  # the same reference with another amount
        complete(session, clock, refund.id, "OUT-ICBC-1", refund.amount_fen + 1)
    assert "bank_reference" in changed.value.fields
    with pytest.raises(InvalidInput) as wrong:
        complete(session, clock, second.id, "OUT-ICBC-2", second.amount_fen - 1)
    assert "amount_fen" in wrong.value.fields
    with pytest.raises(InvalidInput) as future:
        payouts.complete_payout(
            session,
            clock,
            second.id,
            bank_reference="OUT-ICBC-2",
            amount_fen=second.amount_fen,
            paid_on=TODAY + timedelta(days=1),
            actor="op",
        )
    assert "paid_on" in future.value.fields


def test_a_failed_payout_books_the_money_back_like_any_failed_refund(session, clock) -> None:
    order, payment = paid_by_transfer(session, clock)
    refund = refund_one_tea(session, clock, order, payment)
    assert order.status == "partially_refunded"

    failed = payouts.fail_payout(
        session,
        clock,
        refund.id,
        reason="账户已注销",
        actor="user:demo-operator",
    )
    again = payouts.fail_payout(
        session,
        clock,
        refund.id,
        reason="账户已注销",
        actor="user:demo-operator",
    )
    session.flush()
    assert (failed.recorded, again.recorded, refund.status) == (True, False, "failed")
    assert (order.status, order.refunded_fen, payment.refunded_fen) == ("paid", 0, 0)
    assert revenue_total(session, order.id) == order.total_fen
    assert [a.message for a in failed_refund_alerts(session) if f"refund {refund.id} " in a.message]
    with pytest.raises(Conflict):
        complete(session, clock, refund.id, "OUT-LATE-1", refund.amount_fen)
    checks = checks_of(session, clock)
    assert [r["refund_id"] for r in checks["failed_refunds"].rows] == [refund.id]
    assert checks["payouts_owed"].rows == []


def test_an_overpaid_transfer_is_owed_to_the_unit_until_paid_out(session, clock) -> None:
    order, payment = paid_by_transfer(session, clock, extra_fen=500)
    assert (order.status, order.captured_fen) == ("paid", order.total_fen)
    assert (payment.captured_fen, payment.surplus_fen) == (order.total_fen + 500, 500)
    assert revenue_total(session, order.id) == order.total_fen  # the 500 is not revenue
    [payout] = session.scalars(select(Refund).where(Refund.payment_id == payment.id)).all()
    assert (payout.kind, payout.amount_fen, payout.lines, payout.status) == (
        "overpayment",
        500,
        [],
        "pending",
    )

    checks = checks_of(session, clock)
    [over] = [r for r in checks["overpayments"].rows if r["order_id"] == order.id]
    assert (over["overpaid_fen"], over["owed_fen"], over["unrecorded_fen"]) == (500, 500, 0)
    assert checks["overpayments"].verdict == "OWED"
    month = reconcile_period(session, period_of(clock.now()))
    assert month.balanced and month.owed_fen == 500 and not month.settled
    assert [(o["kind"], o["order_id"]) for o in month.owed] == [("overpayment", order.id)]

    complete(session, clock, payout.id, "OUT-RETURN-1", 500)
    session.flush()
    checks = checks_of(session, clock)
    assert [r for r in checks["overpayments"].rows if r["order_id"] == order.id] == []
    assert checks["overpayments"].verdict == "PASS"
    assert reconcile_period(session, period_of(clock.now())).settled
    assert session.scalar(select(Payout.status).where(Payout.refund_id == payout.id)) == "paid"
    assert session.get(Payment, payment.id).refunded_fen == 500


def test_an_overpayment_no_refund_returns_fails_the_audit_and_the_reconciliation(session, clock) -> None:
    order, payment = paid_by_transfer(session, clock, extra_fen=300)
    [payout] = session.scalars(select(Refund).where(Refund.payment_id == payment.id)).all()
    payouts.fail_payout(session, clock, payout.id, reason="退回失败", actor="op")
    session.flush()
    assert (order.status, revenue_total(session, order.id)) == ("paid", order.total_fen)
    checks = checks_of(session, clock)
    [over] = [r for r in checks["overpayments"].rows if r["order_id"] == order.id]
    assert (over["overpaid_fen"], over["unrecorded_fen"]) == (300, 300)
    assert checks["overpayments"].verdict == "FAIL"
    month = reconcile_period(session, period_of(clock.now()))
    assert not month.balanced
    assert [(d["kind"], d["key"], d["found_fen"]) for d in month.differences] == [
        ("overpayment", order.id, 300)
    ]
