"""Reading the audit log: entries filtered by who, what and when, newest first.

Entries are written by one mechanism only (audit/recorder.py), for every row a person or a script
changes, in the same unit of work as the change, so a change and its record commit (or roll back)
together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from audit.models import AuditEntry
from core.clock import SHANGHAI


@dataclass(frozen=True)
class AuditFilter:
    """Who (actor), what (table, or an operation containing some text), through what, and when
    (from `since`, before `until`)."""

    actor: str | None = None
    target_type: str | None = None
    operation: str | None = None
    via: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, stmt: Select) -> Select:
        if self.actor:
            stmt = stmt.where(AuditEntry.actor == self.actor)
        if self.target_type:
            stmt = stmt.where(AuditEntry.target_type == self.target_type)
        if self.operation:
            pattern = "%" + self.operation.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(AuditEntry.operation.like(pattern, escape="\\"))
        if self.via:
            stmt = stmt.where(AuditEntry.via == self.via)
        if self.since is not None:
            stmt = stmt.where(AuditEntry.at >= self.since)
        if self.until is not None:
            stmt = stmt.where(AuditEntry.at < self.until)
        return stmt


def audit_filter(
    *,
    actor: str | None = None,
    target_type: str | None = None,
    operation: str | None = None,
    via: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> AuditFilter:
    """A filter of the log from what a reader chose: days are Beijing days, `until` included."""
    return AuditFilter(
        actor=actor or None,
        target_type=target_type or None,
        operation=operation or None,
        via=via or None,
        since=datetime.combine(since, time(), SHANGHAI) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), SHANGHAI) if until else None,
    )


def list_entries(
    session: Session, where: AuditFilter | None = None, *, limit: int = 200, offset: int = 0
) -> list[AuditEntry]:
    """The newest entries first that match the filter."""
    stmt = (where or AuditFilter()).apply(select(AuditEntry))
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)))


def count_entries(session: Session, where: AuditFilter | None = None) -> int:
    """How many entries match the filter."""
    return session.scalar((where or AuditFilter()).apply(select(func.count(AuditEntry.id)))) or 0


def actors(session: Session) -> list[str]:
    """Everyone who has an entry, by name, for the filter's choice."""
    return list(session.scalars(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)))


def target_types(session: Session) -> list[str]:
    """Every kind of record that has an entry."""
    return list(session.scalars(select(AuditEntry.target_type).distinct().order_by(AuditEntry.target_type)))
