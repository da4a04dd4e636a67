"""The kiosk's local SQLite file: the outbox and the visit journal live in it, side by side."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('vend_results', 'door_closed')),
    order_id TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    response TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (kind, order_id)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS visits (
    order_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('vend', 'door')),
    phase TEXT NOT NULL,
    lines TEXT NOT NULL,
    results TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL
);
"""


def utc_now() -> str:
    """Now as RFC 3339 with offset."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class LocalStore:
    """A SQLite file opened per operation; writes are serialised and synced to disk on commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        with closing(self._open()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.row_factory = sqlite3.Row
        # FULL: a committed report survives a power cut, not only a crash of the program.
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on error."""
        with self._write_lock, closing(self._open()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads."""
        with closing(self._open()) as conn:
            yield conn
