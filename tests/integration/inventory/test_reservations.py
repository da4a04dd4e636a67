"""Holding stock for orders: FEFO, sums per product and slot, expiry, release and fulfilment."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.errors import InvalidInput
from inventory import service
from inventory.errors import OutOfStock
from inventory.models import Reservation
from tests.integration.inventory.factories import HONEY, NOODLES, ledger_problems, make_world


def hold_for(world, order_ref, lines, slots=None, minutes=3):
    return service.reserve(
        world.session,
        world.clock,
        order_ref=order_ref,
        location_id=world.warehouse.id,
        lines=lines,
        expires_at=world.clock.now() + timedelta(minutes=minutes),
        slot_codes=slots,
    )


@pytest.fixture
def fresh(session, clock):
    """A warehouse with two unexpired lots of noodles (earliest first: SOON, then LATE)."""
    world = make_world(session, clock)
    world.receive(NOODLES, "LATE", 10, days=200)
    world.receive(NOODLES, "SOON", 4, days=5)
    world.receive(NOODLES, "OLD", 3, days=-1 + 2)  # expires tomorrow
    return world


def test_allocation_takes_the_earliest_expiry_first(fresh) -> None:
    held = hold_for(fresh, "O-1", [(fresh.pid(NOODLES), 5)])
    assert [(r.lot.code, r.qty) for r in held] == [("OLD", 3), ("SOON", 2)]
    assert ledger_problems(fresh.session) == []


def test_an_expired_lot_is_never_allocated(fresh, clock) -> None:
    clock.advance(days=2)  # OLD expired yesterday
    held = hold_for(fresh, "O-1", [(fresh.pid(NOODLES), 5)])
    assert [r.lot.code for r in held] == ["SOON", "LATE"]
    with pytest.raises(OutOfStock) as err:
        hold_for(fresh, "O-2", [(fresh.pid(NOODLES), 10)])
    assert err.value.fields == {"lines.0": "10 requested, 9 available"}


def test_two_lines_of_one_product_are_checked_against_their_sum(fresh) -> None:
    noodles = fresh.pid(NOODLES)
    with pytest.raises(OutOfStock) as err:
        hold_for(fresh, "O-1", [(noodles, 9), (fresh.pid(HONEY), 1), (noodles, 9)])
    assert set(err.value.fields) == {"lines.0", "lines.1", "lines.2"}
    assert fresh.session.scalar(select(Reservation.id).where(Reservation.order_ref == "O-1")) is None
    held = hold_for(fresh, "O-2", [(noodles, 9), (noodles, 8)])
    assert sum(r.qty for r in held) == 17 and {r.line_no for r in held} == {0, 1}


def test_bad_lines_are_refused_naming_each_field(fresh) -> None:
    with pytest.raises(InvalidInput) as err:
        hold_for(fresh, "O-1", [(999_999, 1), (fresh.pid(NOODLES), 0)])
    assert set(err.value.fields) == {"lines.0.product_id", "lines.1.qty"}
    with pytest.raises(InvalidInput) as err:
        hold_for(fresh, "O-1", [(fresh.pid(NOODLES), 1)], slots=["A1"])
    assert err.value.fields == {"lines.0.slot": "only kiosks have slots"}
    with pytest.raises(InvalidInput) as err:
        hold_for(fresh, "O-1", [], minutes=3)
    assert "lines" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        hold_for(fresh, "O-1", [(fresh.pid(NOODLES), 1)], minutes=-1)
    assert "expires_at" in err.value.fields


def test_a_kiosk_line_naming_a_slot_takes_from_that_slot_only(fresh) -> None:
    fresh.stock_slot("A1", 2)
    fresh.stock_slot("A2", 5)
    kiosk = fresh.kiosk
    reserve = service.reserve
    at = fresh.clock.now() + timedelta(minutes=3)
    noodles = fresh.pid(NOODLES)
    with pytest.raises(OutOfStock) as err:
        reserve(
            fresh.session,
            fresh.clock,
            order_ref="K-1",
            location_id=kiosk.id,
            lines=[(noodles, 3)],
            expires_at=at,
            slot_codes=["A1"],
        )
    assert err.value.fields == {"lines.0.slot": "3 requested, 2 available"}
    held = reserve(
        fresh.session,
        fresh.clock,
        order_ref="K-2",
        location_id=kiosk.id,
        lines=[(noodles, 2), (noodles, 4)],
        expires_at=at,
        slot_codes=["A1", None],
    )
    assert (held[0].slot.code, held[0].line_no) == ("A1", 0)
    assert {r.slot.code for r in held if r.line_no == 1} == {"A2"}
    assert sum(r.qty for r in held if r.line_no == 1) == 4
    with pytest.raises(InvalidInput) as err:
        reserve(
            fresh.session,
            fresh.clock,
            order_ref="K-3",
            location_id=kiosk.id,
            lines=[(fresh.pid(HONEY), 1)],
            expires_at=at,
            slot_codes=["A1"],
        )
    assert err.value.fields == {"lines.0.slot": "the slot holds another product"}
    assert service.slot_availability(fresh.session, fresh.clock, kiosk.id) == {"A1": 0, "A2": 1, "B1": 0}


def test_fulfilling_turns_holds_into_sales_once(fresh) -> None:
    hold_for(fresh, "O-1", [(fresh.pid(NOODLES), 5)])
    sales = service.fulfil_reservations(fresh.session, fresh.clock, order_ref="O-1", actor="test")
    assert [(m.kind, m.lot.code, m.qty, m.reference) for m in sales] == [
        ("sale", "OLD", 3, "O-1"),
        ("sale", "SOON", 2, "O-1"),
    ]
    assert service.fulfil_reservations(fresh.session, fresh.clock, order_ref="O-1", actor="test") == []
    assert fresh.balance(lot="SOON").on_hand == 2 and fresh.balance(lot="SOON").reserved == 0
    assert ledger_problems(fresh.session) == []


def test_lapsed_holds_are_released_lazily_when_stock_is_read(fresh, clock) -> None:
    hold_for(fresh, "O-1", [(fresh.pid(NOODLES), 17)])
    assert fresh.balance(lot="LATE").available == 0
    clock.advance(minutes=4)
    assert [
        b.available for b in service.list_balances(fresh.session, clock, location=fresh.warehouse.code)
    ] == [
        3,
        4,
        10,
    ]
    statuses = fresh.session.scalars(select(Reservation.status).where(Reservation.order_ref == "O-1")).all()
    assert set(statuses) == {"expired"}
    assert ledger_problems(fresh.session) == []


def test_the_expiry_job_releases_only_lapsed_holds(fresh, clock) -> None:
    hold_for(fresh, "O-1", [(fresh.pid(NOODLES), 2)], minutes=3)
    hold_for(fresh, "O-2", [(fresh.pid(NOODLES), 2)], minutes=15)
    clock.advance(minutes=5)
    assert service.expire_reservations(fresh.session, clock) >= 1
    assert service.expire_reservations(fresh.session, clock) == 0
    rows = fresh.session.scalars(
        select(Reservation).where(Reservation.order_ref.in_(["O-1", "O-2"])).order_by(Reservation.order_ref)
    ).all()
    assert {(r.order_ref, r.status) for r in rows} == {("O-1", "expired"), ("O-2", "active")}


def test_paying_after_the_hold_lapsed_takes_the_stock_again_if_it_is_there(fresh, clock) -> None:
    hold_for(fresh, "O-1", [(fresh.pid(NOODLES), 2)])
    clock.advance(minutes=10)
    service.expire_reservations(fresh.session, clock)
    sales = service.fulfil_reservations(fresh.session, clock, order_ref="O-1", actor="test")
    assert sum(m.qty for m in sales) == 2
    assert ledger_problems(fresh.session) == []


def test_paying_after_the_hold_lapsed_and_the_stock_went_is_out_of_stock(fresh, clock) -> None:
    hold_for(fresh, "O-1", [(fresh.pid(NOODLES), 2)])
    clock.advance(minutes=10)
    hold_for(fresh, "O-2", [(fresh.pid(NOODLES), 17)])  # lazily expires O-1 first, then takes all
    with pytest.raises(OutOfStock) as err:
        service.fulfil_reservations(fresh.session, clock, order_ref="O-1", actor="test")
    assert "lines.0" in err.value.fields


def test_release_frees_the_stock_and_counts_holds(fresh) -> None:
    hold_for(fresh, "O-1", [(fresh.pid(NOODLES), 5)])
    assert service.release_reservations(fresh.session, fresh.clock, order_ref="O-1", reason="cancelled") == 2
    assert service.release_reservations(fresh.session, fresh.clock, order_ref="O-1", reason="cancelled") == 0
    assert fresh.balance(lot="OLD").reserved == 0
    assert ledger_problems(fresh.session) == []
