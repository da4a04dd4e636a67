"""PostgreSQL: two operators pick the same web-shop order at once; one pick is recorded, the other
is refused as out of turn (it waits on the order's row lock, then finds the order picked).

Each side works on its own connection with real commits, in a database of its own (the usual
fixture rolls every test back inside one connection and could never show two transactions race)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from core.clock import FixedClock
from core.db import Database, make_engine
from kiosk_api import migrate
from kiosk_api.demo import load_demo
from sales.shipping import IllegalStep, record_step, shipment_of
from tests.conftest import TEST_NOW, create_postgres_database, drop_postgres_database, require_postgres
from tests.integration.sales.shipping_factories import paid_order, simulated_provider
from tests.waiting import wait_until

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def race_db(worker_id: str, testrun_uid: str) -> Iterator[Database]:
    require_postgres()
    name = f"dongxi_ship_race_{testrun_uid[:8]}_{worker_id}"
    url = create_postgres_database(name)
    migrate.upgrade(url)
    db = Database(make_engine(url, poolclass=NullPool))
    with db.unit_of_work() as session:
        load_demo(session, FixedClock(TEST_NOW))
    yield db
    db.engine.dispose()
    drop_postgres_database(name)


def _waiting_on_a_lock(db: Database, pid: int) -> bool:
    with db.engine.connect() as conn:
        return bool(
            conn.scalar(
                text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
        )


def test_two_operators_picking_one_order_at_once_record_one_pick(race_db: Database) -> None:
    clock = FixedClock(TEST_NOW)
    order_id = paid_order(race_db, clock, simulated_provider(race_db, clock))
    first = race_db.sessionmaker()
    record_step(first, clock, order_id, "picked", actor="first-operator")
    first.flush()  # the shipment row written, the order row still locked by this transaction

    second_pid: list[int] = []
    outcome: list[BaseException | str] = []

    def pick_again() -> None:
        try:
            with race_db.unit_of_work() as session:
                second_pid.append(session.scalar(text("SELECT pg_backend_pid()")))
                record_step(session, clock, order_id, "picked", actor="second-operator")
            outcome.append("picked")
        except BaseException as exc:  # reported to the test below
            outcome.append(exc)

    second = threading.Thread(target=pick_again)
    second.start()
    wait_until(
        lambda: outcome or (second_pid and _waiting_on_a_lock(race_db, second_pid[0])),
        "the second pick waits for the first's lock",
    )
    first.commit()
    first.close()
    second.join(60)
    assert not second.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], IllegalStep), outcome
    with race_db.unit_of_work() as session:
        shipment = shipment_of(session, order_id)
        assert (shipment.step, shipment.picked_by) == ("picked", "first-operator")
