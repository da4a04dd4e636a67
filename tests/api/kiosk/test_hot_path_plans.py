"""Every statement on the hot path uses an index on the tables that grow with history (issue 10).

The kiosk's whole visit — catalogue sync (200 and 304), heartbeat, vend session, the shopper
paying, polling, a vend report with a jammed slot (refund), a cancelled session, an open-door visit
— and a web-shop order run through the API while every statement is captured with its parameters.
Each is then EXPLAINed on PostgreSQL with sequential scans priced out (`enable_seqscan = off`):
on the test's small tables the planner would rightly scan, so a scan that remains means no index
can serve the statement, and on a table that grows that is a cost which grows with history.

Each statement is explained twice: with its parameters (the custom plan), and prepared with
`plan_cache_mode = force_generic_plan` (the plan chosen without the values, which a prepared
statement may settle on after five runs: psycopg prepares the statements a server runs often).
Either may not scan a growing table. What this cannot see is an index scan that reads every
historical row of one key; the history benchmark (bench/README.md) measures that.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import psycopg
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
_PARAMETER = re.compile(r"%\((\w+)\)s")


def _prepared(statement: str, parameters: Any) -> tuple[str, list[Any]]:
    """The statement with numbered parameters ($1 …) for PREPARE, and its values in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    numbered = _PARAMETER.sub(number, statement).replace("%%", "%")
    return numbered, [parameters[name] for name in names]


def _plans(cursor: Any, statement: str, parameters: Any, n: int) -> list[str]:
    """The custom plan of a statement with its parameters, and its generic plan (the cursor binds
    on the client: EXECUTE's arguments take their types from the prepared statement)."""
    cursor.execute("EXPLAIN " + statement, parameters)
    plans = ["\n".join(row[0] for row in cursor.fetchall())]
    numbered, values = _prepared(statement, parameters or {})
    cursor.execute(f"PREPARE hot_{n} AS {numbered}")
    arguments = ", ".join(["%s"] * len(values))
    cursor.execute(f"EXPLAIN EXECUTE hot_{n}({arguments})" if values else f"EXPLAIN EXECUTE hot_{n}", values)
    plans.append("\n".join(row[0] for row in cursor.fetchall()))
    cursor.execute(f"DEALLOCATE hot_{n}")
    return plans


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
        connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        cursor = psycopg.ClientCursor(connection.connection.driver_connection)
        for n, (statement, parameters) in enumerate(captured):
            plans = _plans(cursor, statement, parameters, n)
            for kind, plan in zip(("custom", "generic"), plans, strict=True):
                for table in _SEQ_SCAN.findall(plan):
                    if table in GROWING:
                        scans.setdefault(table, set()).add(f"({kind}) " + " ".join(statement.split())[:200])
        cursor.close()
    assert len(captured) > 50
    assert not scans, "sequential scans of growing tables:\n" + "\n".join(
        f"{table}: {sql}" for table, sqls in scans.items() for sql in sqls
    )
