"""Retrying a unit of work that lost a race in the database (deadlock, serialization failure, a
SQLite file locked by another writer) instead of letting the caller see a 500."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.db import Database
from inventory.errors import StockBusy

T = TypeVar("T")
ATTEMPTS = 5
# PostgreSQL SQLSTATEs worth retrying: serialization_failure, deadlock_detected, lock_not_available.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_contention(error: BaseException) -> bool:
    """Whether a database error means "another transaction got in the way; try again"."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    if isinstance(original, sqlite3.OperationalError):
        message = str(original).lower()
        return "locked" in message or "busy" in message
    return False


def _pause(attempt: int) -> None:
    # Jittered exponential backoff, so that the losers of one race do not collide again at once.
    time.sleep(random.uniform(0, 0.01 * 2**attempt))


def call_with_retry(work: Callable[[], T], rollback: Callable[[], None], *, attempts: int = ATTEMPTS) -> T:
    """Run `work`; on contention roll back and run it again, up to `attempts` times, then StockBusy."""
    for attempt in range(attempts):
        try:
            return work()
        except DBAPIError as error:
            if not is_contention(error):
                raise
            rollback()
            if attempt + 1 == attempts:
                raise StockBusy("the stock is busy; try again", fields={}) from error
            _pause(attempt)
    raise AssertionError("unreachable")


def run_in_transaction(db: Database, work: Callable[[Session], T], *, attempts: int = ATTEMPTS) -> T:
    """Run `work` in its own unit of work (committed once), retried as a whole on contention."""

    def once() -> T:
        with db.unit_of_work() as session:
            return work(session)

    return call_with_retry(once, lambda: None, attempts=attempts)
