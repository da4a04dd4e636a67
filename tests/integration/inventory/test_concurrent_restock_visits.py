"""One visit submitted many times at once (a phone retrying on a bad connection, a double tap):
each submit on its own connection with real commits, and the visit is recorded exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from core.clock import FixedClock
from core.db import Database
from inventory import service
from inventory.models import StockMovement
from tests.conftest import TEST_NOW
from tests.integration.inventory.factories import HONEY, NOODLES
from tests.integration.inventory.test_concurrent_reservations import race_db, stocked_kiosk

__all__ = ["race_db"]  # the module's database fixture, shared with the reservation races

SUBMITS = 8


def test_a_visit_submitted_many_times_at_once_is_recorded_once(race_db: Database) -> None:
    prefix = f"V{race_db.engine.dialect.name[:2].upper()}"
    stocked_kiosk(race_db, prefix, {NOODLES: 3, HONEY: 1})
    clock, go = FixedClock(TEST_NOW), threading.Event()
    visit = {"removed": [{"slot": "A1", "qty": 1, "reason": "damaged"}], "put": [], "actor": "restocker"}

    def submit(_: int) -> list[int]:
        go.wait()
        _reference, moved = service.run_in_transaction(
            race_db,
            lambda session: service.record_restock_visit(
                session, clock, kiosk=f"{prefix}-K1", idempotency_key="same-visit-key-0001", **visit
            ),
        )
        return [m.qty for m in moved]

    with ThreadPoolExecutor(SUBMITS) as pool:
        futures = [pool.submit(submit, i) for i in range(SUBMITS)]
        go.set()
        answers = [f.result() for f in futures]
    assert answers == [[1]] * SUBMITS
    with race_db.unit_of_work() as session:
        written = session.scalar(
            select(func.count())
            .select_from(StockMovement)
            .where(StockMovement.reference == f"restock:{prefix}-K1:same-visit-key-0001")
        )
        a1 = service.list_balances(session, clock, location=f"{prefix}-K1")
    assert written == 1
    assert sum(b.on_hand for b in a1 if b.slot and b.slot.code == "A1") == 2
