"""The audit log page: every change by a person or script, filtered by who, what and when."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from accounts.roles import AUDIT_READERS
from audit import service
from core import labels
from kiosk_api.console.access import console, day_arg, page_roles
from kiosk_api.console.audit_view import present
from kiosk_api.database import get_session
from kiosk_api.i18n import current_language
from kiosk_api.input_limits import int_within
from kiosk_api.schemas.base import MAX_PAGE

PAGE = 100


@console.get("/audit")
@page_roles(*AUDIT_READERS)
def audit_log() -> Any:
    """Every change made through the console, the API or the command line, newest first."""
    session, lang = get_session(), current_language()
    errors: dict[str, str] = {}
    page = request.args.get("page", default=1, type=int_within(1, MAX_PAGE))
    via = request.args.get("via", "")
    chosen = {
        "actor": request.args.get("actor", "")[:128],
        "target_type": request.args.get("target_type", "")[:64],
        "operation": request.args.get("operation", "").strip()[:128],
        "via": via if via in labels.AUDIT_VIA else "",
        "since": day_arg("since", errors),
        "until": day_arg("until", errors),
    }
    where = service.audit_filter(**chosen)
    entries = service.list_entries(session, where, limit=PAGE, offset=(page - 1) * PAGE)
    return render_template(
        "console/audit.html",
        acts=present(session, entries, lang),
        total=service.count_entries(session, where),
        page=page,
        per_page=PAGE,
        chosen=chosen,
        errors=errors,
        actors=service.actors(session),
        kinds=[(t, labels.RECORD_KINDS.get(t, (t, t))) for t in service.target_types(session)],
        vias=labels.AUDIT_VIA,
    ), (422 if errors else 200)
