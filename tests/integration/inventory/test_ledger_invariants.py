"""Property: whatever happens, every balance equals the sum of its movements, none is negative,
and what is held never exceeds what is on hand (and equals the active holds)."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.clock import local_date
from core.errors import DomainError
from inventory import service
from tests.conftest import TEST_NOW
from tests.integration.inventory.factories import HONEY, NOODLES, ledger_problems, make_world

SKUS = (NOODLES, HONEY)
SLOTS = ("A1", "A2", "B1")  # A1, A2: noodles; B1: honey
LOT_DAYS = (1, 3, 60)  # lots expire one day, three days and two months after the start
ORDERS = 4  # orders 0 and 1 buy at the warehouse, 2 and 3 at the kiosk

qty = st.integers(min_value=1, max_value=6)
steps = st.one_of(
    st.tuples(st.just("receive"), st.integers(0, 1), st.integers(0, 2), qty),
    st.tuples(st.just("stock_slot"), st.sampled_from(SLOTS), qty),
    st.tuples(st.just("unstock_slot"), st.sampled_from(SLOTS), qty),
    st.tuples(st.just("reserve"), st.integers(0, ORDERS - 1), st.sampled_from((*SLOTS, None)), qty),
    st.tuples(st.just("fulfil"), st.integers(0, ORDERS - 1)),
    st.tuples(st.just("release"), st.integers(0, ORDERS - 1)),
    st.tuples(
        st.just("return"), st.integers(0, ORDERS - 1), st.integers(0, 1), st.integers(1, 2), st.booleans()
    ),
    st.tuples(
        st.just("writeoff"),
        st.sampled_from((*SLOTS, None)),
        st.integers(1, 3),
        st.sampled_from(("expired", "damaged")),
    ),
    st.tuples(st.just("count"), st.sampled_from((*SLOTS, None)), st.integers(0, 8)),
    st.tuples(st.just("taken"), st.sampled_from(SLOTS), qty),
    st.tuples(st.just("advance"), st.integers(1, 60 * 30)),
    st.tuples(st.just("expire")),
)


# Every script starts from some stock, so that holds, sales and returns have something to act on.
PRELUDE = [
    *[("receive", sku, lot, 5) for sku in (0, 1) for lot in (0, 1, 2)],
    *[("stock_slot", slot, 3) for slot in SLOTS],
    *[("reserve", 0, None, 2), ("fulfil", 0), ("reserve", 2, "A1", 2), ("fulfil", 2)],
]


@pytest.fixture
def world(session, clock):
    return make_world(session, clock, prefix="P", mode="open_door")


def apply(world, clock, step, step_no: int) -> None:
    session, kind, args = world.session, step[0], step[1:]
    wh, kiosk = world.warehouse, world.kiosk
    order = f"P-{args[0]}" if kind in ("reserve", "fulfil", "release", "return") else ""
    at_kiosk = kind in ("reserve", "fulfil", "release", "return") and args[0] >= 2
    match step:
        case ("receive", sku, lot, n):
            expires_on = local_date(TEST_NOW) + timedelta(days=LOT_DAYS[lot])
            service.receive(
                session,
                clock,
                location=wh.code,
                product=world.pid(SKUS[sku]),
                lot=f"L{lot}",
                expires_on=expires_on,
                qty=n,
                actor="p",
            )
        case ("stock_slot", slot, n):
            service.transfer(
                session, clock, source=wh.code, dest=kiosk.code, dest_slot=slot, qty=n, actor="p"
            )
        case ("unstock_slot", slot, n):
            service.transfer(
                session, clock, source=kiosk.code, source_slot=slot, dest=wh.code, qty=n, actor="p"
            )
        case ("reserve", _, slot, n):
            sku = HONEY if slot == "B1" else NOODLES
            service.reserve(
                session,
                clock,
                order_ref=order,
                location_id=(kiosk if at_kiosk else wh).id,
                lines=[(world.pid(sku), n)],
                expires_at=clock.now() + timedelta(minutes=3),
                slot_codes=[slot] if at_kiosk and slot else None,
            )
        case ("fulfil", _):
            service.fulfil_reservations(session, clock, order_ref=order, actor="p")
        case ("release", _):
            service.release_reservations(session, clock, order_ref=order, reason="cancelled")
        case ("return", _, n, restock):
            for sku in SKUS:
                service.return_sold(
                    session,
                    clock,
                    order_ref=order,
                    location_id=(kiosk if at_kiosk else wh).id,
                    product_id=world.pid(sku),
                    qty=n,
                    restock=restock,
                    actor="p",
                    reason="damaged",
                )
        case ("writeoff", slot, n, reason):
            where = (
                dict(location=kiosk.code, slot=slot)
                if slot
                else dict(location=wh.code, product=world.pid(HONEY))
            )
            service.write_off(session, clock, qty=n, reason=reason, actor="p", **where)
        case ("count", slot, n):
            where = (
                dict(location=kiosk.code, slot=slot)
                if slot
                else dict(location=wh.code, product=world.pid(NOODLES))
            )
            service.count(session, clock, counted=n, actor="p", **where)
        case ("taken", slot, n):
            service.record_taken(
                session,
                clock,
                order_ref=f"P-door-{step_no}",
                location_id=kiosk.id,
                slot_code=slot,
                qty=n,
                actor="p",
            )
        case ("advance", minutes):
            clock.advance(minutes=minutes)
        case ("expire",):
            service.expire_reservations(session, clock)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=st.lists(steps, min_size=1, max_size=25))
def test_balances_always_equal_their_movements_and_never_go_negative(world, clock, script) -> None:
    session = world.session
    clock.set(TEST_NOW)
    example = session.begin_nested()  # each example starts from the same stock, and leaves nothing
    try:
        for step in PRELUDE:
            apply(world, clock, step, 0)
        for step_no, step in enumerate(script):
            # Each step is a unit of work: a refusal rolls back whatever it had begun.
            step_tx = session.begin_nested()
            try:
                apply(world, clock, step, step_no)
                step_tx.commit()
                event(f"{step[0]}: done")
            except DomainError as refused:
                step_tx.rollback()
                event(f"{step[0]}: refused ({refused.code})")
            problems = ledger_problems(session)
            assert problems == [], f"after {step}: {problems}"
    finally:
        example.rollback()
