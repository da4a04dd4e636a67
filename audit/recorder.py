"""The one place audit entries are written: every row a person or a script changes, as it is flushed.

`install()` listens to every SQLAlchemy session. After each flush made while someone is acting
(audit.context), it writes one entry per inserted, updated or deleted row — who, what (table, row,
and the operation they ran), before and after (only the columns that changed), when and from where
— in the same transaction as the change, so the two commit or roll back together. ORM-enabled bulk
statements (`session.execute(update(Model)…)`) are recorded too, with the values they set, unless
they run with `NOT_AUDITED` (machinery such as a kiosk's catalogue version). Nothing
has to remember to call it: a write path added tomorrow is audited by being a write.

Not recorded: the audit log itself, and tables that are projections or machinery rather than
anybody's decision (stock balances and revenue rollups, re-derived from their ledgers; device
nonces; job runs; the simulated provider's own store; provider webhook events). Secrets are kept
out of the entries: a password hash, token hash, device secret or pay token shows as "••••"."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from audit.context import Actor, current_actor
from audit.models import AuditEntry

EXEMPT_TABLES = frozenset(
    {
        "audit_log",
        "device_nonces",
        "job_runs",
        "revenue_rollups",
        "simulated_idempotency",
        "simulated_payments",
        "stock_balances",
        "webhook_events",
    }
)
REDACTED_COLUMNS = frozenset(
    {"password_hash", "token_hash", "secret_encrypted", "pay_token", "client_secret"}
)
HIDDEN = "••••"
# Execution options of a bulk statement that is machinery, not a decision (a cache version bump).
NOT_AUDITED = {"dongxi_audit": False}
ACTIONS = {"new": "create", "dirty": "update", "deleted": "delete"}


def plain(value: Any) -> Any:
    """A column value as JSON holds it."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _shown(key: str, value: Any) -> Any:
    return HIDDEN if key in REDACTED_COLUMNS and value is not None else plain(value)


def _row(obj: Any) -> dict[str, Any]:
    return {a.key: _shown(a.key, getattr(obj, a.key)) for a in inspect(obj).mapper.column_attrs}


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        before[attr.key] = _shown(attr.key, old)
        after[attr.key] = _shown(attr.key, new)
    return before, after


def _entry(
    actor: Actor, at: dt.datetime, table: str, action: str, target_id: str, before: Any, after: Any
) -> dict:
    return {
        "actor": actor.name[:128],
        "actor_role": actor.role[:32],
        "action": f"{table}.{action}"[:64],
        "target_type": table[:64],
        "target_id": target_id[:64],
        "before": before,
        "after": after,
        "via": actor.via[:16],
        "at": at,
        "origin": (actor.origin or "")[:64] or None,
        "operation": (actor.operation or "")[:128] or None,
        "request_id": actor.request_id,
    }


def _target_id(obj: Any) -> str:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join("" if k is None else str(k) for k in key)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    actor = current_actor()
    if actor is None:
        return
    at = actor.now()
    rows = []
    for kind, objects in (("new", session.new), ("dirty", session.dirty), ("deleted", session.deleted)):
        for obj in objects:
            table = inspect(obj).mapper.local_table.name
            if table in EXEMPT_TABLES:
                continue
            if kind == "new":
                before, after = None, _row(obj)
            elif kind == "deleted":
                before, after = _row(obj), None
            else:
                before, after = _changes(obj)
                if not after:
                    continue  # touched, not changed
            rows.append(_entry(actor, at, table, ACTIONS[kind], _target_id(obj), before, after))
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    if not state.execution_options.get("dongxi_audit", True):
        return
    actor = current_actor()
    if actor is None:
        return
    table = state.statement.table.name  # type: ignore[attr-defined]
    if table in EXEMPT_TABLES:
        return
    params = state.parameters
    if not params:
        params = state.statement.compile().params
    rows = params if isinstance(params, list) else [params]
    kind = "bulk_insert" if state.is_insert else "bulk_update" if state.is_update else "bulk_delete"
    at = actor.now()
    state.session.connection().execute(
        insert(AuditEntry.__table__),
        [
            _entry(actor, at, table, kind, "*", None, {k: _shown(k, v) for k, v in dict(row).items()})
            for row in rows
        ],
    )


def install() -> None:
    """Listen to every session, once per process (done on import: importing the audit package,
    as anything that knows the audit log's table does, is enough)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)


install()
