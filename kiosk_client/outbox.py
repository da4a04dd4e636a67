"""Durable outbox: reports the server must receive, kept until it accepts them."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import Any

from kiosk_client.store import LocalStore, utc_now


@dataclass(frozen=True)
class OutboxRow:
    """One report: its uuid, what it is about, the exact body to send, and its delivery state."""

    report_id: str
    kind: str
    order_id: str
    body: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    response: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> OutboxRow:
        """Decode a row of the outbox table."""
        return cls(
            report_id=row["report_id"],
            kind=row["kind"],
            order_id=row["order_id"],
            body=json.loads(row["body"]),
            status=row["status"],
            attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"],
            last_error=row["last_error"],
            response=json.loads(row["response"]) if row["response"] else None,
        )


class Outbox:
    """Insert reports once per (kind, order); list the due ones; record each attempt's outcome."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def insert(
        self, conn: sqlite3.Connection, kind: str, order_id: str, payload: dict[str, Any]
    ) -> OutboxRow:
        """Queue a report inside the caller's transaction; an order's second report returns the first."""
        existing = conn.execute(
            "SELECT * FROM outbox WHERE kind = ? AND order_id = ?", (kind, order_id)
        ).fetchone()
        if existing is not None:
            return OutboxRow.from_row(existing)
        report_id = str(uuid.uuid4())
        body = {"report_id": report_id, **payload}
        conn.execute(
            "INSERT INTO outbox (report_id, kind, order_id, body, next_attempt_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (report_id, kind, order_id, json.dumps(body, ensure_ascii=False), 0.0, utc_now()),
        )
        row = conn.execute("SELECT * FROM outbox WHERE report_id = ?", (report_id,)).fetchone()
        return OutboxRow.from_row(row)

    def enqueue(self, kind: str, order_id: str, payload: dict[str, Any]) -> OutboxRow:
        """Queue a report in a transaction of its own."""
        with self.store.transaction() as conn:
            return self.insert(conn, kind, order_id, payload)

    def get(self, report_id: str) -> OutboxRow | None:
        """The row of a report, or None."""
        with self.store.reading() as conn:
            row = conn.execute("SELECT * FROM outbox WHERE report_id = ?", (report_id,)).fetchone()
        return OutboxRow.from_row(row) if row else None

    def due(self, now: float | None = None, limit: int = 50) -> list[OutboxRow]:
        """Pending reports whose next attempt is due, oldest first."""
        now = time.time() if now is None else now
        with self.store.reading() as conn:
            rows = conn.execute(
                "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
        return [OutboxRow.from_row(row) for row in rows]

    def all(self) -> list[OutboxRow]:
        """Every row, oldest first (for tests and the service screen)."""
        with self.store.reading() as conn:
            return [
                OutboxRow.from_row(r) for r in conn.execute("SELECT * FROM outbox ORDER BY id").fetchall()
            ]

    def mark_delivered(self, report_id: str, response: dict[str, Any]) -> None:
        """The server accepted the report (2xx); keep its answer."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, response = ?,"
                " delivered_at = ?, last_error = NULL WHERE report_id = ? AND status = 'pending'",
                (json.dumps(response, ensure_ascii=False), utc_now(), report_id),
            )

    def mark_dead(self, report_id: str, error: str) -> None:
        """The server will never accept this report (e.g. 409: it holds a different one)."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?"
                " WHERE report_id = ? AND status = 'pending'",
                (error, report_id),
            )

    def reschedule(self, report_id: str, error: str, next_attempt_at: float) -> None:
        """The attempt failed in a way worth retrying; try again at next_attempt_at."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                " WHERE report_id = ? AND status = 'pending'",
                (error, next_attempt_at, report_id),
            )

    def wake_all(self) -> None:
        """Make every pending report due now (the kiosk restarted, or the network came back)."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE outbox SET next_attempt_at = 0 WHERE status = 'pending'")

    def next_due_at(self) -> float | None:
        """When the earliest pending report is due, or None if nothing is pending."""
        with self.store.reading() as conn:
            value = conn.execute(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'"
            ).fetchone()[0]
        return value

    def counts(self) -> dict[str, int]:
        """Rows by status: pending (the heartbeat's outbox_depth), delivered, dead."""
        with self.store.reading() as conn:
            rows = conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        counts = {"pending": 0, "delivered": 0, "dead": 0}
        counts.update({status: n for status, n in rows})
        return counts
