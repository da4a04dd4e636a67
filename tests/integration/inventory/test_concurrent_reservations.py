"""Racing for the last units: many shoppers at once, each on its own connection, with real commits.

These tests build their own database (PostgreSQL, or a SQLite file), since the usual fixture rolls
every test back inside one connection and so could never show two transactions racing.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.pool import NullPool

from catalogue.demo import load_demo_catalogue
from core.clock import FixedClock
from core.db import Database, make_engine
from inventory import service
from inventory.errors import OutOfStock
from kiosk_api import migrate
from tests.conftest import TEST_NOW, create_postgres_database, drop_postgres_database, require_postgres
from tests.integration.inventory.factories import HONEY, NOODLES, ledger_problems, make_world

ATTEMPTS = 200
THREADS = 32


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def race_db(request, tmp_path_factory, worker_id: str, testrun_uid: str) -> Iterator[Database]:
    """A migrated database with the demo catalogue, whose every session opens its own connection."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('race') / 'race.db'}"
    else:
        require_postgres()
        name = f"dongxi_race_{testrun_uid[:8]}_{worker_id}"
        url = create_postgres_database(name)
    migrate.upgrade(url)
    db = Database(make_engine(url, poolclass=NullPool))
    with db.unit_of_work() as session:
        load_demo_catalogue(session, FixedClock(TEST_NOW))
    yield db
    db.engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(name)


def stocked_kiosk(db: Database, prefix: str, units: dict[str, int]) -> tuple[int, dict[str, int]]:
    """Commit a kiosk whose slot A1 holds units[NOODLES] and B1 units[HONEY]; return its id and products."""
    clock = FixedClock(TEST_NOW)
    with db.unit_of_work() as session:
        world = make_world(session, clock, prefix=prefix, slots=(("A1", NOODLES, 8, 6), ("B1", HONEY, 8, 6)))
        for sku, slot in ((NOODLES, "A1"), (HONEY, "B1")):
            world.receive(sku, f"{prefix}-{slot}", units[sku])
            world.stock_slot(slot, units[sku])
        return world.kiosk.id, {NOODLES: world.pid(NOODLES), HONEY: world.pid(HONEY)}


def race(db: Database, attempt) -> list[object]:
    """Run `attempt(i)` ATTEMPTS times over THREADS threads, all let go at once."""
    go = threading.Event()

    def run(i: int) -> object:
        go.wait()
        try:
            return service.run_in_transaction(db, lambda session: attempt(session, i))
        except OutOfStock as refused:
            return refused

    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(run, i) for i in range(ATTEMPTS)]
        go.set()
        return [f.result() for f in futures]


def test_the_last_five_units_of_a_slot_are_held_exactly_once(race_db: Database) -> None:
    kiosk_id, products = stocked_kiosk(
        race_db, f"R{race_db.engine.dialect.name[:2].upper()}", {NOODLES: 5, HONEY: 1}
    )
    clock = FixedClock(TEST_NOW)

    def attempt(session, i: int) -> str:
        service.reserve(
            session,
            clock,
            order_ref=f"RACE-{kiosk_id}-{i}",
            location_id=kiosk_id,
            lines=[(products[NOODLES], 1)],
            expires_at=clock.now() + timedelta(minutes=3),
            slot_codes=["A1"],
        )
        return f"RACE-{kiosk_id}-{i}"

    results = race(race_db, attempt)
    won = [r for r in results if isinstance(r, str)]
    lost = [r for r in results if isinstance(r, OutOfStock)]
    assert len(won) == 5 and len(lost) == ATTEMPTS - 5, Counter(type(r).__name__ for r in results)
    assert {(e.code, tuple(e.fields.items())) for e in lost} == {
        ("out_of_stock", (("lines.0.slot", "1 requested, 0 available"),))
    }
    with race_db.unit_of_work() as session:
        assert service.slot_availability(session, clock, kiosk_id)["A1"] == 0
        for order_ref in won:
            service.fulfil_reservations(session, clock, order_ref=order_ref, actor="test")
    with race_db.unit_of_work() as session:
        [balance] = [
            b
            for b in service.list_balances(session, clock, include_empty=True)
            if b.location_id == kiosk_id and b.product_id == products[NOODLES]
        ]
        assert (balance.on_hand, balance.reserved) == (0, 0)
        assert ledger_problems(session) == []


def test_orders_taking_two_products_in_either_order_neither_oversell_nor_deadlock(race_db: Database) -> None:
    kiosk_id, products = stocked_kiosk(
        race_db, f"X{race_db.engine.dialect.name[:2].upper()}", {NOODLES: 7, HONEY: 7}
    )
    clock = FixedClock(TEST_NOW)
    noodles, honey = products[NOODLES], products[HONEY]

    def attempt(session, i: int) -> str:
        lines = [(noodles, 1), (honey, 1)] if i % 2 else [(honey, 1), (noodles, 1)]
        service.reserve(
            session,
            clock,
            order_ref=f"MIX-{kiosk_id}-{i}",
            location_id=kiosk_id,
            lines=lines,
            expires_at=clock.now() + timedelta(minutes=3),
        )
        return "held"

    results = race(race_db, attempt)
    assert Counter(type(r).__name__ for r in results) == {"str": 7, "OutOfStock": ATTEMPTS - 7}
    with race_db.unit_of_work() as session:
        assert service.slot_availability(session, clock, kiosk_id) == {"A1": 0, "B1": 0}
        assert ledger_problems(session) == []
