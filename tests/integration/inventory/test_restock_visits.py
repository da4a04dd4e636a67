"""A visit planned with its next visit in view pulls what would expire by then and brings none of
it; a visit recorded under an idempotency key is recorded once; near-expiry goods go back to the
warehouse; counts square a slot with what the restocker found."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.errors import InvalidInput
from inventory import service
from inventory.models import StockMovement
from tests.integration.inventory.factories import NOODLES, ledger_problems, make_world


@pytest.fixture
def world(session, clock):
    world = make_world(session, clock, route="T-R1")
    world.receive(NOODLES, "SOON", 3, days=5)
    world.receive(NOODLES, "LATE", 20, days=200)
    world.stock_slot("A1", 3, lot="SOON")
    return world


def movements(session) -> int:
    return session.scalar(select(func.count()).select_from(StockMovement))


def test_goods_expired_by_the_next_visit_are_pulled_and_none_such_brought(world) -> None:
    today = service.today(world.clock)
    world.receive(NOODLES, "MID", 10, days=8)
    a1_now = {
        line.slot.code: line for line in service.kiosk_pick_list(world.session, world.clock, "T-K1").lines
    }
    assert a1_now["A1"].take_out == [] and a1_now["A1"].sellable == 3
    planned = service.kiosk_pick_list(
        world.session, world.clock, "T-K1", next_visit=today + timedelta(days=10)
    )
    a1 = {line.slot.code: line for line in planned.lines}["A1"]
    assert [(lq.lot.code, lq.qty) for lq in a1.take_out] == [("SOON", 3)]
    assert (a1.sellable, a1.bring) == (0, 6)
    assert [(lq.lot.code, lq.qty) for lq in a1.lots] == [("LATE", 6)]  # MID expires before then too


def test_a_visit_recorded_under_an_idempotency_key_is_recorded_once(world, session) -> None:
    visit = {"put": [{"slot": "A2", "lot": "LATE", "qty": 4}], "removed": [], "actor": "restocker"}
    reference, first = service.record_restock_visit(
        session, world.clock, kiosk="T-K1", idempotency_key="k-0001-aaaa-bbbb", **visit
    )
    session.flush()
    written = movements(session)
    again, second = service.record_restock_visit(
        session, world.clock, kiosk="T-K1", idempotency_key="k-0001-aaaa-bbbb", **visit
    )
    assert again == reference == "restock:T-K1:k-0001-aaaa-bbbb"
    assert [m.id for m in second] == [m.id for m in first] and movements(session) == written
    assert world.balance(slot="A2", lot="LATE").on_hand == 4


def test_an_idempotency_key_too_long_for_the_reference_is_refused(world, session) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.record_restock_visit(
            session, world.clock, kiosk="T-K1", put=[], removed=[], actor="r", idempotency_key="x" * 60
        )
    assert "Idempotency-Key" in refused.value.fields


def test_near_expiry_goods_go_back_to_the_warehouse_and_counts_square_the_slot(world, session) -> None:
    _, moved = service.record_restock_visit(
        session,
        world.clock,
        kiosk="T-K1",
        put=[{"slot": "A1", "lot": "LATE", "qty": 6}],
        removed=[],
        returned=[{"slot": "A1", "lot": "SOON", "qty": 3}],
        counted=[{"slot": "A1", "counted": 5}],
        actor="restocker",
        idempotency_key="k-0002-aaaa-bbbb",
    )
    session.flush()
    assert [(m.kind, m.qty) for m in moved] == [("transfer", 3), ("transfer", 6), ("count", 1)]
    assert world.balance(location=world.warehouse, lot="SOON").on_hand == 3
    assert world.balance(slot="A1", lot="LATE").on_hand == 5
    assert ledger_problems(session) == []


def test_a_bad_count_is_refused_naming_its_entry(world, session) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.record_restock_visit(
            session,
            world.clock,
            kiosk="T-K1",
            put=[],
            removed=[],
            counted=[{"slot": "A1", "counted": -1}],
            actor="r",
        )
    assert "counted.0.counted" in refused.value.fields
