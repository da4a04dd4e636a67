"""Visit journal: what the kiosk was doing for an order, so a restart can finish or undo it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kiosk_client.outbox import Outbox, OutboxRow
from kiosk_client.store import LocalStore, utc_now

# vend:  awaiting_payment → dispensing → reported | abandoned
# door:  awaiting_authorization → unlocked → reported | abandoned
CLOSED_PHASES = ("reported", "abandoned")


@dataclass(frozen=True)
class Visit:
    """One order the kiosk is working on."""

    order_id: str
    kind: str
    phase: str
    lines: list[dict[str, Any]]
    results: list[dict[str, Any]]


class Journal:
    """Every phase change is committed before the kiosk acts on it."""

    def __init__(self, store: LocalStore, outbox: Outbox) -> None:
        self.store = store
        self.outbox = outbox

    def begin(self, order_id: str, kind: str, phase: str, lines: list[dict[str, Any]]) -> None:
        """Record a new order the kiosk shows to a shopper."""
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO visits (order_id, kind, phase, lines, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (order_id, kind, phase, json.dumps(lines, ensure_ascii=False), utc_now()),
            )

    def set_phase(self, order_id: str, phase: str) -> None:
        """Move an open visit to its next phase."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE visits SET phase = ?, updated_at = ? WHERE order_id = ?", (phase, utc_now(), order_id)
            )

    def record_result(self, order_id: str, result: dict[str, Any]) -> None:
        """Append what one slot dispensed, before the next slot is driven."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT results FROM visits WHERE order_id = ?", (order_id,)).fetchone()
            results = [*json.loads(row["results"]), result]
            conn.execute(
                "UPDATE visits SET results = ?, updated_at = ? WHERE order_id = ?",
                (json.dumps(results, ensure_ascii=False), utc_now(), order_id),
            )

    def finish(self, order_id: str, report_kind: str, payload: dict[str, Any]) -> OutboxRow:
        """Queue the visit's report and close the visit in one transaction."""
        with self.store.transaction() as conn:
            row = self.outbox.insert(conn, report_kind, order_id, payload)
            conn.execute(
                "UPDATE visits SET phase = 'reported', updated_at = ? WHERE order_id = ?",
                (utc_now(), order_id),
            )
        return row

    def abandon(self, order_id: str) -> None:
        """The order ended with nothing handed over (cancelled, expired, refused)."""
        self.set_phase(order_id, "abandoned")

    def get(self, order_id: str) -> Visit | None:
        """One visit, or None."""
        with self.store.reading() as conn:
            row = conn.execute("SELECT * FROM visits WHERE order_id = ?", (order_id,)).fetchone()
        return _visit(row) if row else None

    def open_visits(self) -> list[Visit]:
        """Visits not yet reported or abandoned, oldest first."""
        with self.store.reading() as conn:
            rows = conn.execute(
                "SELECT * FROM visits WHERE phase NOT IN (?, ?) ORDER BY updated_at, rowid", CLOSED_PHASES
            ).fetchall()
        return [_visit(row) for row in rows]

    def prune(self) -> None:
        """Forget closed visits (their reports live on in the outbox)."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM visits WHERE phase IN (?, ?)", CLOSED_PHASES)


def _visit(row: Any) -> Visit:
    return Visit(
        order_id=row["order_id"],
        kind=row["kind"],
        phase=row["phase"],
        lines=json.loads(row["lines"]),
        results=json.loads(row["results"]),
    )
