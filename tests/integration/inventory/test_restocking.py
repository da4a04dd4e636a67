"""Pick lists bring slots to par with the earliest lots, take expired goods out, and a visit records it."""

import pytest
from sqlalchemy import func, select

from core.errors import InvalidInput
from inventory import service
from inventory.models import StockMovement
from tests.integration.inventory.factories import HONEY, NOODLES, ledger_problems, make_world


@pytest.fixture
def world(session, clock):
    world = make_world(session, clock, route="T-R1")
    world.receive(NOODLES, "SOON", 2, days=3)
    world.receive(NOODLES, "MID", 5, days=40)
    world.receive(NOODLES, "LATE", 20, days=200)
    world.receive(HONEY, "H1", 2, days=300)
    world.stock_slot("A1", 2)  # the two SOON units
    clock.advance(days=4)  # SOON has now expired, in the slot
    return world


def lines_by_slot(pick):
    return {line.slot.code: line for line in pick.lines}


def test_a_kiosk_pick_list_fills_to_par_fefo_and_takes_out_the_expired(world) -> None:
    lines = lines_by_slot(service.kiosk_pick_list(world.session, world.clock, world.kiosk.code))
    a1, a2, b1 = lines["A1"], lines["A2"], lines["B1"]
    assert (a1.sellable, a1.bring) == (0, 6)
    assert [(lq.lot.code, lq.qty) for lq in a1.lots] == [("MID", 5), ("LATE", 1)]
    assert [(lq.lot.code, lq.qty) for lq in a1.take_out] == [("SOON", 2)]
    assert [(lq.lot.code, lq.qty) for lq in a2.lots] == [("LATE", 6)]
    assert (b1.bring, b1.short, [lq.qty for lq in b1.lots]) == (4, 2, [2])


def test_a_route_pick_list_promises_no_unit_twice(world, session, clock) -> None:
    other = make_world(session, clock, prefix="U", route="T-R1")
    # U-K1 would draw on its own empty warehouse; make it share T-WH with T-K1.
    other.kiosk.warehouse = world.warehouse
    session.flush()
    pick = service.route_pick_list(session, clock, "T-R1")
    assert [p.kiosk.code for p in pick.kiosks] == ["T-K1", "U-K1"]
    loaded = {(lq.lot.code): lq.qty for _w, _p, lq in pick.load}
    assert loaded == {"MID": 5, "LATE": 19, "H1": 2}  # honey: 2 in stock, 8 wanted
    u = lines_by_slot(pick.kiosks[1])
    assert sum(lq.qty for lq in u["A1"].lots) + u["A1"].short == 6 and u["B1"].short == 4


def test_a_restock_visit_records_removals_and_transfers_in_one_go(world) -> None:
    reference, moved = service.record_restock_visit(
        world.session,
        world.clock,
        kiosk=world.kiosk.code,
        removed=[{"slot": "A1", "lot": "SOON", "qty": 2, "reason": "expired"}],
        put=[{"slot": "A1", "lot": "MID", "qty": 5}, {"slot": "A1", "lot": "LATE", "qty": 1}],
        actor="restocker",
    )
    assert reference.startswith("restock:T-K1:")
    assert [(m.kind, m.lot.code, m.qty) for m in moved] == [
        ("writeoff", "SOON", 2),
        ("transfer", "MID", 5),
        ("transfer", "LATE", 1),
    ]
    assert {m.reference for m in moved} == {reference}
    after = lines_by_slot(service.kiosk_pick_list(world.session, world.clock, world.kiosk.code))
    assert (after["A1"].sellable, after["A1"].bring, after["A1"].take_out) == (6, 0, [])
    assert ledger_problems(world.session) == []


def test_a_visit_with_one_bad_line_is_refused_naming_it(world) -> None:
    with pytest.raises(InvalidInput) as err:
        service.record_restock_visit(
            world.session,
            world.clock,
            kiosk=world.kiosk.code,
            removed=[],
            put=[{"slot": "A1", "lot": "MID", "qty": 5}, {"slot": "A1", "lot": "LATE", "qty": 9}],
            actor="restocker",
        )
    assert err.value.fields == {"put.1.qty": "slot A1 holds 7 of 8"}


def test_alerts_report_low_slots_expiring_lots_and_expired_goods_in_kiosks(world, session) -> None:
    before = session.scalar(select(func.count()).select_from(StockMovement))
    alerts = service.list_alerts(session, world.clock, within_days=45, location=world.kiosk.code)
    kinds = {(a.kind, a.slot.code if a.slot else None, a.lot.code if a.lot else None) for a in alerts}
    assert ("expired_in_kiosk", "A1", "SOON") in kinds
    assert {("low_stock", "A1", None), ("low_stock", "A2", None), ("low_stock", "B1", None)} <= kinds
    warehouse = service.list_alerts(session, world.clock, within_days=45, location=world.warehouse.code)
    assert [(a.kind, a.lot.code) for a in warehouse] == [("expiring_soon", "MID")]
    assert alerts[0].severity == "critical"
    assert session.scalar(select(func.count()).select_from(StockMovement)) == before
