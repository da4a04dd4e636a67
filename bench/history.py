"""Load a long history into a dongxi database: what two years of real trade leave behind.

    .venv/bin/python bench/history.py --url postgresql+psycopg://postgres@127.0.0.1:5432/DB --orders 1000000

The database must be migrated to head and hold the demo data (`dongxi db upgrade && dongxi demo load`).
Orders are dated over the 24 months before 2026-11-01 (UTC timestamps; ledger periods are months in
Asia/Shanghai). Most are kiosk sales at the existing kiosks, some storefront orders from the
warehouses; most completed, some expired or cancelled (nothing captured). Each order gets its lines,
status events, one simulated payment, one reservation per line (fulfilled, expired or released,
never active), and, when completed, a sale movement per line out of the balance it was held on,
a revenue entry per line and a webhook event. Every sale is matched by an earlier receipt of the
same quantity into the same balance, so each balance's on_hand still equals its movements
(in minus out). Old device nonces are written too, one per order. The monthly revenue rollup is
rebuilt from the ledger for every month touched, and the tables are analysed at the end.

Everything is appended with COPY (the ledgers are append-only); ids, tokens and keys are random,
so a second run adds more history without clashing with the first.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHANGHAI = ZoneInfo("Asia/Shanghai")
HISTORY_END = datetime(2026, 11, 1, tzinfo=SHANGHAI)  # 2026-10-31 16:00 UTC
HISTORY_START = datetime(2024, 11, 1, tzinfo=SHANGHAI)
BATCH = 50_000
HISTORY_TABLES = (
    "orders",
    "order_lines",
    "order_events",
    "payments",
    "reservations",
    "stock_movements",
    "revenue_entries",
    "revenue_rollups",
    "webhook_events",
    "device_nonces",
    "stock_balances",
)


@dataclass(frozen=True)
class Product:
    id: int
    sku: str
    name_zh: str
    name_en: str
    county_code: str
    supplier_id: int
    price_fen: int
    certified: bool


@dataclass(frozen=True)
class Balance:
    id: int
    location_id: int
    slot_id: int | None
    slot_code: str | None
    product_id: int
    lot_id: int


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    partner_code: str
    mode: str | None
    balances: tuple[Balance, ...]


@dataclass
class Catalogue:
    products: dict[int, Product]
    kiosks: list[Place]
    warehouses: list[Place]
    key_ids: list[str]
    issued: frozenset[str]

    @property
    def kiosk_weights(self) -> list[int]:
        """Vending kiosks sell most: three times the orders of an open-door cabinet."""
        return [3 if k.mode != "open_door" else 1 for k in self.kiosks]


def period_of(at: datetime) -> str:
    """The ledger month of a moment: its month in Asia/Shanghai."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m")


def _hex(rng: random.Random, bits: int = 128) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _read_catalogue(conn: psycopg.Connection) -> Catalogue:
    products = {
        row[0]: Product(*row[:7], certified=row[7])
        for row in conn.execute(
            "SELECT id, sku, name_zh, name_en, county_code, supplier_id, price_fen,"
            " certification_no IS NOT NULL FROM products"
        )
    }
    balances: dict[int, list[Balance]] = {}
    for row in conn.execute(
        "SELECT b.id, b.location_id, b.slot_id, s.code, b.product_id, b.lot_id"
        " FROM stock_balances b LEFT JOIN slots s ON s.id = b.slot_id ORDER BY b.id"
    ):
        balances.setdefault(row[1], []).append(Balance(*row))
    kiosks, warehouses = [], []
    for loc_id, code, kind, partner, mode in conn.execute(
        "SELECT id, code, kind, partner_code, mode FROM locations"
        " WHERE kind IN ('kiosk', 'warehouse') ORDER BY id"
    ):
        if kind == "kiosk":
            # A kiosk sells from its slots only.
            held = tuple(b for b in balances.get(loc_id, []) if b.slot_id is not None)
        else:
            held = tuple(b for b in balances.get(loc_id, []) if b.slot_id is None)
        if held:
            (kiosks if kind == "kiosk" else warehouses).append(Place(loc_id, code, partner, mode, held))
    if not kiosks:
        raise SystemExit("history: no kiosk with stocked slots; load the demo data first")
    key_ids = [row[0] for row in conn.execute("SELECT key_id FROM kiosk_devices ORDER BY id")]
    key_ids = key_ids or [f"hist-{k.code.lower()}" for k in kiosks]
    issued = frozenset(row[0] for row in conn.execute("SELECT period FROM statement_periods"))
    return Catalogue(products, kiosks, warehouses, key_ids, issued)


def _moment(rng: random.Random, issued: frozenset[str]) -> datetime:
    """A random second of the history, outside any month whose statements were issued."""
    span = int((HISTORY_END - HISTORY_START).total_seconds()) - 3600
    for _ in range(1000):
        at = HISTORY_START + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(1_000_000))
        if period_of(at) not in issued:
            return at
    raise SystemExit("history: every month of the history was issued; nothing can be recorded")


class Rows:
    """The rows of one batch, table by table."""

    def __init__(self) -> None:
        self.orders: list[tuple] = []
        self.lines: list[tuple] = []
        self.events: list[tuple] = []
        self.payments: list[tuple] = []
        self.reservations: list[tuple] = []
        self.movements: list[tuple] = []
        self.entries: list[tuple] = []
        self.webhooks: list[tuple] = []
        self.nonces: list[tuple] = []


ORDER_COLS = (
    "id, channel, mode, status, buyer_kind, location_id, partner_code, currency, total_fen, hold_fen,"
    " captured_fen, refunded_fen, pay_token, details, expires_at, created_at, updated_at"
)
LINE_COLS = (
    "id, order_id, line_no, product_id, sku, name_zh, name_en, county_code, supplier_id, certified,"
    " slot_code, qty, unit_price_fen, line_total_fen, refunded_qty, refunded_fen"
)
EVENT_COLS = "order_id, from_status, to_status, actor, reason, at"
PAYMENT_COLS = (
    "order_id, provider, provider_ref, method, capture_mode, status, amount_fen, captured_fen,"
    " refunded_fen, idempotency_key, created_at, updated_at"
)
RESERVATION_COLS = (
    "order_ref, line_no, balance_id, location_id, slot_id, product_id, lot_id, qty, status, expires_at,"
    " created_at, released_at, release_reason, fulfilled_at"
)
MOVEMENT_COLS = (
    "kind, product_id, lot_id, qty, from_location_id, from_slot_id, to_location_id, to_slot_id, reason,"
    " reference, actor, note, at"
)
ENTRY_COLS = (
    "kind, order_id, order_line_id, product_id, county_code, supplier_id, channel, buyer_kind,"
    " organization_id, partner_code, location_id, certified, qty, amount_fen, commission_fen, period, at"
)
WEBHOOK_COLS = "provider, event_id, type, payload, received_at, processed_at"
NONCE_COLS = "key_id, nonce, seen_at"


def _generate(rng: random.Random, cat: Catalogue, n: int, first_line_id: int, periods: set[str]) -> Rows:
    """Generate n orders and everything they leave behind; line ids start at first_line_id."""
    rows = Rows()
    line_id = first_line_id
    for _ in range(n):
        at = _moment(rng, cat.issued)
        order_id = _uuid(rng)
        r = rng.random()
        status = "completed" if r < 0.92 else ("expired" if r < 0.97 else "cancelled")
        if cat.warehouses and rng.random() < 0.12:
            place = rng.choice(cat.warehouses)
            channel, mode, actor = "storefront", "standard", "user:history"
            hold = timedelta(minutes=30)
            opening, approved = "awaiting_payment", "paid"
        else:
            place = rng.choices(cat.kiosks, cat.kiosk_weights)[0]
            channel, actor = "kiosk", f"kiosk:{place.code}"
            mode = place.mode if place.mode in ("vend", "open_door") else "vend"
            hold = timedelta(minutes=2)
            if mode == "open_door":
                opening, approved = "awaiting_authorization", "authorized"
            else:
                opening, approved = "awaiting_payment", "paid"
        n_lines = 1 if rng.random() < 0.7 or len(place.balances) < 2 else 2
        chosen = rng.sample(place.balances, n_lines)
        paid_at = at + timedelta(seconds=rng.randint(5, 60))
        done_at = paid_at + timedelta(seconds=rng.randint(5, 90))
        completed = status == "completed"
        ended_at = done_at if completed else at + hold
        period = period_of(at)
        total = 0
        for line_no, balance in enumerate(chosen):
            p = cat.products[balance.product_id]
            qty = 1 if rng.random() < 0.8 else 2
            amount = p.price_fen * qty
            total += amount
            rows.lines.append(
                (
                    line_id,
                    order_id,
                    line_no,
                    p.id,
                    p.sku,
                    p.name_zh,
                    p.name_en,
                    p.county_code,
                    p.supplier_id,
                    p.certified,
                    balance.slot_code,
                    qty,
                    p.price_fen,
                    amount,
                    0,
                    0,
                )
            )
            if completed:
                res_status, released, reason, fulfilled = "fulfilled", None, None, done_at
            elif status == "expired":
                res_status, released, reason, fulfilled = "expired", ended_at, "expired", None
            else:
                res_status, released, reason, fulfilled = "released", ended_at, "cancelled", None
            rows.reservations.append(
                (
                    order_id,
                    line_no,
                    balance.id,
                    balance.location_id,
                    balance.slot_id,
                    p.id,
                    balance.lot_id,
                    qty,
                    res_status,
                    at + hold,
                    at,
                    released,
                    reason,
                    fulfilled,
                )
            )
            if completed:
                restocked = at - timedelta(seconds=rng.randint(3600, 14 * 86400))
                rows.movements.append(
                    (
                        "receipt",
                        p.id,
                        balance.lot_id,
                        qty,
                        None,
                        None,
                        balance.location_id,
                        balance.slot_id,
                        None,
                        f"HIST-PO-{place.code}",
                        "history",
                        "history: restock",
                        restocked,
                    )
                )
                rows.movements.append(
                    (
                        "sale",
                        p.id,
                        balance.lot_id,
                        qty,
                        balance.location_id,
                        balance.slot_id,
                        None,
                        None,
                        None,
                        order_id,
                        actor,
                        "",
                        done_at,
                    )
                )
                rows.entries.append(
                    (
                        "sale",
                        order_id,
                        line_id,
                        p.id,
                        p.county_code,
                        p.supplier_id,
                        channel,
                        "individual",
                        None,
                        place.partner_code,
                        place.id,
                        p.certified,
                        qty,
                        amount,
                        0,
                        period,
                        done_at,
                    )
                )
                periods.add(period)
            line_id += 1
        captured = total if completed else 0
        rows.orders.append(
            (
                order_id,
                channel,
                mode,
                status,
                "individual",
                place.id,
                place.partner_code,
                "CNY",
                total,
                0,
                captured,
                0,
                _hex(rng),
                "{}",
                at + hold,
                at,
                ended_at,
            )
        )
        rows.events.append((order_id, None, opening, actor, "", at))
        provider_ref = f"sim_{_hex(rng, 96)}"
        if completed:
            rows.events.append((order_id, opening, approved, "provider:simulated", "paid", paid_at))
            rows.events.append((order_id, approved, "completed", actor, "dispensed", done_at))
            rows.webhooks.append(
                (
                    "simulated",
                    f"evt_{_hex(rng, 96)}",
                    "payment.succeeded",
                    json.dumps({"provider_ref": provider_ref, "status": "succeeded", "amount_fen": total}),
                    paid_at,
                    paid_at + timedelta(milliseconds=rng.randint(5, 500)),
                )
            )
        else:
            why = "hold lapsed" if status == "expired" else "cancelled at the kiosk"
            rows.events.append((order_id, opening, status, actor, why, ended_at))
        rows.payments.append(
            (
                order_id,
                "simulated",
                provider_ref,
                "any",
                "automatic",
                "succeeded" if completed else "canceled",
                total,
                captured,
                0,
                f"pay-{order_id}-{_hex(rng, 32)}",
                at,
                ended_at,
            )
        )
        rows.nonces.append((rng.choice(cat.key_ids), _hex(rng), _moment(rng, frozenset())))
    return rows


def _copy(cur: psycopg.Cursor, table: str, cols: str, rows: list[tuple]) -> None:
    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _reserve_ids(conn: psycopg.Connection, table: str, n: int) -> int:
    """Take n consecutive ids from a table's sequence; return the first."""
    seq = conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()[0]
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (seq,))
    first = conn.execute("SELECT nextval(%s)", (seq,)).fetchone()[0]
    if n > 1:
        conn.execute("SELECT setval(%s, %s)", (seq, first + n - 1))
    return first


def _batches(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


def _rebuild_rollups(url: str, periods: set[str]) -> None:
    from core.db import Database, make_engine
    from sales.statements import rollup

    engine = make_engine(url)
    try:
        with Database(engine).unit_of_work() as session:
            for period in sorted(periods):
                rollup.rebuild(session, period)
    finally:
        engine.dispose()


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql")


_CATALOGUE: dict[str, Catalogue] = {}


def _load_batch(url: str, size: int) -> set[str]:
    """Generate and COPY one batch of orders in its own transactions; return the months it touched."""
    rng = random.Random()
    periods: set[str] = set()
    with psycopg.connect(_dsn(url)) as conn:
        if url not in _CATALOGUE:
            _CATALOGUE[url] = _read_catalogue(conn)
            conn.commit()
        rows = _generate(rng, _CATALOGUE[url], size, 0, periods)
        # The ledger entries name their lines by id, so the lines take a range of ids first.
        with conn.transaction():
            first = _reserve_ids(conn, "order_lines", len(rows.lines)) if rows.lines else 0
        lines = [(line[0] + first, *line[1:]) for line in rows.lines]
        entries = [(*e[:2], e[2] + first, *e[3:]) for e in rows.entries]
        with conn.transaction(), conn.cursor() as cur:
            _copy(cur, "orders", ORDER_COLS, rows.orders)
            _copy(cur, "order_lines", LINE_COLS, lines)
            _copy(cur, "order_events", EVENT_COLS, rows.events)
            _copy(cur, "payments", PAYMENT_COLS, rows.payments)
            _copy(cur, "reservations", RESERVATION_COLS, rows.reservations)
            _copy(cur, "stock_movements", MOVEMENT_COLS, rows.movements)
            _copy(cur, "revenue_entries", ENTRY_COLS, entries)
            _copy(cur, "webhook_events", WEBHOOK_COLS, rows.webhooks)
            _copy(cur, "device_nonces", NONCE_COLS, rows.nonces)
    return periods


def load_history(
    url: str,
    orders: int,
    progress: Callable[[str], None] = print,
    *,
    jobs: int | None = None,
    batch: int = BATCH,
) -> None:
    """Load `orders` historical orders with what a real history leaves behind.

    Batches of `batch` orders are loaded by `jobs` processes at once (default one: the server's
    foreign-key and ledger triggers, not the client, set the pace); each batch commits on its own,
    so an interrupted load leaves whole batches behind."""
    jobs = max(jobs or 1, 1)
    with psycopg.connect(_dsn(url)) as conn:
        _read_catalogue(conn)  # refuse a database without the demo data before starting anything
    periods: set[str] = set()
    done = 0
    sizes = list(_batches(orders, batch))
    if jobs == 1 or len(sizes) == 1:
        for size in sizes:
            periods |= _load_batch(url, size)
            done += size
            progress(f"history: {done:,}/{orders:,} orders")
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(_load_batch, url, size): size for size in sizes}
            for future in as_completed(futures):
                periods |= future.result()
                done += futures[future]
                progress(f"history: {done:,}/{orders:,} orders")
    progress(f"history: rebuilding the revenue rollup of {len(periods)} months")
    _rebuild_rollups(url, periods)
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        for table in HISTORY_TABLES:
            conn.execute(f"ANALYZE {table}")
    progress("history: analysed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="postgresql+psycopg://user@host:port/db")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=None, help="loading processes (default 1)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_history(args.url, args.orders, jobs=args.jobs)
    print(f"history: {args.orders:,} orders in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
