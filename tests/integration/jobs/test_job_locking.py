"""Two workers at once do each piece of work once (issue 12): on PostgreSQL the run that gets the
job's advisory lock does the work and the other skips; on SQLite a lock of the process does it.

These tests build their own database, whose every session opens its own connection and commits
for real (the usual fixture's single rolled-back connection could never show two workers)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from core.clock import FixedClock
from core.db import Database, make_engine
from kiosk_api import create_app, migrate
from kiosk_api.demo import load_demo
from kiosk_api.jobs.locks import exclusive
from kiosk_api.jobs.registry import BY_NAME, JobRun, run_job
from kiosk_api.kiosks import service as kiosks
from sales.models import OrderEvent
from tests.api.kiosk.conftest import SECRET_KEY, SignedKiosk, stocked_slots
from tests.conftest import TEST_NOW, create_postgres_database, drop_postgres_database, require_postgres

LAPSED = 3


@pytest.fixture(params=["postgresql", "sqlite"])
def two_workers_db(request, tmp_path, worker_id: str, testrun_uid: str) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
    else:
        require_postgres()
        name = f"dongxi_jobs_{testrun_uid[:8]}_{worker_id}"
        url = create_postgres_database(name)
    migrate.upgrade(url)
    db = Database(make_engine(url, poolclass=NullPool))
    with db.unit_of_work() as session:
        load_demo(session, FixedClock(TEST_NOW))
    yield db
    db.engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(name)


def lapsed_orders(db: Database, clock: FixedClock) -> tuple[Any, list[str]]:
    """The app's provider, and LAPSED kiosk orders committed and past their hold."""
    app = create_app({"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": SECRET_KEY})
    with db.unit_of_work() as session:
        keys = kiosks.provision(session, clock, "FZ-0001", secret_key=SECRET_KEY)
    kiosk = SignedKiosk(app.test_client(), clock, keys["key_id"], keys["secret"])
    slot = stocked_slots(kiosk, at_least=LAPSED)[0]["slot"]
    ids = [
        kiosk.post("/sessions", {"lines": [{"slot": slot, "qty": 1}]}).get_json()["order_id"]
        for _ in range(LAPSED)
    ]
    clock.advance(seconds=181)
    return app.extensions["dongxi.payments"], ids


def times_expired(db: Database, ids: list[str]) -> dict[str, int]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(OrderEvent.order_id, func.count())
            .where(OrderEvent.order_id.in_(ids), OrderEvent.to_status == "expired")
            .group_by(OrderEvent.order_id)
        ).all()
    return {order_id: 0 for order_id in ids} | dict(rows)


class PausingProvider:
    """The provider, but its first cancel waits (the run holding the job's lock) until let go."""

    def __init__(self, provider: Any) -> None:
        self._provider = provider
        self.inside = threading.Event()
        self.go = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def cancel(self, provider_ref: str, **kwargs: Any) -> Any:
        if not self.inside.is_set():
            self.inside.set()
            assert self.go.wait(60), "the second worker never let the first go on"
        return self._provider.cancel(provider_ref, **kwargs)


def test_the_second_worker_skips_while_the_first_holds_the_job(two_workers_db: Database) -> None:
    clock = FixedClock(TEST_NOW)
    provider, ids = lapsed_orders(two_workers_db, clock)
    pausing = PausingProvider(provider)
    job = BY_NAME["orders-expire"]

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(run_job, job, two_workers_db, clock, pausing)
        assert pausing.inside.wait(60), first.result()  # the first worker is mid-run, lock held
        second = run_job(job, two_workers_db, clock, provider)  # another worker, its own connection
        pausing.go.set()
        done = first.result(timeout=60)

    assert (second.status, second.result) == ("skipped", {})
    assert (done.status, done.result) == ("done", {"expired": LAPSED})
    assert times_expired(two_workers_db, ids) == {order_id: 1 for order_id in ids}
    after = run_job(job, two_workers_db, clock, provider)  # the lock went with the first run
    assert (after.status, after.result) == ("done", {"expired": 0})


def test_workers_let_go_at_once_expire_each_order_once(two_workers_db: Database) -> None:
    clock = FixedClock(TEST_NOW)
    provider, ids = lapsed_orders(two_workers_db, clock)
    job = BY_NAME["orders-expire"]
    start = threading.Barrier(4)

    def worker() -> JobRun:
        start.wait(timeout=60)
        return run_job(job, two_workers_db, clock, provider)

    with ThreadPoolExecutor(4) as pool:
        runs = [f.result(timeout=120) for f in [pool.submit(worker) for _ in range(4)]]

    assert {run.status for run in runs} <= {"done", "skipped"}
    assert sum(run.result.get("expired", 0) for run in runs) == LAPSED
    assert times_expired(two_workers_db, ids) == {order_id: 1 for order_id in ids}


def test_the_lock_is_held_for_the_block_and_freed_when_the_run_fails(two_workers_db: Database) -> None:
    with exclusive(two_workers_db, "orders-expire") as first:
        with exclusive(two_workers_db, "orders-expire") as second:
            assert first and not second
        with exclusive(two_workers_db, "holds-release") as other_job:
            assert other_job  # one lock per job
    with pytest.raises(RuntimeError), exclusive(two_workers_db, "orders-expire") as mine:
        assert mine
        raise RuntimeError("the run died")
    with exclusive(two_workers_db, "orders-expire") as again:
        assert again
