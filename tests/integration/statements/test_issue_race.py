"""PostgreSQL: a sale committed while its month is being issued is in the statements, never in a
closed month beside them (issue 11, defect 10).

Each side works on its own connection with real commits, in a database of its own (the usual
fixture rolls every test back inside one connection and could never show two transactions
racing). The sale's transaction writes its revenue entry in October and stays open; the month is
issued meanwhile. The issue must wait for that writer (both take the month's lock), so that what
it freezes is everything the month holds once both have committed.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.pool import NullPool

from core.clock import SHANGHAI, FixedClock
from core.db import Database, make_engine
from kiosk_api import migrate
from kiosk_api.demo import load_demo
from sales.models import RevenueEntry
from sales.statements.issue import issue_period
from sales.statements.models import Statement
from tests.conftest import TEST_NOW, create_postgres_database, drop_postgres_database, require_postgres
from tests.integration.statements.factories import make_month, place_and_capture

pytestmark = pytest.mark.postgres_only

OCTOBER = datetime(2026, 10, 1, tzinfo=SHANGHAI)
LAST_MINUTE = datetime(2026, 10, 31, 23, 59, 30, tzinfo=SHANGHAI)


@pytest.fixture
def race_db(worker_id: str, testrun_uid: str) -> Iterator[Database]:
    require_postgres()
    name = f"dongxi_issue_race_{testrun_uid[:8]}_{worker_id}"
    url = create_postgres_database(name)
    migrate.upgrade(url)
    db = Database(make_engine(url, poolclass=NullPool))
    with db.unit_of_work() as session:
        load_demo(session, FixedClock(TEST_NOW))
        make_month(session, FixedClock(OCTOBER), OCTOBER, orders=10)
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


def test_a_sale_committed_while_its_month_is_issued_is_in_the_statements(race_db: Database) -> None:
    from catalogue.models import Product
    from inventory.models import Location

    writer = race_db.sessionmaker()
    clock = FixedClock(LAST_MINUTE)
    products = list(writer.scalars(select(Product).where(Product.active).order_by(Product.id)))
    places = list(writer.scalars(select(Location).order_by(Location.id)))
    place_and_capture(writer, clock, random.Random(3), products, places)  # its entries, not committed
    writer.flush()

    issued = threading.Event()
    issuer_pid: list[int] = []
    failure: list[BaseException] = []

    def issue() -> None:
        try:
            with race_db.unit_of_work() as session:
                issuer_pid.append(session.scalar(text("SELECT pg_backend_pid()")))
                issue_period(session, FixedClock(TEST_NOW), "2026-10", actor="test")
        except BaseException as exc:  # reported to the test below
            failure.append(exc)
        finally:
            issued.set()

    issuer = threading.Thread(target=issue)
    issuer.start()
    # Until the issue has either finished (nothing made it wait) or is waiting for the writer.
    while not issued.wait(0.05):
        if issuer_pid and _waiting_on_a_lock(race_db, issuer_pid[0]):
            break
    writer.commit()
    writer.close()
    issuer.join(60)
    assert not issuer.is_alive() and not failure, failure

    with race_db.unit_of_work() as session:
        ledger = session.scalar(
            select(func.sum(RevenueEntry.amount_fen)).where(RevenueEntry.period == "2026-10")
        )
        counties = session.scalars(
            select(Statement).where(Statement.period == "2026-10", Statement.scope == "county")
        ).all()
        frozen = sum(s.figures["totals"]["net_fen"] for s in counties)
    assert frozen == ledger, f"the issued statements hold {frozen} fen, the month's ledger {ledger}"
