"""What the device-API benchmarks share: scratch PostgreSQL databases with the demo data and N
stocked benchmark kiosks, gunicorn started with the repository's config, signed kiosk clients,
worker memory, and the invariants checked after a run.

Benchmarks, not tests: they print figures and ratios, and run only against 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import requests
from requests_http_signature import HTTPSignatureAuth, algorithms
from sqlalchemy import select, text

from catalogue.models import Product
from core.clock import SystemClock
from core.db import Database, make_engine
from inventory import service as inventory
from kiosk_api import migrate
from kiosk_api.demo import load_demo
from kiosk_api.kiosks import service as kiosks

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "bench-secret-key-not-for-production"
# The device nonces go to Redis, as in production (kiosk_api/kiosks/nonces.py); set it empty to
# measure the database's nonce table (the embedded default) instead.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def say(message: str) -> None:
    print(message, flush=True)


def libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def create_database(name: str) -> str:
    """(Re)create an empty PostgreSQL database; return its SQLAlchemy URL."""
    with psycopg.connect(libpq(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(libpq(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class BenchKiosk:
    code: str
    key_id: str
    secret: str
    slots: list[str]


def prepare_database(
    name: str,
    kiosk_count: int,
    *,
    slots: int = 8,
    stock: int = 100_000,
    history: int = 0,
    bulk: bool = False,
) -> tuple[str, list[BenchKiosk]]:
    """A migrated database with the demo data and `kiosk_count` stocked, provisioned vend kiosks.

    `bulk` writes the kiosks with a few set-based statements (`provision_kiosks_bulk`) instead of
    one service call per kiosk, slot and transfer: seconds rather than minutes for a fleet."""
    url = create_database(name)
    say(f"  {name}: migrating and loading the demo data …")
    migrate.upgrade(url)
    db = Database(make_engine(url))
    clock = SystemClock()
    with db.unit_of_work() as session:
        load_demo(session, clock)
    if history:
        from history import load_history

        load_history(url, history, progress=lambda m: say(f"  {name}: {m}"))
    provision = provision_kiosks_bulk if bulk else provision_kiosks
    made = provision(db, kiosk_count, slots=slots, stock=stock, progress=lambda m: say(f"  {name}: {m}"))
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    db.engine.dispose()
    return url, made


def provision_kiosks(
    db: Database, count: int, *, slots: int, stock: int, progress: Callable[[str], None]
) -> list[BenchKiosk]:
    """Create `count` vend kiosks BK-0001… with `slots` slots of stock each, and their device keys."""
    clock = SystemClock()
    made: list[BenchKiosk] = []
    warehouse, products = _stock_warehouse(db, count, slots=slots, stock=stock)
    batch = 100
    for start in range(0, count, batch):
        with db.unit_of_work() as session:
            for i in range(start, min(start + batch, count)):
                code = f"BK-{i + 1:04d}"
                inventory.create_location(
                    session,
                    clock,
                    code=code,
                    kind="kiosk",
                    name_zh=f"基准测试柜 {i + 1}（演示）",
                    partner=warehouse.partner_code,
                    mode="vend",
                    warehouse=warehouse.code,
                    route="BENCH",
                )
                slot_codes = [f"{'ABCDEFGH'[j // 4]}{j % 4 + 1}" for j in range(len(products))]
                for slot_code, product in zip(slot_codes, products, strict=True):
                    inventory.add_slot(
                        session, code, code=slot_code, product=product.id, capacity=stock, par_level=1
                    )
                    inventory.transfer(
                        session,
                        clock,
                        source=warehouse.code,
                        dest=code,
                        dest_slot=slot_code,
                        qty=stock,
                        actor="bench",
                        product=product.id,
                        lot=f"BENCH-{product.id}",
                    )
                keys = kiosks.provision(session, clock, code, secret_key=SECRET_KEY)
                made.append(BenchKiosk(code, keys["key_id"], keys["secret"], slot_codes))
        progress(f"kiosks provisioned: {len(made):,}/{count:,}")
    return made


def _stock_warehouse(db: Database, count: int, *, slots: int, stock: int) -> tuple[Any, list[Product]]:
    """Receive lots BENCH-<product> into the warehouse: enough for `count` kiosks' `slots` slots."""
    clock = SystemClock()
    with db.unit_of_work() as session:
        warehouse = session.execute(
            text("SELECT id, code, partner_code FROM locations WHERE kind = 'warehouse'")
        ).first()
        products = list(
            session.scalars(select(Product).where(Product.active).order_by(Product.id).limit(slots))
        )
        expires = date.today() + timedelta(days=365)
        for product in products:
            inventory.receive(
                session,
                clock,
                location=warehouse.code,
                product=product.id,
                lot=f"BENCH-{product.id}",
                qty=stock * count,
                actor="bench",
                expires_on=expires,
            )
        session.flush()  # the last receipt's movement, before the products leave the session
        session.expunge_all()
    return warehouse, products


def provision_kiosks_bulk(
    db: Database, count: int, *, slots: int, stock: int, progress: Callable[[str], None]
) -> list[BenchKiosk]:
    """What `provision_kiosks` writes, in one transaction of set-based statements.

    The warehouse receipts go through the service as before; then the kiosks' locations, slots,
    slot balances, one transfer movement per slot (so ledger sums still equal balances), the
    warehouse's balances drawn down, and the device keys encrypted as `kiosks.provision` does.
    """
    warehouse, products = _stock_warehouse(db, count, slots=slots, stock=stock)
    slot_codes = [f"{'ABCDEFGH'[j // 4]}{j % 4 + 1}" for j in range(len(products))]
    codes = [f"BK-{i + 1:04d}" for i in range(count)]
    fernet = kiosks._fernet(SECRET_KEY)
    secrets = [kiosks._new_secret() for _ in codes]
    key_ids = [f"kiosk-{code}-{uuid.uuid4().hex[:8]}" for code in codes]
    encrypted = [fernet.encrypt(secret.encode()).decode() for secret in secrets]
    params = {
        "wh": warehouse.id,
        "partner": warehouse.partner_code,
        "stock": stock,
        "count": count,
        "codes": codes,
        "numbers": list(range(1, count + 1)),
        "slot_codes": slot_codes,
        "slot_products": [p.id for p in products],
        "lot_codes": [f"BENCH-{p.id}" for p in products],
        "key_ids": key_ids,
        "encrypted": encrypted,
    }
    statements = [
        """INSERT INTO locations (code, kind, name_zh, name_en, partner_code, mode, warehouse_id, route,
                                  address, active, created_at, catalogue_version)
           SELECT c, 'kiosk', '基准测试柜 ' || n || '（演示）', '', :partner, 'vend', :wh, 'BENCH', '',
                  true, now(), 1
           FROM unnest(CAST(:codes AS text[]), CAST(:numbers AS int[])) AS k(c, n)""",
        """INSERT INTO slots (location_id, code, product_id, capacity, par_level, active)
           SELECT l.id, s.code, s.product_id, :stock, 1, true
           FROM locations l
           CROSS JOIN unnest(CAST(:slot_codes AS text[]), CAST(:slot_products AS int[]))
                AS s(code, product_id)
           WHERE l.code = ANY(CAST(:codes AS text[]))""",
        """INSERT INTO stock_balances (location_id, slot_id, product_id, lot_id, on_hand, reserved)
           SELECT s.location_id, s.id, s.product_id, lot.id, :stock, 0
           FROM slots s
           JOIN locations l ON l.id = s.location_id AND l.code = ANY(CAST(:codes AS text[]))
           JOIN lots lot ON lot.product_id = s.product_id AND lot.code = 'BENCH-' || s.product_id""",
        """INSERT INTO stock_movements (kind, product_id, lot_id, qty, from_location_id, from_slot_id,
                                        to_location_id, to_slot_id, actor, note, at)
           SELECT 'transfer', b.product_id, b.lot_id, b.on_hand, :wh, NULL, b.location_id, b.slot_id,
                  'bench', '', now()
           FROM stock_balances b
           JOIN locations l ON l.id = b.location_id AND l.code = ANY(CAST(:codes AS text[]))""",
        """UPDATE stock_balances b SET on_hand = b.on_hand - CAST(:stock AS bigint) * CAST(:count AS bigint)
           FROM lots lot
           WHERE b.location_id = :wh AND b.slot_id IS NULL AND b.lot_id = lot.id
             AND lot.code = ANY(CAST(:lot_codes AS text[]))""",
        """INSERT INTO kiosk_devices (location_id, key_id, secret_encrypted, status, created_at, errors)
           SELECT l.id, k.key_id, k.enc, 'active', now(), '[]'
           FROM unnest(CAST(:codes AS text[]), CAST(:key_ids AS text[]), CAST(:encrypted AS text[]))
                AS k(code, key_id, enc)
           JOIN locations l ON l.code = k.code""",
    ]
    with db.unit_of_work() as session:
        for sql in statements:
            session.execute(text(sql), params)
    progress(f"kiosks provisioned (bulk): {count:,}")
    return [
        BenchKiosk(code, key_id, secret, slot_codes)
        for code, key_id, secret in zip(codes, key_ids, secrets, strict=True)
    ]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str

    def worker_rss_mb(self) -> list[float]:
        """Peak resident memory (VmHWM) of each gunicorn worker, in MB."""
        return list(self.worker_rss_by_pid().values())

    def worker_rss_by_pid(self) -> dict[int, float]:
        """Peak resident memory (VmHWM) of each live gunicorn worker by pid, in MB."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        peaks = {}
        for pid in children:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:  # a worker that just exited (max_requests)
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks[int(pid)] = int(line.split()[1]) / 1024
        return peaks


@contextmanager
def gunicorn(
    url: str, *, port: int, workers: int = 2, threads: int = 8, app: str | None = None
) -> Iterator[Server]:
    """Run gunicorn as `dongxi serve --production` does (kiosk_api/gunicorn_conf.py; or another WSGI app
    with the same config) until the block ends, with the device nonces in Redis at REDIS_URL
    (BENCH_REDIS_URL; empty: in the database). Not in production mode: the kiosks pay through the
    simulated provider, which production mode refuses (and `serve --production` will not start on)."""
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "PUBLIC_BASE_URL": base,
        "PAYMENT_PROVIDER": "simulated",
        "DONGXI_BIND": f"127.0.0.1:{port}",
        "DONGXI_WORKERS": str(workers),
        "DONGXI_THREADS": str(threads),
        "DONGXI_REQUEST_LOG": "/dev/null",
        "DONGXI_LOG_LEVEL": "warning",
        "REDIS_URL": REDIS_URL,
        # The rate limits stay on (their Redis round trip is part of a request's cost) but out of
        # reach: a benchmark drives a few kiosks far faster than a cabinet ever asks.
        **{
            name: os.environ.get(name, "1000000/minute")
            for name in ("RATELIMIT_DEVICE", "RATELIMIT_PAY", "RATELIMIT_PAY_LINK", "RATELIMIT_ORDERS")
        },
    }
    config = str(REPO / "kiosk_api" / "gunicorn_conf.py")
    command = [str(BIN / "gunicorn"), "--config", config, *([app] if app else [])]
    process = subprocess.Popen(command, env=env, cwd=REPO, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield Server(process, base)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


class ThreadSessions:
    """One keep-alive `requests.Session` per thread, shared by every kiosk that thread serves.

    For a fleet: a bounded pool of load-generator threads stands in for many cabinets, each
    request still signed with its own cabinet's key (a Session is not safe across threads).
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[requests.Session] = []
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = requests.Session()
            with self._lock:
                self._all.append(http)
        return http

    def close(self) -> None:
        with self._lock:
            for http in self._all:
                http.close()


class SignedKiosk:
    """One cabinet, every request signed as KIOSK_PROTOCOL.md says: on its own keep-alive
    connection, or on the calling thread's one from `sessions` (a fleet of many cabinets)."""

    def __init__(self, base: str, kiosk: BenchKiosk, sessions: ThreadSessions | None = None) -> None:
        self.base = base
        self.kiosk = kiosk
        self._sessions = sessions
        self._http = requests.Session() if sessions is None else None
        self.auth = HTTPSignatureAuth(
            signature_algorithm=algorithms.HMAC_SHA256,
            key=kiosk.secret.encode(),
            key_id=kiosk.key_id,
            use_nonce=True,
        )

    @property
    def http(self) -> requests.Session:
        return self._http if self._sessions is None else self._sessions.get()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(f"{self.base}/api/v1/kiosk{path}", auth=self.auth, timeout=30, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.http.post(
            f"{self.base}/api/v1/kiosk{path}", json=body, auth=self.auth, timeout=30, **kwargs
        )

    def pay(self, qr_payload: str) -> requests.Response:
        token = qr_payload.rstrip("/").rsplit("/", 1)[-1]
        return self.http.post(f"{self.base}/api/v1/pay/{token}/simulate", timeout=30)


class Failure(Exception):
    """A response the benchmark did not expect (counted; the run goes on)."""

    def __init__(self, step: str, response: requests.Response) -> None:
        super().__init__(f"{step}: {response.status_code} {response.text[:200]}")
        self.step = step
        self.status = response.status_code


def purchase(kiosk: SignedKiosk, lines: list[dict[str, Any]], timings: dict[str, list[float]]) -> None:
    """One shopper's visit: session → pay → poll until paid → vend results (all dispensed)."""

    def timed(step: str, call: Callable[[], requests.Response], ok: int = 200) -> requests.Response:
        t = time.perf_counter()
        response = call()
        timings.setdefault(step, []).append(time.perf_counter() - t)
        if response.status_code != ok:
            raise Failure(step, response)
        return response

    started = timed("session", lambda: kiosk.post("/sessions", {"lines": lines}), ok=201).json()
    timed("pay", lambda: kiosk.pay(started["payment"]["qr_payload"]))
    for _ in range(50):
        status = timed("poll", lambda: kiosk.get(f"/orders/{started['order_id']}")).json()["status"]
        if status == "paid":
            break
    else:
        raise RuntimeError(f"order {started['order_id']} never became paid")
    report = {
        "report_id": str(uuid.uuid4()),
        "results": [
            {"slot": line["slot"], "requested": line["qty"], "dispensed": line["qty"]} for line in lines
        ],
    }
    timed("vend", lambda: kiosk.post(f"/orders/{started['order_id']}/vend-results", report))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def describe(values: list[float]) -> str:
    """p50 / p99 in milliseconds."""
    return f"p50 {percentile(values, 0.5) * 1000:7.1f} ms  p99 {percentile(values, 0.99) * 1000:7.1f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


INVARIANTS = {
    "no balance below zero or over-reserved": """
        SELECT count(*) FROM stock_balances WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand""",
    "no active hold left on a completed order": """
        SELECT count(*) FROM reservations r JOIN orders o ON o.id = r.order_ref
        WHERE r.status = 'active' AND o.status IN ('completed', 'paid', 'refunded', 'partially_refunded')""",
    "stock ledger sums equal balances": """
        WITH moved AS (
            SELECT to_location_id AS location_id, to_slot_id AS slot_id, product_id, lot_id, qty AS delta
            FROM stock_movements WHERE to_location_id IS NOT NULL
            UNION ALL
            SELECT from_location_id, from_slot_id, product_id, lot_id, -qty
            FROM stock_movements WHERE from_location_id IS NOT NULL),
        sums AS (SELECT location_id, slot_id, product_id, lot_id, sum(delta) AS total FROM moved
                 GROUP BY location_id, slot_id, product_id, lot_id)
        SELECT count(*) FROM stock_balances b FULL JOIN sums s
          ON s.location_id = b.location_id AND s.slot_id IS NOT DISTINCT FROM b.slot_id
         AND s.product_id = b.product_id AND s.lot_id = b.lot_id
        WHERE coalesce(b.on_hand, 0) <> coalesce(s.total, 0)""",
    "every completed order's revenue equals its capture": """
        SELECT count(*) FROM orders o
        LEFT JOIN (SELECT order_id, sum(amount_fen) AS total FROM revenue_entries GROUP BY order_id) r
          ON r.order_id = o.id
        WHERE o.status = 'completed' AND o.captured_fen - o.refunded_fen <> coalesce(r.total, 0)""",
}


def check_invariants(url: str, *, sold_units: int | None = None) -> bool:
    """Print PASS/FAIL for each invariant after a run; return whether all held."""
    ok = True
    with psycopg.connect(libpq(url)) as conn:
        for name, sql in INVARIANTS.items():
            broken = conn.execute(sql).fetchone()[0]
            ok &= broken == 0
            say(f"  {'PASS' if broken == 0 else 'FAIL'}  {name}" + (f" ({broken} rows)" if broken else ""))
    return ok
