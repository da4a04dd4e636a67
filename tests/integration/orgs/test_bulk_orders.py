"""Bulk orders: drafted by a buyer, approved by an approver of the same unit with a 7-day hold at a
warehouse, paid by bank transfers that add up, and written to the ledger like any other capture."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, DomainError, InvalidInput
from inventory.errors import OutOfStock
from inventory.models import Location, Reservation, StockMovement
from payments.models import BankReceipt, Payment
from sales import bulk, bulk_stock
from sales.models import RevenueEntry
from tests.revenue_helpers import revenue_total

from .factories import approved_order, delivery, demo_unit, drafted_order, other_unit, product

RICE, TEA = "YB-RICE-5KG", "QXN-PUAN-RED-250G"


def test_buyer_drafts_and_submits_priced_by_the_server(session, clock) -> None:
    unit = demo_unit(session, clock)
    rice = product(session, RICE)
    order, record = drafted_order(session, clock, unit, [(rice.id, 7), (rice.id, 3)])
    assert order.status == "awaiting_approval" and order.channel == "bulk"
    assert (order.buyer_kind, order.organization_id) == ("government", unit.org.id)
    assert [(line.qty, line.unit_price_fen) for line in order.lines] == [(10, rice.price_fen)]
    assert order.total_fen == 10 * rice.price_fen
    assert record.number.startswith("BK") and record.tax_id == unit.org.credit_code


def test_only_a_buyer_of_the_unit_drafts(session, clock) -> None:
    unit, other = demo_unit(session, clock), other_unit(session, clock)
    lines = [(product(session, RICE).id, 1)]
    with pytest.raises(DomainError) as error:
        bulk.draft_bulk_order(
            session, clock, org_id=unit.org.id, user_id=other.buyer.id, lines=lines, delivery=delivery()
        )
    assert error.value.code == "organization_not_found"
    with pytest.raises(DomainError) as error:
        bulk.draft_bulk_order(
            session, clock, org_id=unit.org.id, user_id=unit.approver.id, lines=lines, delivery=delivery()
        )
    assert error.value.code == "forbidden"


def test_bad_lines_are_named_by_the_product_not_the_line_index(session, clock) -> None:
    unit = demo_unit(session, clock)
    rice = product(session, RICE)
    with pytest.raises(InvalidInput) as error:
        drafted_order(session, clock, unit, [(rice.id, 7), (rice.id, 0), (999_999, 1)])
    assert error.value.code == "invalid_lines"
    assert set(error.value.fields) == {f"products.{RICE}.qty", "products.999999"}
    assert rice.name_en in error.value.fields[f"products.{RICE}.qty"]


def test_a_tax_id_with_a_wrong_check_character_is_refused(session, clock) -> None:
    unit = demo_unit(session, clock)
    with pytest.raises(InvalidInput) as error:
        drafted_order(session, clock, unit, [(product(session, RICE).id, 1)], tax_id="11330200MB0A12345H")
    assert "tax_id" in error.value.fields


def test_approval_holds_the_stock_at_a_warehouse_for_seven_days(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _record = approved_order(session, clock, unit, [(RICE, 20), (TEA, 5)])
    assert order.status == "awaiting_payment"
    warehouse = session.get(Location, order.location_id)
    assert (warehouse.code, order.partner_code) == ("NB-WH-01", "330200")
    holds = session.scalars(select(Reservation).where(Reservation.order_ref == order.id)).all()
    assert sum(h.qty for h in holds) == 25 and {h.status for h in holds} == {"active"}
    assert (
        {h.expires_at for h in holds} == {clock.now() + bulk.BULK_HOLD} == {clock.now() + timedelta(days=7)}
    )


def test_an_approver_of_another_unit_cannot_approve(session, clock) -> None:
    unit, other = demo_unit(session, clock), other_unit(session, clock)
    order, _ = drafted_order(session, clock, unit, [(product(session, RICE).id, 1)])
    with pytest.raises(DomainError) as error:
        bulk.approve_bulk_order(session, clock, order.id, user_id=other.approver.id)
    assert error.value.code == "bulk_order_not_found"
    with pytest.raises(DomainError) as error:
        bulk.approve_bulk_order(session, clock, order.id, user_id=unit.buyer.id)
    assert error.value.code == "forbidden"
    assert order.status == "awaiting_approval"


def test_approval_without_stock_fails_naming_the_product_and_the_order_waits(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _ = drafted_order(session, clock, unit, [(product(session, RICE).id, 40)])
    approved_order(session, clock, unit, [(RICE, 30)])  # the demo warehouse has 60: 30 are left
    with pytest.raises(OutOfStock) as error:
        bulk.approve_bulk_order(session, clock, order.id, user_id=unit.approver.id)
    assert [s.text_zh() for s in error.value.shortages] == ["延边大米：要 40 件，现有 30 件"]
    assert error.value.fields == {f"products.{RICE}": "Yanbian rice: 40 requested, 30 available"}
    assert order.status == "awaiting_approval"
    assert session.scalar(select(func.count()).where(Reservation.order_ref == order.id)) == 0


def test_a_submitted_order_beyond_the_stock_is_refused_naming_the_product(session, clock) -> None:
    unit = demo_unit(session, clock)
    rice, tea = product(session, RICE), product(session, TEA)
    with pytest.raises(bulk_stock.BulkOutOfStock) as error:
        drafted_order(session, clock, unit, [(tea.id, 2), (rice.id, 100)])
    assert [s.text_zh() for s in error.value.shortages] == ["延边大米：要 100 件，现有 60 件"]
    assert "lines." not in str(error.value.fields) and "lines." not in error.value.message
    # A draft is only saved: its stock is checked when it is submitted.
    draft, _ = bulk.draft_bulk_order(
        session,
        clock,
        org_id=unit.org.id,
        user_id=unit.buyer.id,
        lines=[(rice.id, 100)],
        delivery=delivery(),
        submit=False,
    )
    with pytest.raises(bulk_stock.BulkOutOfStock):
        bulk.submit_bulk_order(session, clock, draft.id, user_id=unit.buyer.id)
    assert draft.status == "draft"


def test_products_of_two_warehouses_are_refused_as_not_shipped_together(session, clock) -> None:
    unit = demo_unit(session, clock)
    potato, rice = product(session, "GY-POTATO-STARCH-1KG"), product(session, RICE)
    availability = bulk_stock.available_for_bulk(session, clock, unit.org, [potato.id, rice.id])
    assert availability == {potato.id: 23, rice.id: 60}  # Fuzhou's warehouse, Ningbo's
    with pytest.raises(bulk_stock.BulkOutOfStock) as error:
        drafted_order(session, clock, unit, [(potato.id, 2), (rice.id, 2)])
    (shortage,) = error.value.shortages
    assert (shortage.sku, shortage.elsewhere) == ("GY-POTATO-STARCH-1KG", True)
    assert "请分开下单" in shortage.text_zh()


def test_rejection_needs_a_reason(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, record = drafted_order(session, clock, unit, [(product(session, TEA).id, 1)])
    with pytest.raises(InvalidInput):
        bulk.reject_bulk_order(session, clock, order.id, user_id=unit.approver.id, reason=" ")
    bulk.reject_bulk_order(session, clock, order.id, user_id=unit.approver.id, reason="预算不足")
    assert (order.status, record.decision_note) == ("rejected", "预算不足")
    with pytest.raises(Conflict):
        bulk.approve_bulk_order(session, clock, order.id, user_id=unit.approver.id)


def test_partial_transfers_add_up_and_the_capture_writes_the_ledger(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _ = approved_order(session, clock, unit, [(RICE, 10), (TEA, 5)])
    total = order.total_fen
    first = bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="ICBC-1", amount_fen=total - 1, actor="op"
    )
    assert (first.recorded, first.paid_now, first.settlement.outstanding_fen) == (True, False, 1)
    assert order.status == "awaiting_payment" and revenue_total(session, order.id) == 0

    again = bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="ICBC-1", amount_fen=total - 1, actor="op"
    )
    assert (again.recorded, again.paid_now) == (False, False)
    with pytest.raises(Conflict):
        bulk.record_bank_transfer(session, clock, order.id, bank_reference="ICBC-1", amount_fen=5, actor="op")

    last = bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="ICBC-2", amount_fen=1, actor="op"
    )
    assert (last.recorded, last.paid_now) == (True, True)
    session.flush()
    assert order.status == "paid" and order.captured_fen == total
    assert revenue_total(session, order.id) == total
    entries = session.scalars(select(RevenueEntry).where(RevenueEntry.order_id == order.id)).all()
    assert {(e.channel, e.buyer_kind, e.organization_id) for e in entries} == {
        ("bulk", "government", unit.org.id)
    }
    assert {e.county_code for e in entries} == {"222405", "522323"}
    payment = session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert (payment.provider, payment.status, payment.captured_fen) == ("bank_transfer", "succeeded", total)
    sold = session.scalar(
        select(func.sum(StockMovement.qty)).where(
            StockMovement.reference == order.id, StockMovement.kind == "sale"
        )
    )
    assert sold == 15
    assert (
        session.scalar(select(func.sum(BankReceipt.amount_fen)).where(BankReceipt.order_id == order.id))
        == total
    )

    # Paid in full: a further transfer is recorded all the same, and owed back to the unit.
    extra = bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="ICBC-3", amount_fen=1, actor="op"
    )
    assert (extra.recorded, extra.paid_now) == (True, False)
    session.flush()
    assert (payment.captured_fen, payment.surplus_fen, order.captured_fen) == (total + 1, 1, total)
    assert [(r.kind, r.amount_fen, r.status) for r in payment.refunds] == [("overpayment", 1, "pending")]
    assert revenue_total(session, order.id) == total


def test_a_bank_reference_counts_once_across_orders(session, clock) -> None:
    unit = demo_unit(session, clock)
    first, _ = approved_order(session, clock, unit, [(TEA, 1)])
    second, _ = approved_order(session, clock, unit, [(TEA, 1)])
    bulk.record_bank_transfer(session, clock, first.id, bank_reference="ABC-9", amount_fen=100, actor="op")
    with pytest.raises(Conflict) as error:
        bulk.record_bank_transfer(
            session, clock, second.id, bank_reference="ABC-9", amount_fen=100, actor="op"
        )
    assert error.value.code == "bank_reference_conflict"


def test_delivery_is_recorded_after_payment(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, record = approved_order(session, clock, unit, [(TEA, 2)])
    with pytest.raises(Conflict):
        bulk.record_delivery(session, clock, order.id, actor="op")
    bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="X-1", amount_fen=order.total_fen, actor="op"
    )
    bulk.record_delivery(session, clock, order.id, actor="user:demo-operator", note="签收人：王")
    assert (order.status, record.delivered_at, record.delivery_note) == (
        "fulfilled",
        clock.now(),
        "签收人：王",
    )


def test_cancelling_releases_the_hold_but_not_after_a_transfer(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _ = approved_order(session, clock, unit, [(TEA, 3)])
    bulk.cancel_bulk_order(session, clock, order.id, user_id=unit.buyer.id)
    holds = session.scalars(select(Reservation).where(Reservation.order_ref == order.id)).all()
    assert order.status == "cancelled" and {h.status for h in holds} == {"released"}
    paying, _ = approved_order(session, clock, unit, [(TEA, 3)])
    bulk.record_bank_transfer(session, clock, paying.id, bank_reference="P-1", amount_fen=100, actor="op")
    with pytest.raises(Conflict):
        bulk.cancel_bulk_order(session, clock, paying.id, user_id=unit.buyer.id)


def test_online_payment_is_one_open_payment_and_refused_after_a_transfer(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _ = approved_order(session, clock, unit, [(TEA, 1)])
    payment, created = bulk.online_payment(
        session, clock, order.id, user_id=unit.approver.id, provider="simulated"
    )
    payment.status = "requires_payment"
    again, created_again = bulk.online_payment(
        session, clock, order.id, user_id=unit.buyer.id, provider="simulated"
    )
    assert (created, created_again, again.id) == (True, False, payment.id)
    result = bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="B-1", amount_fen=order.total_fen, actor="op"
    )
    assert result.paid_now and result.stale_online_payments == [payment.id]
    other, _ = approved_order(session, clock, unit, [(TEA, 1)])
    bulk.record_bank_transfer(session, clock, other.id, bank_reference="B-2", amount_fen=1, actor="op")
    with pytest.raises(Conflict):
        bulk.online_payment(session, clock, other.id, user_id=unit.buyer.id, provider="simulated")
