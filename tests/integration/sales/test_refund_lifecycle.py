"""A refund has a real lifecycle (issue 11, defects 3 and 4): a refund the provider was never told
about is paid out by reconcile, a `pending` answer stays pending until the provider settles it, and
a refund the provider failed puts the money back on the books with an alert for an operator.

After every step the books of the order balance: captured minus the refunds that have not failed
(pending ones are reserved on the payment) equals the sum of its revenue entries."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from catalogue.models import Product
from payments.errors import ProviderUnavailable
from payments.models import Payment, Refund
from payments.providers.simulated import SimulatedProvider
from payments.providers.simulated_db_store import DatabaseSimulatedStore
from payments.providers.stripe_objects import event_from_stripe
from sales.models import RevenueEntry
from sales.orders import LineRequest, get_order, new_order
from sales.payment_flow import apply_event, new_payment, request_refund, start_payment
from sales.provider_repair import reconcile
from sales.refunds import failed_refund_alerts, process_pending_refunds
from sales.statements import rollup


@pytest.fixture
def provider(db, clock) -> SimulatedProvider:  # type: ignore[no-untyped-def]
    return SimulatedProvider(
        lambda token: f"http://pay.test/pay/{token}", store=DatabaseSimulatedStore(db), clock=clock
    )


def paid_order(db, clock, provider) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        products = list(session.scalars(select(Product).order_by(Product.id).limit(2)))
        order = new_order(
            session,
            at=clock.now(),
            channel="storefront",
            status="awaiting_payment",
            actor="test",
            lines=[LineRequest(products[0], 3), LineRequest(products[1], 2)],
        )
        payment = new_payment(
            session,
            order,
            provider=provider.name,
            amount_fen=order.total_fen,
            capture_mode="automatic",
            method="any",
            at=clock.now(),
        )
        session.flush()  # the ids
        order_id, payment_id = order.id, payment.id
    ref = start_payment(db, clock, provider, payment_id).provider_ref
    with db.unit_of_work() as session:
        apply_event(session, clock, provider.name, provider.simulate_pay(ref))
    return order_id, payment_id


def refund_two_units(db, clock, order_id: str, payment_id: int) -> int:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        order = get_order(session, order_id)
        line = min(order.lines, key=lambda line: line.line_no)
        refund = request_refund(
            session, clock, order, session.get(Payment, payment_id), [(line, 2)], reason="test", actor="test"
        )
        return refund.id


def assert_books_balance(db, order_id: str) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        order = get_order(session, order_id)
        payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
        given_back = sum(r.amount_fen for r in payment.refunds if r.status in ("succeeded", "pending"))
        ledger = session.scalar(
            select(func.coalesce(func.sum(RevenueEntry.amount_fen), 0)).where(
                RevenueEntry.order_id == order_id
            )
        )
        assert ledger == order.captured_fen - given_back
        assert payment.refunded_fen == order.refunded_fen == given_back
        assert sum(line.refunded_fen for line in order.lines) == given_back


def refund_row(db, refund_id: int) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        refund = session.get(Refund, refund_id)
        return refund.status, refund.provider_ref


def refunded_at_provider(provider, db, payment_id: int) -> int:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        ref = session.get(Payment, payment_id).provider_ref
    return provider.get_payment(ref).raw["amount_refunded_fen"]


def test_a_refund_whose_provider_call_failed_is_paid_out_by_reconcile(
    db, clock, provider, monkeypatch
) -> None:
    order_id, payment_id = paid_order(db, clock, provider)
    refund_id = refund_two_units(db, clock, order_id, payment_id)
    real_refund = provider.refund

    def unavailable(*_a, **_k):  # type: ignore[no-untyped-def]
        raise ProviderUnavailable("the provider timed out")

    monkeypatch.setattr(provider, "refund", unavailable)
    assert process_pending_refunds(db, clock, provider, only_order=order_id) == 0
    assert refund_row(db, refund_id) == ("pending", None)
    assert_books_balance(db, order_id)

    monkeypatch.setattr(provider, "refund", real_refund)
    counts = reconcile(db, clock, provider)

    status, ref = refund_row(db, refund_id)
    assert status == "succeeded" and ref
    assert counts["refunds_succeeded"] == 1
    with db.unit_of_work() as session:
        amount = session.get(Refund, refund_id).amount_fen
    assert refunded_at_provider(provider, db, payment_id) == amount
    assert_books_balance(db, order_id)
    reconcile(db, clock, provider)  # again: nothing is paid out twice
    assert refunded_at_provider(provider, db, payment_id) == amount


def test_a_refund_the_provider_answers_pending_stays_pending_until_it_settles(
    db, clock, provider, monkeypatch
) -> None:
    order_id, payment_id = paid_order(db, clock, provider)
    refund_id = refund_two_units(db, clock, order_id, payment_id)
    real_refund = provider.refund
    answers: dict[str, object] = {}

    def pending(*args, **kwargs):  # type: ignore[no-untyped-def]
        answer = replace(real_refund(*args, **kwargs), status="pending")
        answers[answer.provider_ref] = answer
        return answer

    monkeypatch.setattr(provider, "refund", pending)
    monkeypatch.setattr(provider, "get_refund", lambda ref: answers[ref], raising=False)
    process_pending_refunds(db, clock, provider, only_order=order_id)
    status, ref = refund_row(db, refund_id)
    assert status == "pending" and ref
    assert_books_balance(db, order_id)

    counts = reconcile(db, clock, provider)  # the provider still says pending
    assert refund_row(db, refund_id) == ("pending", ref)
    assert counts["refunds_pending"] == 1
    assert_books_balance(db, order_id)

    answers[ref] = replace(answers[ref], status="succeeded")
    reconcile(db, clock, provider)
    assert refund_row(db, refund_id) == ("succeeded", ref)
    assert_books_balance(db, order_id)


def failed_refund_events(db, refund_id: int):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        return list(session.scalars(select(RevenueEntry).where(RevenueEntry.refund_id == refund_id)))


def test_a_failed_refund_is_booked_back_and_raises_an_alert(db, clock, provider, monkeypatch) -> None:
    order_id, payment_id = paid_order(db, clock, provider)
    with db.unit_of_work() as session:
        status_before = get_order(session, order_id).status
        sale_commission = session.scalar(
            select(func.sum(RevenueEntry.commission_fen)).where(RevenueEntry.order_id == order_id)
        )
    refund_id = refund_two_units(db, clock, order_id, payment_id)
    real_refund = provider.refund
    monkeypatch.setattr(provider, "refund", lambda *a, **k: replace(real_refund(*a, **k), status="failed"))
    clock.advance(days=10)  # the refund fails in the next month

    process_pending_refunds(db, clock, provider, only_order=order_id)

    assert refund_row(db, refund_id)[0] == "failed"
    assert_books_balance(db, order_id)
    entries = failed_refund_events(db, refund_id)
    by_line: dict[int, list[int]] = {}
    for e in entries:
        by_line.setdefault(e.order_line_id, [0, 0, 0])
        by_line[e.order_line_id][0] += e.amount_fen
        by_line[e.order_line_id][1] += e.commission_fen
        by_line[e.order_line_id][2] += e.qty
    assert len(entries) == 2 and all(v == [0, 0, 0] for v in by_line.values())  # cancelled exactly
    compensating = next(e for e in entries if e.amount_fen > 0)
    assert compensating.period == "2026-12"  # dated when it failed, not in the refund's month
    with db.unit_of_work() as session:
        order = get_order(session, order_id)
        assert order.status == status_before and order.refunded_fen == 0
        assert all(line.refunded_qty == 0 and line.refunded_fen == 0 for line in order.lines)
        commission = session.scalar(
            select(func.sum(RevenueEntry.commission_fen)).where(RevenueEntry.order_id == order_id)
        )
        assert commission == sale_commission
        # Operators see it beside the stock alerts, until it is retried.
        [shown] = [a for a in failed_refund_alerts(session) if f"refund {refund_id} " in a.message]
        assert shown.severity == "critical" and order_id in shown.message
        for period in ("2026-11", "2026-12"):  # the rollup statements read still equals the ledger
            assert rollup.rollup_rows(session, period) == rollup.ledger_rows(session, period)

    # Failing again (a late webhook, a repeated answer) books nothing twice.
    process_pending_refunds(db, clock, provider, only_order=order_id)
    assert len(failed_refund_events(db, refund_id)) == 2

    # An operator retries it: a new refund of the same units, paid out after the commit.
    from sales.refunds import retry_refund

    monkeypatch.setattr(provider, "refund", real_refund)
    with db.unit_of_work() as session:
        retry_id = retry_refund(session, clock, refund_id, actor="operator").id
    process_pending_refunds(db, clock, provider, only_order=order_id)
    assert refund_row(db, retry_id)[0] == "succeeded"
    assert_books_balance(db, order_id)
    with db.unit_of_work() as session:
        assert not [a for a in failed_refund_alerts(session) if f"refund {refund_id} " in a.message]


def stripe_refund_event(event_type: str, refund_ref: str, payment_ref: str, status: str) -> dict:
    return {
        "id": f"evt_{event_type}_{refund_ref}",
        "object": "event",
        "type": event_type,
        "created": 1_790_000_000,
        "data": {
            "object": {
                "id": refund_ref,
                "object": "refund",
                "amount": 100,
                "currency": "cny",
                "payment_intent": payment_ref,
                "status": status,
            }
        },
    }


def test_a_refund_failed_webhook_settles_a_pending_refund_by_its_reference(
    db, clock, provider, monkeypatch
) -> None:
    order_id, payment_id = paid_order(db, clock, provider)
    refund_id = refund_two_units(db, clock, order_id, payment_id)
    real_refund = provider.refund
    monkeypatch.setattr(provider, "refund", lambda *a, **k: replace(real_refund(*a, **k), status="pending"))
    process_pending_refunds(db, clock, provider, only_order=order_id)
    _status, ref = refund_row(db, refund_id)
    with db.unit_of_work() as session:
        payment_ref = session.get(Payment, payment_id).provider_ref

    updated = event_from_stripe(stripe_refund_event("charge.refund.updated", ref, payment_ref, "pending"))
    with db.unit_of_work() as session:
        apply_event(session, clock, provider.name, updated)
    assert refund_row(db, refund_id)[0] == "pending"

    failed = event_from_stripe(stripe_refund_event("refund.failed", ref, payment_ref, "failed"))
    with db.unit_of_work() as session:
        apply_event(session, clock, provider.name, failed)
    assert refund_row(db, refund_id)[0] == "failed"
    assert_books_balance(db, order_id)
