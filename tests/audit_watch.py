"""An independent check that a request which wrote left audit entries for what it wrote.

The recorder (audit/recorder.py) writes the entries; this watch does not ask it what was written.
It asks the database: on PostgreSQL, `pg_stat_xact_user_tables` counts the rows this transaction
inserted, updated and deleted in each table (the tests run every request on one connection inside
one outer transaction, so a request's writes are the difference before and after it); on SQLite,
the connection's `total_changes` says only whether something was written. Then every non-exempt
table the request wrote must have an entry with the request's X-Request-ID, that table as target,
the signed-in actor's name and the request's operation ("POST /api/v1/products": method and rule);
and (on PostgreSQL) as many entries as rows it wrote there, one per row inserted, updated or
deleted, unless a bulk statement's entry ("*") stands for its rows.

What a statement declares machinery (`audit.recorder.NOT_AUDITED` in its execution options: a kiosk's
catalogue version) is set aside: the watch counts the rows such statements changed, per table, as
the database reports them, and takes them off the table's count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import UpdateBase
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from audit.models import AuditEntry
from audit.recorder import EXEMPT_TABLES, NOT_AUDITED

PG_WRITES = "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"


@dataclass
class Seen:
    """What one watched request did: its route, answer, the rows it wrote and the entries it left."""

    route: str
    actor: str
    response: TestResponse
    written: dict[str, int] | None  # rows per table (PostgreSQL); None where only a total is known
    changes: int  # rows written in all tables, audit rows included, machinery not
    entries: list[Any] = field(default_factory=list)

    @property
    def tables(self) -> set[str]:
        """The non-exempt tables the request wrote (PostgreSQL only; empty elsewhere)."""
        return {t for t, n in (self.written or {}).items() if n and t not in EXEMPT_TABLES}

    @property
    def wrote(self) -> bool:
        """Whether the request wrote any row that is not an audit entry."""
        if self.written is not None:
            return bool(self.tables) or any(
                n for t, n in self.written.items() if t != AuditEntry.__tablename__
            )
        return self.changes > len(self.entries)

    def _entries_of(self, table: str) -> list[Any]:
        return [e for e in self.entries if e.target_type == table]

    def _short_of_entries(self, table: str) -> bool:
        """Fewer entries than rows written (a bulk statement's one entry, target "*", covers its rows)."""
        mine = self._entries_of(table)
        return not any(e.target_id == "*" for e in mine) and len(mine) < (self.written or {})[table]

    def problems(self) -> list[str]:
        """Why the request's writes are not accounted for in the audit log (nothing: they are)."""
        operation = self.route
        wrong = [e for e in self.entries if (e.actor, e.operation) != (self.actor, operation)]
        found: list[str] = []
        if wrong:
            found.append(
                f"entries name another actor or operation than {self.actor!r} / {operation!r}: "
                + ", ".join(sorted({f"{e.actor!r} / {e.operation!r}" for e in wrong}))
            )
        if self.written is not None:
            audited = {e.target_type for e in self.entries}
            missing = sorted(self.tables - audited)
            if missing:
                found.append(f"wrote {', '.join(missing)} without an audit entry")
            short = [
                f"{table} ({self.written[table]} rows, {len(self._entries_of(table))} entries)"
                for table in sorted(self.tables & audited)
                if self._short_of_entries(table)
            ]
            if short:
                found.append(f"wrote more rows than it has entries for: {', '.join(short)}")
        elif self.wrote and not self.entries:
            found.append(f"wrote {self.changes} row(s) and left no audit entry")
        return found

    def explain(self) -> str:
        """A message naming the route and what is unaudited, for a failing assertion."""
        where = self.response.headers.get("Location", "")
        answer = f"answered {self.response.status_code}{' → ' + where if where else ''}"
        return f"{self.route} ({answer}): " + "; ".join(self.problems())


class AuditWatch:
    """Watches the requests a test makes through the Flask test client, on the test's connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.seen: list[Seen] = []
        self.machinery: dict[str, int] = {}  # rows changed by NOT_AUDITED statements, per table

    def _note_machinery(
        self, conn: Connection, cursor: Any, _sql: str, _params: Any, context: Any, _many: bool
    ) -> None:
        """after_cursor_execute: tally the rows a statement marked NOT_AUDITED changed, by table."""
        options = context.execution_options
        if conn is not self.connection or any(options.get(k, True) != v for k, v in NOT_AUDITED.items()):
            return
        statement = context.compiled.statement if context.compiled is not None else None
        if isinstance(statement, UpdateBase) and cursor.rowcount > 0:
            table = statement.table.name  # type: ignore[attr-defined]
            self.machinery[table] = self.machinery.get(table, 0) + cursor.rowcount

    def _counts(self) -> tuple[dict[str, int] | None, int]:
        if self.connection.dialect.name == "postgresql":
            written = {name: int(n) for name, n in self.connection.execute(text(PG_WRITES))}
            return written, sum(written.values())
        return None, int(self.connection.connection.driver_connection.total_changes)

    def route_of(self, client: FlaskClient, method: str, path: str) -> str:
        """The operation a request is recorded under: its method and the URL rule it matches."""
        adapter = client.application.url_map.bind("localhost")
        try:
            rule, _args = adapter.match(path.split("?", 1)[0], method=method, return_rule=True)
        except HTTPException:
            return f"{method} {path} (no such route)"
        return f"{method} {rule.rule}"

    def call(self, client: FlaskClient, method: str, path: str, *, actor: str, **kwargs: Any) -> Seen:
        """Make one request as `actor` (already signed in or carrying a token) and see what it wrote."""
        before_tables, before = self._counts()
        self.machinery = {}
        engine = self.connection.engine
        event.listen(engine, "after_cursor_execute", self._note_machinery)
        try:
            response = client.open(path, method=method, **kwargs)
        finally:
            event.remove(engine, "after_cursor_execute", self._note_machinery)
        after_tables, after = self._counts()
        after -= sum(self.machinery.values())
        written = None
        if after_tables is not None:
            old = before_tables or {}
            written = {
                t: d
                for t, n in after_tables.items()
                if (d := n - old.get(t, 0) - self.machinery.get(t, 0)) != 0
            }
        request_id = response.headers.get("X-Request-ID")
        entries = list(
            self.connection.execute(select(AuditEntry.__table__).where(AuditEntry.request_id == request_id))
        )
        seen = Seen(self.route_of(client, method, path), actor, response, written, after - before, entries)
        self.seen.append(seen)
        return seen

    def assert_audited(self, seen: Seen) -> None:
        """Fail naming the route and the unaudited tables if the request wrote without entries."""
        assert not seen.problems(), seen.explain()
