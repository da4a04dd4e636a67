"""Writing and reading the audit log.

Every change an operator makes through the console, the API or the CLI is recorded in the same
unit of work as the change itself, so a change and its record commit (or roll back) together."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from audit.models import AuditEntry
from core.clock import Clock


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """Return a model row's column values as JSON-ready data (the before or after of a change)."""
    mapper = inspect(obj).mapper
    return {attr.key: _plain(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def record(
    session: Session,
    clock: Clock,
    *,
    actor: str,
    actor_role: str,
    action: str,
    target_type: str,
    target_id: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    via: str,
) -> AuditEntry:
    """Write one audit entry; only the fields that changed are kept of an update's before/after."""
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    entry = AuditEntry(
        actor=actor,
        actor_role=actor_role,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
        via=via,
        at=clock.now(),
    )
    session.add(entry)
    return entry


def list_entries(
    session: Session, *, target_type: str | None = None, limit: int = 200, offset: int = 0
) -> list[AuditEntry]:
    """The newest entries first, optionally of one kind of target."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    return list(session.scalars(stmt))
