"""What sales/ calls after payment: open-door takes, returns after refunds, slot availability."""

from datetime import timedelta

import pytest

from core.errors import Conflict
from inventory import service
from tests.integration.inventory.factories import NOODLES, ledger_problems, make_world


@pytest.fixture
def world(session, clock):
    world = make_world(session, clock, mode="open_door")
    world.receive(NOODLES, "SOON", 3, days=5)
    world.receive(NOODLES, "LATE", 10, days=200)
    world.stock_slot("A1", 4)
    return world


def sell(world, order_ref: str, qty: int) -> None:
    service.reserve(
        world.session,
        world.clock,
        order_ref=order_ref,
        location_id=world.kiosk.id,
        lines=[(world.pid(NOODLES), qty)],
        expires_at=world.clock.now() + timedelta(minutes=3),
        slot_codes=["A1"],
    )
    service.fulfil_reservations(world.session, world.clock, order_ref=order_ref, actor="test")


def test_an_open_door_take_sells_from_the_slot_earliest_expiry_first(world) -> None:
    sold = service.record_taken(
        world.session,
        world.clock,
        order_ref="D-1",
        location_id=world.kiosk.id,
        slot_code="A1",
        qty=4,
        actor="t",
    )
    assert [(m.kind, m.lot.code, m.qty) for m in sold] == [("sale", "SOON", 3), ("sale", "LATE", 1)]
    assert service.slot_availability(world.session, world.clock, world.kiosk.id)["A1"] == 0
    assert ledger_problems(world.session) == []


def test_taking_more_than_recorded_is_never_refused_and_is_explained_then_alerted(world) -> None:
    moved = service.record_taken(
        world.session,
        world.clock,
        order_ref="D-2",
        location_id=world.kiosk.id,
        slot_code="A1",
        qty=6,
        actor="t",
    )
    assert (moved[0].kind, moved[0].reason, moved[0].qty) == ("count", "taken_unrecorded", 2)
    assert sum(m.qty for m in moved if m.kind == "sale") == 6
    assert world.balance(slot="A1", lot="LATE").on_hand == 0
    alerts = service.list_alerts(world.session, world.clock, location=world.kiosk.code)
    assert [(a.kind, a.qty) for a in alerts if a.kind == "unrecorded_take"] == [("unrecorded_take", 2)]
    assert ledger_problems(world.session) == []


def test_a_take_from_an_empty_slot_with_held_units_releases_the_holds(world) -> None:
    service.reserve(
        world.session,
        world.clock,
        order_ref="V-1",
        location_id=world.kiosk.id,
        lines=[(world.pid(NOODLES), 4)],
        expires_at=world.clock.now() + timedelta(minutes=3),
    )
    service.record_taken(
        world.session,
        world.clock,
        order_ref="D-3",
        location_id=world.kiosk.id,
        slot_code="A1",
        qty=4,
        actor="t",
    )
    assert service.slot_availability(world.session, world.clock, world.kiosk.id)["A1"] == 0
    assert ledger_problems(world.session) == []


def test_a_refunded_unit_goes_back_to_the_lot_and_slot_it_left(world) -> None:
    sell(world, "V-2", 4)
    back = service.return_sold(
        world.session,
        world.clock,
        order_ref="V-2",
        location_id=world.kiosk.id,
        product_id=world.pid(NOODLES),
        qty=1,
        restock=True,
        actor="t",
        reason="motor_jam",
    )
    assert [(m.kind, m.to_slot.code, m.lot.code, m.note) for m in back] == [
        ("return", "A1", "LATE", "motor_jam")
    ]
    assert world.balance(slot="A1", lot="LATE").on_hand == 1
    assert ledger_problems(world.session) == []


def test_a_damaged_return_is_written_off_and_more_than_sold_is_refused(world) -> None:
    sell(world, "V-3", 2)
    moved = service.return_sold(
        world.session,
        world.clock,
        order_ref="V-3",
        location_id=world.kiosk.id,
        product_id=world.pid(NOODLES),
        qty=2,
        restock=False,
        actor="t",
        reason="damaged",
    )
    assert [(m.kind, m.reason) for m in moved] == [("return", None), ("writeoff", "damaged")]
    with pytest.raises(Conflict) as err:
        service.return_sold(
            world.session,
            world.clock,
            order_ref="V-3",
            location_id=world.kiosk.id,
            product_id=world.pid(NOODLES),
            qty=1,
            restock=True,
            actor="t",
            reason="again",
        )
    assert err.value.code == "not_sold" and "qty" in err.value.fields
    assert ledger_problems(world.session) == []
