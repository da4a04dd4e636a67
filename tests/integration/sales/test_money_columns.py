"""Money columns hold any sane amount: an order over 2³¹ fen is priced, paid and in the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import InvalidInput
from core.money import MAX_AMOUNT_FEN
from sales import bulk
from sales.models import RevenueEntry
from tests.integration.orgs.factories import approved_order, demo_unit, drafted_order, product

RICE = "YB-RICE-5KG"


def test_a_bulk_order_over_two_to_the_31_fen_is_stored_paid_and_in_the_ledger(session, clock) -> None:
    unit = demo_unit(session, clock)
    product(session, RICE).price_fen = 100_000_000  # ¥1,000,000.00 a sack: 30 sacks pass 2³¹ fen
    order, _ = approved_order(session, clock, unit, [(RICE, 30)])
    assert order.total_fen == 3_000_000_000 > 2**31
    paid = bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="ICBC-BIG-1", amount_fen=order.total_fen, actor="op"
    )
    session.flush()
    assert paid.paid_now and order.captured_fen == 3_000_000_000
    in_ledger = select(func.sum(RevenueEntry.amount_fen)).where(RevenueEntry.order_id == order.id)
    ledger = session.scalar(in_ledger)
    assert ledger == 3_000_000_000


def test_an_order_total_above_the_maximum_is_refused_naming_the_lines(session, clock) -> None:
    unit = demo_unit(session, clock)
    rice = product(session, RICE)
    rice.price_fen = MAX_AMOUNT_FEN // 10
    with pytest.raises(InvalidInput) as error:
        drafted_order(session, clock, unit, [(rice.id, 11)])
    assert "lines" in error.value.fields
