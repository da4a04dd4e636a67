"""bench/history.py, which loads the history that `checkout_bench.py --history N` runs against,
leaves a database whose ledgers still add up: the same invariants the benchmark checks after its
run, and the monthly rollup equal to the revenue ledger it summarises."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from core.clock import FixedClock
from core.db import Database, make_engine
from kiosk_api import migrate
from kiosk_api.demo import load_demo
from tests.conftest import TEST_NOW, create_postgres_database, drop_postgres_database, require_postgres

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from common import INVARIANTS, libpq
from history import load_history

pytestmark = pytest.mark.postgres_only

ORDERS = 400


@pytest.fixture
def history_url():  # type: ignore[no-untyped-def]
    require_postgres()
    name = f"dongxi_history_{uuid.uuid4().hex[:8]}"
    url = create_postgres_database(name)
    migrate.upgrade(url)
    db = Database(make_engine(url))
    with db.unit_of_work() as session:
        load_demo(session, FixedClock(TEST_NOW))
    db.engine.dispose()
    yield url
    drop_postgres_database(name)


def _count(conn: psycopg.Connection, sql: str) -> int:
    return conn.execute(sql).fetchone()[0]


def test_a_loaded_history_keeps_every_ledger_invariant(history_url: str) -> None:
    with psycopg.connect(libpq(history_url)) as conn:
        before = _count(conn, "SELECT count(*) FROM orders")
    messages: list[str] = []
    load_history(history_url, ORDERS, progress=messages.append, batch=150)
    assert any(f"{ORDERS:,}/{ORDERS:,}" in m for m in messages)  # progress reached the end
    with psycopg.connect(libpq(history_url)) as conn:
        assert _count(conn, "SELECT count(*) FROM orders") == before + ORDERS
        assert _count(conn, "SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id") > ORDERS
        assert _count(conn, "SELECT count(*) FROM revenue_entries") > 0
        assert _count(conn, "SELECT count(*) FROM device_nonces") >= ORDERS
        for name, sql in INVARIANTS.items():
            assert _count(conn, sql) == 0, name
        # The rollup the month close reads is the revenue ledger, summed per month.
        off = _count(
            conn,
            """
            WITH ledger AS (SELECT period, sum(amount_fen) AS total FROM revenue_entries GROUP BY period),
                 rollup AS (SELECT period, sum(sale_fen + refund_fen) AS total FROM revenue_rollups
                            GROUP BY period)
            SELECT count(*) FROM ledger FULL JOIN rollup USING (period)
            WHERE coalesce(ledger.total, 0) <> coalesce(rollup.total, 0)""",
        )
        assert off == 0
