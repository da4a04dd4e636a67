"""A kiosk slot holding an expired unit: a vending slot sells nothing until it is pulled (its spiral
drops the front, oldest unit), an open-door slot still sells its fresh units; one alert per slot."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from core.clock import SHANGHAI
from inventory import service
from inventory.models import Reservation, Slot
from inventory.sellable import EXPIRED_STOCK
from tests.integration.inventory.factories import HONEY, NOODLES, ledger_problems, make_world


def stocked(session, clock, mode: str):  # type: ignore[no-untyped-def]
    """A1: one unit of lot OLD (last day today) in front of three of NEW; A2: NEW only; B1: honey."""
    world = make_world(session, clock, mode=mode)
    world.receive(NOODLES, "OLD", 1, days=0)
    world.receive(NOODLES, "OLD2", 2, days=0)
    world.receive(NOODLES, "NEW", 10, days=100)
    world.receive(HONEY, "H1", 4, days=100)
    world.stock_slot("A1", 1, lot="OLD")
    world.stock_slot("A1", 3, lot="NEW")
    world.stock_slot("A2", 3, lot="NEW")
    world.stock_slot("B1", 2, lot="H1")
    return world


@pytest.fixture
def vend(session, clock):  # type: ignore[no-untyped-def]
    return stocked(session, clock, "vend")


def hold(world, slot: str, qty: int = 1, ref: str = "V-1") -> list[Reservation]:  # type: ignore[no-untyped-def]
    slots = {s.code: s for s in world.session.scalars(select(Slot).where(Slot.location_id == world.kiosk.id))}
    held = service.reserve_slots(
        world.session,
        world.clock,
        order_ref=ref,
        location_id=world.kiosk.id,
        code=world.kiosk.code,
        lines=[(0, slots[slot], qty)],
        expires_at=world.clock.now() + timedelta(minutes=3),
    )
    world.session.flush()  # the holds' lots are read by the tests
    return held


def holds(world) -> int:  # type: ignore[no-untyped-def]
    return world.session.scalar(select(func.count()).select_from(Reservation))


def blocked_alerts(world, slot: str):  # type: ignore[no-untyped-def]
    return [
        a
        for a in service.list_alerts(world.session, world.clock, location=world.kiosk.code)
        if a.kind == "expired_in_kiosk" and a.slot is not None and a.slot.code == slot
    ]


def test_a_vending_slot_sells_until_its_front_lot_expires_then_nothing(vend) -> None:
    assert service.slot_availability(vend.session, vend.clock, vend.kiosk.id)["A1"] == 4
    assert not blocked_alerts(vend, "A1")
    vend.clock.advance(days=1)  # OLD's last day is over; nothing was written
    assert service.slot_availability(vend.session, vend.clock, vend.kiosk.id) == {"A1": 0, "A2": 3, "B1": 2}
    stock = dict((slot.code, s) for slot, s in service.planogram(vend.session, vend.clock, vend.kiosk.id))
    assert stock["A1"].available == 0 and stock["A1"].blocked == EXPIRED_STOCK
    assert stock["A2"].available == 3 and stock["A2"].blocked is None


def test_a_hold_on_a_blocked_slot_is_refused_naming_the_slot_and_holds_nothing(vend) -> None:
    vend.clock.advance(days=1)
    before = holds(vend)
    with pytest.raises(service.OutOfStock) as refused:
        hold(vend, "A1")
    assert refused.value.code == "out_of_stock"
    assert "expired" in refused.value.fields["lines.0.slot"]
    assert holds(vend) == before
    assert vend.balance(slot="A1", lot="NEW").reserved == 0
    assert ledger_problems(vend.session) == []


def test_a_slot_with_only_fresh_lots_sells_normally_beside_a_blocked_one(vend) -> None:
    vend.clock.advance(days=1)
    [reservation] = hold(vend, "A2", 2)
    assert reservation.qty == 2 and reservation.lot.code == "NEW"
    assert service.slot_availability(vend.session, vend.clock, vend.kiosk.id)["A2"] == 1


def test_one_alert_per_blocked_slot_however_often_asked_and_none_after_the_pull(vend) -> None:
    vend.stock_slot("A1", 2, lot="OLD2")  # a second expiring lot in the same slot
    vend.clock.advance(days=1)
    for _ in range(3):
        with pytest.raises(service.OutOfStock):
            hold(vend, "A1")
        [alert] = blocked_alerts(vend, "A1")
    assert alert.severity == "critical" and alert.qty == 3
    assert alert.message.startswith("测试柜 A1 ")
    assert "有过期批次，已停售，请取出" in alert.message and "off sale until pulled" in alert.message
    assert alert.product is not None and alert.product.name_zh in alert.message
    pick = service.kiosk_pick_list(vend.session, vend.clock, vend.kiosk.code)
    [line] = [line for line in pick.lines if line.slot.code == "A1"]
    assert sorted((lq.lot.code, lq.qty) for lq in line.take_out) == [("OLD", 1), ("OLD2", 2)]
    service.record_restock_visit(
        vend.session,
        vend.clock,
        kiosk=vend.kiosk.code,
        put=[],
        removed=[
            {"slot": "A1", "lot": lq.lot.code, "qty": lq.qty, "reason": "expired"} for lq in line.take_out
        ],
        actor="restocker",
    )
    assert blocked_alerts(vend, "A1") == []
    assert service.slot_availability(vend.session, vend.clock, vend.kiosk.id)["A1"] == 3
    assert hold(vend, "A1", 3)[0].lot.code == "NEW"
    assert ledger_problems(vend.session) == []


def test_an_open_door_slot_keeps_selling_its_fresh_units_and_alerts_to_pull_the_expired(
    session, clock
) -> None:
    door = stocked(session, clock, "open_door")
    door.clock.advance(days=1)
    stock = dict((slot.code, s) for slot, s in service.planogram(door.session, door.clock, door.kiosk.id))
    assert stock["A1"].available == 3 and stock["A1"].blocked is None
    [alert] = blocked_alerts(door, "A1")
    assert alert.severity == "critical" and "开门柜无法停售，请尽快取出" in alert.message


def test_a_hold_made_before_midnight_is_not_sold_once_a_lot_in_its_slot_has_expired(vend) -> None:
    last_day = service.today(vend.clock)
    vend.clock.set(datetime.combine(last_day, time(23, 59), tzinfo=SHANGHAI))
    hold(vend, "A1", 1, ref="V-A1")  # OLD, still sellable
    hold(vend, "A2", 1, ref="V-A2")
    vend.clock.advance(minutes=2)  # past midnight: OLD expired, the holds have not lapsed
    with pytest.raises(service.OutOfStock) as refused:
        service.fulfil_reservations(vend.session, vend.clock, order_ref="V-A1", actor="test")
    assert set(refused.value.fields) == {"lines.0.slot"}
    [sold] = service.fulfil_reservations(vend.session, vend.clock, order_ref="V-A2", actor="test")
    assert sold.kind == "sale" and sold.qty == 1 and sold.lot.code == "NEW"
