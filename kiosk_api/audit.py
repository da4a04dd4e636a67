"""The append-only audit log: who changed what, from what to what, and when.

Every change an operator makes through the console or the API is recorded here in the same unit
of work as the change itself, so a change and its record commit (or roll back) together."""

from __future__ import annotations

import datetime as dt
import decimal
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.clock import Clock
from core.db import Base, UTCDateTime


class AuditEntry(Base):
    """One recorded change; the database refuses UPDATE and DELETE of these rows."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(128))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    via: Mapped[str] = mapped_column(String(16))  # api | console | cli
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


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


def audit_request(
    action: str, target: Any, before: dict[str, Any] | None, *, target_id: Any = None, via: str = "api"
) -> AuditEntry:
    """Record a change made by the signed-in caller of this request, after the change was applied."""
    from kiosk_api.auth.http import current_user
    from kiosk_api.database import get_clock, get_session

    user = current_user()
    session = get_session()
    session.flush()  # a created row needs its id, an updated one its new values
    return record(
        session,
        get_clock(),
        actor=user.username if user else "anonymous",
        actor_role=user.role if user else "",
        action=action,
        target_type=target.__tablename__,
        target_id=target_id if target_id is not None else inspect(target).identity[0],
        before=before,
        after=snapshot(target),
        via=via,
    )


def list_entries(
    session: Session, *, target_type: str | None = None, limit: int = 200, offset: int = 0
) -> list[AuditEntry]:
    """The newest entries first, optionally of one kind of target."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    return list(session.scalars(stmt))
