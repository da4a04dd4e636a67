"""Benchmark: a month of 1 million revenue entries in PostgreSQL, its statements, the bare GROUP BY.

    .venv/bin/python bench/statements_bench.py [--url postgresql+psycopg://…/db] [--entries 1000000]

Without --url it creates (and afterwards drops) its own database `dongxi_bench` on the server of
TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres), using the
helpers of tests/conftest.py. It migrates, loads the demo catalogue, then COPYs orders, order
lines and entries: ~99% of the lines sold in the month (some refunded in it), ~1% sold the month
before and refunded in this one (previous-period adjustments). It prints, best of three runs:

- the bare GROUP BY: the month's ledger summed per (county, supplier);
- every statement of the month (county, supplier, partner) computed from the rollup;
- issuing the month (rollup checked against the ledger, statements computed, hashed and stored;
  rolled back after each run);
- for comparison, the rollup-shaped GROUP BY straight from the ledger (what statements would cost
  without the rollup), and the time to rebuild the month's rollup after the bulk load.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.clock import SHANGHAI, FixedClock
from core.db import Database
from kiosk_api import migrate
from kiosk_api.demo import load_demo
from sales.statements import rollup
from sales.statements.compute import compute, period_bounds
from sales.statements.issue import issue_period

BUYERS = ("individual",) * 6 + (
    "government",
    "institution",
    "soe",
    "enterprise",
    "union",
    "school",
    "hospital",
)
CHANNELS = ("kiosk", "kiosk", "kiosk", "storefront", "bulk", "shop")


def _previous(period: str) -> str:
    start, _ = period_bounds(period)
    return f"{start.year - 1}-12" if start.month == 1 else f"{start.year}-{start.month - 1:02d}"


def load(db: Database, entries: int, period: str, seed: int = 1) -> dict[str, int]:
    """COPY orders, lines and `entries` revenue entries; return what was written."""
    rng = random.Random(seed)
    with db.engine.connect() as conn:
        products = conn.execute(
            text("SELECT id, sku, name_zh, county_code, supplier_id, price_fen FROM products")
        ).all()
        places = conn.execute(text("SELECT id, partner_code, kind FROM locations")).all()
    start, _end = period_bounds(period)
    before = _previous(period)
    prev_start, _ = period_bounds(before)
    n_lines = max(entries // 10, 1)
    lines: list[tuple] = []
    orders: list[tuple] = []
    for i in range(0, n_lines, 2):
        channel = rng.choice(CHANNELS)
        place = rng.choice([p for p in places if (p.kind == "kiosk") == (channel == "kiosk")] or places)
        buyer = "individual" if channel in ("kiosk", "shop") else rng.choice(BUYERS)
        earlier = rng.random() < 0.01
        created = (prev_start if earlier else start) + timedelta(seconds=rng.randrange(27 * 86400))
        order_id = str(uuid.UUID(int=rng.getrandbits(128)))
        orders.append((order_id, channel, buyer, place.id, place.partner_code, created, earlier))
        for line_no in (1, 2):
            product = rng.choice(products)
            lines.append(
                (i + line_no, order_id, line_no, product, rng.randint(1, 3), created, earlier, orders[-1])
            )
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        base_line = cur.execute("SELECT coalesce(max(id), 0) FROM order_lines").fetchone()[0]
        with cur.copy(
            "COPY orders (id, channel, mode, status, buyer_kind, location_id, partner_code, currency,"
            " total_fen, hold_fen, captured_fen, refunded_fen, pay_token, details, created_at, updated_at)"
            " FROM STDIN"
        ) as copy:
            for order_id, channel, buyer, location, partner, created, _e in orders:
                copy.write_row(
                    (
                        order_id,
                        channel,
                        "standard",
                        "completed",
                        buyer,
                        location,
                        partner,
                        "CNY",
                        0,
                        0,
                        0,
                        0,
                        order_id.replace("-", ""),
                        "{}",
                        created,
                        created,
                    )
                )
        with cur.copy(
            "COPY order_lines (id, order_id, line_no, product_id, sku, name_zh, name_en, county_code,"
            " supplier_id, certified, qty, unit_price_fen, line_total_fen, refunded_qty, refunded_fen)"
            " FROM STDIN"
        ) as copy:
            for line_id, order_id, line_no, p, qty, _c, _e, _o in lines:
                copy.write_row(
                    (
                        base_line + line_id,
                        order_id,
                        line_no,
                        p.id,
                        p.sku,
                        p.name_zh,
                        "",
                        p.county_code,
                        p.supplier_id,
                        True,
                        qty,
                        p.price_fen,
                        p.price_fen * qty,
                        0,
                        0,
                    )
                )
        written = {"orders": len(orders), "order_lines": len(lines), "entries": 0, "adjustments": 0}
        with cur.copy(
            "COPY revenue_entries (kind, order_id, order_line_id, product_id, county_code, supplier_id,"
            " channel, buyer_kind, partner_code, location_id, certified, qty, amount_fen, commission_fen,"
            " period, at)"
            " FROM STDIN"
        ) as copy:
            k = 0
            while written["entries"] < entries:
                line_id, order_id, _n, p, qty, created, earlier, order = lines[k % len(lines)]
                k += 1
                _oid, channel, buyer, location, partner, _cr, _e = order
                common = (
                    order_id,
                    base_line + line_id,
                    p.id,
                    p.county_code,
                    p.supplier_id,
                    channel,
                    buyer,
                    partner,
                    location,
                    True,
                )
                amount = p.price_fen * qty
                if earlier or rng.random() < 0.03:
                    # a refund of one unit, in this month (of last month's sale: an adjustment)
                    at = (
                        created + timedelta(days=1)
                        if not earlier
                        else start + timedelta(hours=rng.randrange(600))
                    )
                    copy.write_row(
                        ("refund", *common, -1, -p.price_fen, -(p.price_fen * 5 // 100), period, at)
                    )
                    written["adjustments"] += earlier
                    if earlier and k <= len(lines):
                        copy.write_row(("sale", *common, qty, amount, amount * 5 // 100, before, created))
                else:
                    copy.write_row(("sale", *common, qty, amount, amount * 5 // 100, period, created))
                written["entries"] += 1
        raw.commit()
    finally:
        raw.close()
    return written


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        work()
        times.append(time.perf_counter() - t)
    return min(times)


BARE = text(
    "SELECT county_code, supplier_id, sum(amount_fen), sum(qty), sum(commission_fen), count(*)"
    " FROM revenue_entries WHERE period = :period GROUP BY county_code, supplier_id"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a PostgreSQL database to use (migrated here); default: its own")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    own = args.url is None
    if own:
        from tests.conftest import create_postgres_database

        args.url = create_postgres_database("dongxi_bench")
    db = Database.from_url(args.url)
    try:
        print(f"migrating and loading the demo catalogue into {db.engine.url.render_as_string()} …")
        migrate.upgrade(args.url)
        with db.unit_of_work() as session:
            load_demo(session, FixedClock(datetime(2026, 9, 1, tzinfo=SHANGHAI)))
        t = time.perf_counter()
        written = load(db, args.entries, args.period)
        print(f"loaded {written} in {time.perf_counter() - t:.1f} s (COPY)")
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        t = time.perf_counter()
        with db.unit_of_work() as session:
            rows = rollup.rebuild(session, args.period) + rollup.rebuild(session, _previous(args.period))
        rebuild_s = time.perf_counter() - t
        print(f"rollup rebuilt from the ledger: {rows} rows in {rebuild_s:.2f} s")
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE revenue_rollups"))
            conn.commit()

        def bare() -> object:
            with db.engine.connect() as conn:
                return conn.execute(BARE, {"period": args.period}).all()

        def statements() -> object:
            with db.unit_of_work() as session:
                return compute(session, args.period)

        def ledger_shaped() -> object:
            with db.unit_of_work() as session:
                return rollup.ledger_rows(session, args.period)

        def issue() -> object:
            session = db.sessionmaker()
            try:
                clock = FixedClock(period_bounds(args.period)[1] + timedelta(days=1))
                return issue_period(session, clock, args.period, actor="bench")
            finally:
                session.rollback()
                session.close()

        count = len(statements())
        with db.engine.connect() as conn:
            in_month = conn.execute(
                text("SELECT count(*) FROM revenue_entries WHERE period = :p"), {"p": args.period}
            ).scalar()
        timings = {
            "bare GROUP BY (county, supplier) on the ledger": best_of(args.runs, bare),
            f"all {count} statements of the month (from the rollup)": best_of(args.runs, statements),
            "issuing the month (check + statements + hashes + insert)": best_of(args.runs, issue),
            "rollup-shaped GROUP BY on the ledger (no rollup)": best_of(args.runs, ledger_shaped),
        }
        baseline = next(iter(timings.values()))
        print(f"\n{in_month:,} revenue entries in {args.period}; best of {args.runs} runs:")
        for name, seconds in timings.items():
            print(f"  {name:<60} {seconds * 1000:9.1f} ms   ×{seconds / baseline:6.2f} of the bare GROUP BY")
        print(f"  {'rebuilding the rollup after the bulk load (once)':<60} {rebuild_s * 1000:9.1f} ms")
    finally:
        db.engine.dispose()
        if own:
            from tests.conftest import drop_postgres_database

            drop_postgres_database("dongxi_bench")


if __name__ == "__main__":
    main()
