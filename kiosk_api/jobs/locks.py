"""Exactly one server does a job's work at a time.

On PostgreSQL the run holds a transaction-level advisory lock, `pg_try_advisory_xact_lock(key)`
with a key derived from the job's name, on a connection of its own for as long as the run lasts;
a server that does not get it skips the run. The lock goes with the transaction — at the end of
the run, or when a crashed worker's connection closes — so none is ever left behind, and a pooled
connection never carries one to its next user (a session-level lock would). The work itself uses
other connections and commits batch by batch.

SQLite is the embedded default of one server process: there a lock of this process does the same.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from core.db import Database

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def lock_key(name: str) -> int:
    """The job's advisory lock key: a signed 64-bit number from its name, the same in every process
    (Python's own hash() of a string is not)."""
    digest = hashlib.sha256(f"dongxi.jobs:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _local_lock(name: str) -> threading.Lock:
    with _local_guard:
        return _local_locks.setdefault(name, threading.Lock())


@contextmanager
def exclusive(db: Database, name: str) -> Iterator[bool]:
    """Hold the job's lock for the block if no one else holds it; yield whether this run got it."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn, conn.begin():
            got = bool(conn.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}))
            yield got
        return
    lock = _local_lock(name)
    got = lock.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            lock.release()
