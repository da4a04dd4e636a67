"""The audit log's row; the database refuses UPDATE and DELETE of it (migration 0006)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class AuditEntry(Base):
    """One recorded change; the database refuses UPDATE and DELETE of these rows."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_actor", "actor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(128))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    via: Mapped[str] = mapped_column(String(16))  # api | console | page | cli
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    origin: Mapped[str | None] = mapped_column(String(64))  # the caller's address, or the CLI's host
    operation: Mapped[str | None] = mapped_column(String(128))  # endpoint or command
    request_id: Mapped[str | None] = mapped_column(String(64))
