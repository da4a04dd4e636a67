"""Two workers at once do each piece of work once (issue 12): on PostgreSQL the run that gets the
job's advisory lock does the work and the other skips; on SQLite a lock of the process does it.

These tests use a database of their own (`committed_db`), whose every session opens its own
connection and commits for real: the usual fixture's one rolled-back connection could never show
two workers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from core.clock import FixedClock
from core.db import Database
from kiosk_api.jobs.locks import exclusive
from kiosk_api.jobs.registry import BY_NAME, JobRun, run_job
from tests.conftest import TEST_NOW
from tests.integration.jobs.factories import LAPSED, lapsed_orders, times_expired


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


def test_the_second_worker_skips_while_the_first_holds_the_job(committed_db: Database) -> None:
    clock = FixedClock(TEST_NOW)
    provider, ids = lapsed_orders(committed_db, clock)
    pausing = PausingProvider(provider)
    job = BY_NAME["orders-expire"]

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(run_job, job, committed_db, clock, pausing)
        assert pausing.inside.wait(60), first.result()  # the first worker is mid-run, lock held
        second = run_job(job, committed_db, clock, provider)  # another worker, its own connection
        pausing.go.set()
        done = first.result(timeout=60)

    assert (second.status, second.result) == ("skipped", {})
    assert (done.status, done.result) == ("done", {"expired": LAPSED})
    assert times_expired(committed_db, ids) == {order_id: 1 for order_id in ids}
    after = run_job(job, committed_db, clock, provider)  # the lock went with the first run
    assert (after.status, after.result) == ("done", {"expired": 0})


def test_workers_let_go_at_once_expire_each_order_once(committed_db: Database) -> None:
    clock = FixedClock(TEST_NOW)
    provider, ids = lapsed_orders(committed_db, clock)
    job = BY_NAME["orders-expire"]
    start = threading.Barrier(4)

    def worker() -> JobRun:
        start.wait(timeout=60)
        return run_job(job, committed_db, clock, provider)

    with ThreadPoolExecutor(4) as pool:
        runs = [f.result(timeout=120) for f in [pool.submit(worker) for _ in range(4)]]

    assert {run.status for run in runs} <= {"done", "skipped"}
    assert sum(run.result.get("expired", 0) for run in runs) == LAPSED
    assert times_expired(committed_db, ids) == {order_id: 1 for order_id in ids}


def test_the_lock_is_held_for_the_block_and_freed_when_the_run_fails(committed_db: Database) -> None:
    with exclusive(committed_db, "orders-expire") as first:
        with exclusive(committed_db, "orders-expire") as second:
            assert first and not second
        with exclusive(committed_db, "holds-release") as other_job:
            assert other_job  # one lock per job
    with pytest.raises(RuntimeError), exclusive(committed_db, "orders-expire") as mine:
        assert mine
        raise RuntimeError("the run died")
    with exclusive(committed_db, "orders-expire") as again:
        assert again
