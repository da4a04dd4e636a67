"""Every statement on the hot path uses an index on the tables that grow with history (issue 10).

The kiosk's whole visit — catalogue sync (200 and 304), heartbeat, vend session, the shopper
paying, polling, a vend report with a jammed slot (refund), a cancelled session, an open-door visit
— and a web-shop order run through the API while every statement is captured with its parameters.
Each is then EXPLAINed on PostgreSQL with sequential scans priced out (`enable_seqscan = off`):
on the test's small tables the planner would rightly scan, so a scan that remains means no index
can serve the statement, and on a table that grows that is a cost which grows with history.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import event, text

from tests.api.kiosk.conftest import pay, stocked_slots

pytestmark = pytest.mark.postgres_only

GROWING = {
    "orders",
    "order_lines",
    "order_events",
    "payments",
    "refunds",
    "stock_movements",
    "reservations",
    "revenue_entries",
    "device_nonces",
    "webhook_events",
    "simulated_payments",
    "simulated_idempotency",
}
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


def _capture(connection: Any) -> tuple[list[tuple[str, Any]], Any]:
    captured: list[tuple[str, Any]] = []

    def on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT", "WITH")):
            # An executemany's first parameter set stands for all of them.
            listed = many and isinstance(parameters, list | tuple) and parameters
            captured.append((statement, parameters[0] if listed else parameters))

    event.listen(connection, "before_cursor_execute", on_execute)
    return captured, lambda: event.remove(connection, "before_cursor_execute", on_execute)


def _visit(client: Any, vend: Any, door: Any, clock: Any) -> None:
    first = vend.get("/catalogue")
    vend.get("/catalogue", headers={"If-None-Match": first.headers["ETag"]})
    vend.post("/heartbeat", {"software_version": "1", "door": "closed"})
    a, b = stocked_slots(vend)[:2]
    started = vend.post(
        "/sessions",
        {"lines": [{"slot": a["slot"], "qty": 1}, {"slot": b["slot"], "qty": 1}]},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    ).get_json()
    assert pay(client, started["payment"]["qr_payload"]).status_code == 200
    assert vend.get(f"/orders/{started['order_id']}").get_json()["status"] == "paid"
    report = {
        "report_id": str(uuid.uuid4()),
        "results": [
            {"slot": a["slot"], "requested": 1, "dispensed": 1},
            {"slot": b["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"},
        ],
    }
    assert vend.post(f"/orders/{started['order_id']}/vend-results", report).status_code == 200
    cancelled = vend.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    assert vend.post(f"/orders/{cancelled['order_id']}/cancel").status_code == 200

    visit = door.post("/door-sessions", {}).get_json()
    assert pay(client, visit["payment"]["qr_payload"]).status_code == 200
    (taken,) = stocked_slots(door)[:1]
    closed = door.post(
        f"/orders/{visit['order_id']}/door-closed",
        {"report_id": str(uuid.uuid4()), "taken": [{"slot": taken["slot"], "qty": 1}]},
    )
    assert closed.status_code == 200, closed.get_json()


def test_no_hot_path_statement_scans_a_growing_table(
    client, connection, vend_kiosk, door_kiosk, clock
) -> None:
    captured, stop = _capture(connection)
    try:
        _visit(client, vend_kiosk, door_kiosk, clock)
    finally:
        stop()
    scans: dict[str, set[str]] = {}
    with connection.begin_nested():
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        cursor = connection.connection.cursor()
        for statement, parameters in captured:
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for table in _SEQ_SCAN.findall(plan):
                if table in GROWING:
                    scans.setdefault(table, set()).add(" ".join(statement.split())[:200])
        cursor.close()
    assert len(captured) > 50
    assert not scans, "sequential scans of growing tables:\n" + "\n".join(
        f"{table}: {sql}" for table, sqls in scans.items() for sql in sqls
    )
