"""An order may have several payments (issue 11, defect 2): money beyond what the order needs is
recorded on its payment and given back — refunded at once through an online provider, or owed
as a payout for a bank transfer — and a late provider event is applied, never refused for ever.

After every step the order's books balance: its revenue is booked once, for the money it needed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalogue.models import Product
from core.db import UnitOfWork
from payments.models import Payment, Refund
from payments.providers.base import ProviderRefund
from payments.providers.simulated import SimulatedProvider
from payments.providers.simulated_db_store import DatabaseSimulatedStore
from sales import bulk
from sales.money_audit import audit_money
from sales.orders import LineRequest, get_order, new_order
from sales.payment_flow import new_payment, receive_event, start_payment
from tests.integration.orgs.factories import approved_order, demo_unit
from tests.revenue_helpers import revenue_total

TEA = "QXN-PUAN-RED-250G"


@pytest.fixture
def provider(db, clock) -> SimulatedProvider:  # type: ignore[no-untyped-def]
    return SimulatedProvider(
        lambda token: f"http://pay.test/pay/{token}", store=DatabaseSimulatedStore(db), clock=clock
    )


def webhook(db, clock, provider, event):  # type: ignore[no-untyped-def]
    """Receive a provider event as the webhook does: apply, commit, then settle what it owes."""
    with db.unit_of_work() as session:
        return receive_event(UnitOfWork(db, session), clock, provider, event)


def bulk_order_paying_online(db, clock, provider) -> tuple[str, int, int]:  # type: ignore[no-untyped-def]
    """An approved bulk order whose online payment was started at the provider: (order, payment, total)."""
    with db.unit_of_work() as session:
        unit = demo_unit(session, clock)
        order, _ = approved_order(session, clock, unit, [(TEA, 2)])
        payment, _ = bulk.online_payment(
            session, clock, order.id, user_id=unit.buyer.id, provider=provider.name
        )
        order_id, payment_id, total = order.id, payment.id, order.total_fen
    start_payment(db, clock, provider, payment_id)
    return order_id, payment_id, total


def refunds_of(session, payment_id: int) -> list[Refund]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.id)))


def audit_rows(session, clock, order_id: str) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    """The audit's rows about one order, by check (an empty dict when nothing concerns it)."""
    result = audit_money(session, clock)
    found = {c.code: [r for r in c.rows if r.get("order_id") == order_id] for c in result.checks}
    return {code: rows for code, rows in found.items() if rows}


def test_a_capture_arriving_after_the_order_was_paid_by_transfer_is_recorded_and_refunded(
    db, clock, provider
) -> None:
    order_id, payment_id, total = bulk_order_paying_online(db, clock, provider)
    with db.unit_of_work() as session:
        ref = session.get(Payment, payment_id).provider_ref
    event = provider.simulate_pay(ref)  # captured at the provider; its webhook is delayed
    with db.unit_of_work() as session:
        result = bulk.record_bank_transfer(
            session, clock, order_id, bank_reference="ICBC-LATE-1", amount_fen=total, actor="op"
        )
        assert result.paid_now

    received = webhook(db, clock, provider, event)  # no IllegalTransition: the webhook answers 2xx
    again = webhook(db, clock, provider, event)

    assert received.new and not again.new
    with db.unit_of_work() as session:
        order, online = get_order(session, order_id), session.get(Payment, payment_id)
        assert (order.status, order.captured_fen, order.refunded_fen) == ("paid", total, 0)
        assert (online.captured_fen, online.refunded_fen) == (total, total)
        [refund] = refunds_of(session, payment_id)
        assert (refund.amount_fen, refund.lines, refund.status) == (total, [], "succeeded")
        assert revenue_total(session, order_id) == total  # booked once, for the transfer
        assert audit_rows(session, clock, order_id) == {}


def test_a_transfer_recorded_after_the_online_payment_was_applied_is_owed_back_as_a_payout(
    db, clock, provider
) -> None:
    order_id, payment_id, total = bulk_order_paying_online(db, clock, provider)
    with db.unit_of_work() as session:
        ref = session.get(Payment, payment_id).provider_ref
    webhook(db, clock, provider, provider.simulate_pay(ref))

    with db.unit_of_work() as session:
        result = bulk.record_bank_transfer(
            session, clock, order_id, bank_reference="ICBC-LATE-2", amount_fen=total, actor="op"
        )
        assert (result.recorded, result.paid_now) == (True, False)
    with db.unit_of_work() as session:
        order = get_order(session, order_id)
        assert (order.status, order.captured_fen) == ("paid", total)
        transfer = session.scalar(
            select(Payment).where(Payment.order_id == order_id, Payment.provider == "bank_transfer")
        )
        assert transfer.captured_fen == total
        [payout] = refunds_of(session, transfer.id)
        assert (payout.amount_fen, payout.lines, payout.status) == (total, [], "pending")
        assert revenue_total(session, order_id) == total
        rows = audit_rows(session, clock, order_id)
        assert set(rows) == {"overpayments", "payouts_owed"}  # owed until an operator pays it out
        assert rows["overpayments"][0]["owed_fen"] == total
        assert audit_money(session, clock).passed  # owed, recorded: not an error


def test_a_second_capture_on_a_paid_shop_order_is_refunded_automatically(db, clock, provider) -> None:
    with db.unit_of_work() as session:
        products = list(session.scalars(select(Product).order_by(Product.id).limit(1)))
        order = new_order(
            session,
            at=clock.now(),
            channel="storefront",
            status="awaiting_payment",
            actor="test",
            lines=[LineRequest(products[0], 2)],
        )
        payments = [
            new_payment(
                session,
                order,
                provider=provider.name,
                amount_fen=order.total_fen,
                capture_mode="automatic",
                method="any",
                at=clock.now(),
            )
            for _ in range(2)  # the shopper opened the pay page twice
        ]
        session.flush()  # the ids
        order_id, total, ids = order.id, order.total_fen, [p.id for p in payments]
    refs = [start_payment(db, clock, provider, payment_id).provider_ref for payment_id in ids]
    for ref in refs:
        webhook(db, clock, provider, provider.simulate_pay(ref))

    with db.unit_of_work() as session:
        order = get_order(session, order_id)
        first, second = (session.get(Payment, i) for i in ids)
        assert (order.status, order.captured_fen, order.refunded_fen) == ("paid", total, 0)
        assert (first.captured_fen, first.refunded_fen) == (total, 0)
        assert (second.captured_fen, second.refunded_fen) == (total, total)
        assert [(r.amount_fen, r.status) for r in refunds_of(session, second.id)] == [(total, "succeeded")]
        assert revenue_total(session, order_id) == total
        assert audit_rows(session, clock, order_id) == {}


def test_transfers_received_before_an_online_capture_paid_the_order_are_owed_back(
    db, clock, provider
) -> None:
    order_id, payment_id, total = bulk_order_paying_online(db, clock, provider)
    with db.unit_of_work() as session:
        ref = session.get(Payment, payment_id).provider_ref
        bulk.record_bank_transfer(
            session, clock, order_id, bank_reference="ICBC-PART-1", amount_fen=100, actor="op"
        )
    webhook(db, clock, provider, provider.simulate_pay(ref))  # the online payment pays the order

    with db.unit_of_work() as session:
        order = get_order(session, order_id)
        assert (order.status, order.captured_fen) == ("paid", total)
        transfer = session.scalar(
            select(Payment).where(Payment.order_id == order_id, Payment.provider == "bank_transfer")
        )
        assert (transfer.captured_fen, transfer.surplus_fen) == (100, 100)
        assert [(r.kind, r.amount_fen, r.status) for r in refunds_of(session, transfer.id)] == [
            ("overpayment", 100, "pending")
        ]
        assert revenue_total(session, order_id) == total


def test_a_surplus_refund_the_provider_failed_leaves_the_order_alone_and_is_retried(
    db, clock, provider, monkeypatch
) -> None:
    from sales.refunds import process_pending_refunds, retry_refund

    order_id, payment_id, total = bulk_order_paying_online(db, clock, provider)
    with db.unit_of_work() as session:
        ref = session.get(Payment, payment_id).provider_ref
        bulk.record_bank_transfer(
            session, clock, order_id, bank_reference="ICBC-FAIL-1", amount_fen=total, actor="op"
        )
    real_refund = provider.refund

    def refused(ref: str, *, amount_fen: int, idempotency_key: str, reason: str = "") -> ProviderRefund:
        return ProviderRefund(f"re_refused_{idempotency_key}", ref, "failed", amount_fen)

    monkeypatch.setattr(provider, "refund", refused)
    webhook(db, clock, provider, provider.simulate_pay(ref))

    with db.unit_of_work() as session:
        order, online = get_order(session, order_id), session.get(Payment, payment_id)
        [failed] = refunds_of(session, payment_id)
        assert (failed.kind, failed.status) == ("overpayment", "failed")
        assert (order.status, order.refunded_fen, online.refunded_fen) == ("paid", 0, 0)
        assert revenue_total(session, order_id) == total
        rows = audit_rows(session, clock, order_id)
        assert rows["overpayments"][0]["unrecorded_fen"] == total and "failed_refunds" in rows
        retried = retry_refund(session, clock, failed.id, actor="test")
        assert (retried.kind, retried.amount_fen, retried.lines) == ("overpayment", total, [])
    monkeypatch.setattr(provider, "refund", real_refund)
    process_pending_refunds(db, clock, provider, only_order=order_id)
    with db.unit_of_work() as session:
        assert [r.status for r in refunds_of(session, payment_id)] == ["failed", "succeeded"]
        assert "overpayments" not in audit_rows(session, clock, order_id)
