"""The ledger is append-only, enforced by the database itself, and its order tells the story."""

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from inventory import service
from inventory.models import StockMovement
from tests.integration.inventory.factories import HONEY, ledger_problems, make_world


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE stock_movements SET qty = qty + 1 WHERE id = :id",
        "UPDATE stock_movements SET reference = 'rewritten' WHERE id = :id",
        "DELETE FROM stock_movements WHERE id = :id",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_movement(session, clock, statement) -> None:
    world = make_world(session, clock)
    movement = world.receive(HONEY, "H1", 3)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement), {"id": movement.id})
    session.expire_all()
    kept = session.get(StockMovement, movement.id)
    assert kept is not None and (kept.qty, kept.reference) == (3, None)


def test_even_the_orm_cannot_edit_a_movement(session, clock) -> None:
    world = make_world(session, clock)
    movement = world.receive(HONEY, "H1", 3)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        movement.qty = 30
        session.flush()


@pytest.mark.postgres_only  # SQLite has no TRUNCATE
def test_truncating_the_ledger_is_refused_on_postgresql(session) -> None:
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("TRUNCATE stock_movements CASCADE"))


def trail(session, world, sku: str) -> list[StockMovement]:
    items, _total = service.list_movements(session, location=world.warehouse.code, product=world.pid(sku))
    return items


def test_selling_the_last_unit_and_receiving_a_new_lot_in_the_same_second_leaves_a_correct_trail(
    session, clock
) -> None:
    world = make_world(session, clock)
    honey = world.pid(HONEY)
    world.receive(HONEY, "H-OLD", 1, days=10)
    hold = dict(
        location_id=world.warehouse.id, lines=[(honey, 1)], expires_at=clock.now() + timedelta(minutes=15)
    )
    service.reserve(session, clock, order_ref="S-1", **hold)
    service.fulfil_reservations(session, clock, order_ref="S-1", actor="test")
    world.receive(HONEY, "H-NEW", 5, days=300)  # the clock has not moved: the same instant
    session.flush()

    story = trail(session, world, HONEY)
    assert [(m.kind, m.lot.code, m.qty, m.reference) for m in story] == [
        ("receipt", "H-OLD", 1, None),
        ("sale", "H-OLD", 1, "S-1"),
        ("receipt", "H-NEW", 5, None),
    ]
    assert len({m.at for m in story}) == 1, "all in the same instant; the ledger's order tells them apart"
    running: dict[str, int] = defaultdict(int)
    for m in story:
        running[m.lot.code] += m.qty if m.to_location_id == world.warehouse.id else -m.qty
        assert running[m.lot.code] >= 0
    assert dict(running) == {"H-OLD": 0, "H-NEW": 5}
    assert (world.balance(lot="H-OLD").on_hand, world.balance(lot="H-NEW").on_hand) == (0, 5)

    [next_hold] = service.reserve(session, clock, order_ref="S-2", **hold)
    assert next_hold.lot.code == "H-NEW"
    assert ledger_problems(session) == []


def test_a_new_lot_arriving_the_same_second_does_not_jump_the_fefo_queue(session, clock) -> None:
    world = make_world(session, clock)
    honey = world.pid(HONEY)
    world.receive(HONEY, "H-OLD", 1, days=10)
    world.receive(HONEY, "H-NEW", 5, days=300)
    hold = dict(
        location_id=world.warehouse.id, lines=[(honey, 1)], expires_at=clock.now() + timedelta(minutes=15)
    )
    service.reserve(session, clock, order_ref="S-1", **hold)
    [sale] = service.fulfil_reservations(session, clock, order_ref="S-1", actor="test")
    assert sale.lot.code == "H-OLD"
    assert [m.kind for m in trail(session, world, HONEY)] == ["receipt", "receipt", "sale"]
    assert session.scalar(select(StockMovement.id).order_by(StockMovement.id.desc()).limit(1)) == sale.id
    assert ledger_problems(session) == []
