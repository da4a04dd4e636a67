"""Auditing a change made over HTTP: the signed-in caller of this request is its actor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from audit.models import AuditEntry
from audit.service import record, snapshot
from kiosk_api.auth.http import current_user
from kiosk_api.database import get_clock, get_session


def audit_request(
    action: str, target: Any, before: dict[str, Any] | None, *, target_id: Any = None, via: str = "api"
) -> AuditEntry:
    """Record a change made by the signed-in caller of this request, after the change was applied."""
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
