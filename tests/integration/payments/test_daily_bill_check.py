"""The daily bill check: a provider's bill of a day matched line by line with our payments and
refunds, and each difference reported exactly (missing on our side, missing from theirs, amounts)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.clock import local_date
from payments.bills import BillLine, BillUnavailable, check_daily_bill, compare_bill, latest_checks
from payments.models import Payment, Refund
from sales.refunds import process_pending_refunds
from tests.api.test_login import sign_in
from tests.integration.sales import test_refund_lifecycle as lifecycle

provider = lifecycle.provider  # the simulated provider on the test's database (a fixture)
paid_order, refund_two_units = lifecycle.paid_order, lifecycle.refund_two_units


class BillingSimulated:
    """The simulated provider's name with a bill the test writes: what a mainland provider would publish."""

    def __init__(self, lines: list[BillLine]) -> None:
        self.name = "simulated"
        self.lines = lines
        self.asked: list[date] = []

    def daily_bill(self, day: date) -> list[BillLine]:
        self.asked.append(day)
        return self.lines


def _line(kind: str, our_ref: str, provider_ref: str, amount_fen: int, clock) -> BillLine:  # type: ignore[no-untyped-def]
    return BillLine("simulated", kind, our_ref, provider_ref, amount_fen, clock.now())  # type: ignore[arg-type]


@pytest.fixture
def day_of_trade(db, clock, provider):  # type: ignore[no-untyped-def]
    """Three orders paid on the test's day and two units of the first refunded (paid out)."""
    first, second, third = (paid_order(db, clock, provider) for _ in range(3))
    refund_id = refund_two_units(db, clock, *first)
    process_pending_refunds(db, clock, provider, only_order=first[0])
    with db.unit_of_work() as session:
        payments = {p.id: p for p in session.scalars(select(Payment))}
        refund = session.get(Refund, refund_id)
        assert refund.status == "succeeded"
        session.expunge_all()
    return [payments[order[1]] for order in (first, second, third)], refund


def test_a_bill_with_one_missing_and_one_differing_line_is_reported_so(session, clock, day_of_trade) -> None:
    (first, second, third), refund = day_of_trade
    lines = [
        _line("payment", first.order_id, first.provider_ref, first.captured_fen, clock),
        _line("payment", second.order_id, second.provider_ref, second.captured_fen - 100, clock),  # differs
        # third: missing from their bill
        _line("payment", "not-ours", "sim_pay_unknown", 4_990, clock),  # missing on our side
        _line("refund", refund.idempotency_key, refund.provider_ref, refund.amount_fen, clock),
    ]
    matched, differences = compare_bill(session, "simulated", local_date(clock.now()), lines)

    assert matched == 2  # the first payment and its refund
    found = {(d.kind, d.record, d.ref, d.ours_fen, d.theirs_fen) for d in differences}
    assert found == {
        ("amount", "payment", second.provider_ref, second.captured_fen, second.captured_fen - 100),
        ("missing_theirs", "payment", third.provider_ref, third.captured_fen, None),
        ("missing_ours", "payment", "sim_pay_unknown", None, 4_990),
    }
    assert {d.order_id for d in differences if d.kind != "missing_ours"} == {second.order_id, third.order_id}


def test_a_full_bill_balances_and_the_next_day_lists_nothing_of_ours(session, clock, day_of_trade) -> None:
    payments, refund = day_of_trade
    lines = [_line("payment", p.order_id, p.provider_ref, p.captured_fen, clock) for p in payments]
    lines.append(_line("refund", refund.idempotency_key, refund.provider_ref, refund.amount_fen, clock))
    today = local_date(clock.now())

    assert compare_bill(session, "simulated", today, lines) == (4, [])
    # A payment recorded just after midnight is matched on the bill that lists it, not missed the next day.
    assert compare_bill(session, "simulated", today + timedelta(days=1), lines) == (4, [])
    assert compare_bill(session, "simulated", today + timedelta(days=1), []) == (0, [])


def test_a_refund_we_recorded_as_failed_that_they_paid_differs(session, clock, day_of_trade) -> None:
    _payments, refund = day_of_trade
    session.get(Refund, refund.id).status = "failed"
    line = _line("refund", refund.idempotency_key, refund.provider_ref, refund.amount_fen, clock)
    _matched, differences = compare_bill(session, "simulated", local_date(clock.now()), [line])
    refund_differences = [d for d in differences if d.record == "refund"]
    found = [(d.kind, d.ours_fen, d.theirs_fen) for d in refund_differences]
    assert found == [("amount", 0, refund.amount_fen)]
    assert "失败" in refund_differences[0].note


def test_each_run_is_recorded_and_the_auditor_sees_the_differences(db, client, clock, day_of_trade) -> None:
    (first, second, _third), _refund = day_of_trade
    bill = BillingSimulated(
        [
            _line("payment", first.order_id, first.provider_ref, first.captured_fen, clock),
            _line("payment", second.order_id, second.provider_ref, second.captured_fen + 1, clock),
        ]
    )
    day = local_date(clock.now())
    check = check_daily_bill(db, clock, bill, day)
    assert bill.asked == [day]
    assert (check.bill_lines, check.matched, len(check.differences)) == (2, 1, 3)  # + third, + refund
    with db.unit_of_work() as session:
        assert [c.id for c in latest_checks(session)] == [check.id]

    sign_in(client, "auditor")
    page = client.get("/console/audit/bills")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "金额不符" in text and "对方账单无此笔" in text
    assert second.provider_ref in text
    assert second.order_id[:8] in text  # the order, by its short number, linked


def test_a_provider_without_a_daily_bill_is_refused_by_name(db, clock, provider) -> None:
    with pytest.raises(BillUnavailable, match="simulated"):
        check_daily_bill(db, clock, provider, date(2026, 11, 25))
