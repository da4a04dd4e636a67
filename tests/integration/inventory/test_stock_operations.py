"""Receipts, transfers, write-offs and counts keep the ledger and the balances in step."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, InvalidInput
from inventory import service
from inventory.errors import InsufficientStock
from inventory.locations import today
from inventory.models import StockMovement
from tests.integration.inventory.factories import HONEY, NOODLES, ledger_problems, make_world


@pytest.fixture
def world(session, clock):
    world = make_world(session, clock)
    world.receive(NOODLES, "LATE", 10, days=200)
    world.receive(NOODLES, "SOON", 4, days=5)
    return world


def movement_count(session) -> int:
    return session.scalar(select(func.count()).select_from(StockMovement))


def test_a_new_lot_needs_its_expiry_and_keeps_it(world, clock) -> None:
    with pytest.raises(InvalidInput) as err:
        service.receive(
            world.session,
            clock,
            location=world.warehouse.code,
            product=world.pid(HONEY),
            lot="NEW",
            qty=1,
            actor="t",
        )
    assert err.value.fields == {"expires_on": "required for a new lot"}
    with pytest.raises(Conflict) as err:
        service.receive(
            world.session,
            clock,
            location=world.warehouse.code,
            product=world.pid(NOODLES),
            lot="LATE",
            qty=1,
            expires_on=today(clock),
            actor="t",
        )
    assert "expires_on" in err.value.fields


def test_an_expired_lot_cannot_be_received(world, clock) -> None:
    with pytest.raises(InvalidInput) as err:
        service.receive(
            world.session,
            clock,
            location=world.warehouse.code,
            product=world.pid(HONEY),
            lot="OLD",
            qty=1,
            expires_on=today(clock) - timedelta(days=1),
            actor="t",
        )
    assert err.value.code == "lot_expired" and "expires_on" in err.value.fields


def test_receipts_go_to_warehouses_and_shops_not_kiosks(world, clock) -> None:
    with pytest.raises(InvalidInput) as err:
        service.receive(
            world.session,
            clock,
            location=world.kiosk.code,
            product=world.pid(HONEY),
            lot="X",
            qty=1,
            expires_on=today(clock) + timedelta(days=9),
            actor="t",
        )
    assert err.value.fields == {"location": "must be a warehouse or shop"}


def test_a_transfer_into_a_slot_takes_unexpired_lots_earliest_first(world) -> None:
    moved = world.stock_slot("A1", 6)
    assert [(m.lot.code, m.qty, m.to_slot.code) for m in moved] == [("SOON", 4, "A1"), ("LATE", 2, "A1")]
    assert world.balance(slot="A1", lot="SOON").on_hand == 4
    assert world.balance(lot="LATE").on_hand == 8
    assert ledger_problems(world.session) == []


def test_a_transfer_of_more_than_is_there_writes_nothing(world) -> None:
    before = movement_count(world.session)
    with pytest.raises(InsufficientStock) as err:
        service.transfer(
            world.session,
            world.clock,
            source=world.warehouse.code,
            dest=world.kiosk.code,
            dest_slot="A1",
            lot="SOON",
            qty=5,
            actor="t",
        )
    assert "qty" in err.value.fields
    assert movement_count(world.session) == before


def test_a_slot_never_overflows(world) -> None:
    with pytest.raises(InvalidInput) as err:
        world.stock_slot("A1", 9)
    assert err.value.code == "over_capacity" and "qty" in err.value.fields


def test_an_expired_lot_may_not_go_into_a_kiosk(world, clock) -> None:
    clock.advance(days=6)
    with pytest.raises(InvalidInput) as err:
        world.stock_slot("A1", 1, lot="SOON")
    assert err.value.code == "lot_expired" and "lot" in err.value.fields
    moved = world.stock_slot("A1", 1)  # without a lot: FEFO skips the expired one
    assert moved[0].lot.code == "LATE"


def test_a_slot_takes_only_its_own_product(world) -> None:
    with pytest.raises(InvalidInput) as err:
        service.transfer(
            world.session,
            world.clock,
            source=world.warehouse.code,
            dest=world.kiosk.code,
            dest_slot="B1",
            product=world.pid(NOODLES),
            qty=1,
            actor="t",
        )
    assert err.value.fields == {"product": "not the slot's product"}


def test_writing_off_expired_goods_takes_only_expired_lots(world, clock) -> None:
    world.stock_slot("A1", 4)
    clock.advance(days=6)  # SOON, all in A1, has expired
    with pytest.raises(InsufficientStock):
        service.write_off(
            world.session,
            clock,
            location=world.warehouse.code,
            product=world.pid(NOODLES),
            qty=1,
            reason="expired",
            actor="t",
        )
    out = service.write_off(
        world.session, clock, location=world.kiosk.code, slot="A1", qty=4, reason="expired", actor="t"
    )
    assert [(m.kind, m.reason, m.lot.code, m.qty) for m in out] == [("writeoff", "expired", "SOON", 4)]
    assert ledger_problems(world.session) == []


def test_a_count_writes_the_difference_as_a_count_movement(world) -> None:
    world.stock_slot("A1", 5)
    result = service.count(
        world.session, world.clock, location=world.kiosk.code, slot="A1", counted=3, actor="t"
    )
    assert (result.previous, result.counted) == (5, 3)
    assert [(m.kind, m.qty, m.from_slot.code) for m in result.movements] == [("count", 2, "A1")]
    result = service.count(
        world.session, world.clock, location=world.kiosk.code, slot="A1", counted=6, actor="t"
    )
    assert [(m.kind, m.qty, m.to_slot.code, m.lot.code) for m in result.movements] == [
        ("count", 3, "A1", "LATE")
    ]
    again = service.count(
        world.session, world.clock, location=world.kiosk.code, slot="A1", counted=6, actor="t"
    )
    assert again.movements == []
    assert ledger_problems(world.session) == []


def test_a_count_below_what_is_held_releases_the_holds_it_cannot_cover(world) -> None:
    world.stock_slot("A1", 4)
    service.reserve(
        world.session,
        world.clock,
        order_ref="K-1",
        location_id=world.kiosk.id,
        lines=[(world.pid(NOODLES), 3)],
        expires_at=world.clock.now() + timedelta(minutes=3),
        slot_codes=["A1"],
    )
    service.count(world.session, world.clock, location=world.kiosk.code, slot="A1", counted=1, actor="t")
    assert world.balance(slot="A1", lot="SOON").on_hand == 1
    assert world.balance(slot="A1", lot="SOON").reserved <= 1
    assert ledger_problems(world.session) == []
