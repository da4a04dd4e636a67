"""`/healthz` (the process answers), `/readyz` (it can do its work) and `/metrics` (Prometheus)."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from kiosk_api.database import get_clock, get_db
from kiosk_api.observability import health, metrics
from kiosk_api.observability.figures import BusinessFigures, business_figures

observability = Blueprint("observability", __name__)
log = logging.getLogger("dongxi.observability")


@observability.get("/healthz")
def healthz() -> Any:
    """Liveness probe: the process is up (nothing else is checked)."""
    return jsonify({"status": "ok"})


@observability.get("/readyz")
def readyz() -> Any:
    """Readiness probe: the database answers, migrations are at head, no job is stuck (503 if not)."""
    # A session of its own, not the request's: a database that fails here must not turn the
    # request's commit hook into a second error, and nothing here is written.
    session = get_db().sessionmaker()
    try:
        checks = health.readiness(
            session,
            get_clock().now(),
            env=os.environ,
            up_since=current_app.extensions["dongxi.up_since"],
            heads=health.migration_heads(),
        )
    finally:
        _close(session)
    body: dict[str, Any] = {
        "checks": {
            c.name: {"ok": c.ok, **c.detail, **({"problem": c.problem} if c.problem else {})} for c in checks
        }
    }
    failing = {c.name: c.problem or "failed" for c in checks if not c.ok}
    if not failing:
        return jsonify({"status": "ready", **body})
    log.warning("not ready: %s", "; ".join(f"{k}: {v}" for k, v in failing.items()))
    # The design's error body, with the checks beside it.
    error = {"code": "not_ready", "message": "not ready: " + ", ".join(failing), "fields": failing}
    response = jsonify({"error": error, **body})
    response.status_code = 503
    return response


@observability.get("/metrics")
def prometheus_metrics() -> Response:
    """Prometheus metrics: requests by route and status, and the business figures."""
    session = get_db().sessionmaker()
    figures: BusinessFigures | None
    try:
        figures = business_figures(session, get_clock())
    except Exception:  # the request metrics are still worth having without the database
        log.warning("business figures could not be read", exc_info=True)
        figures = None
    finally:
        _close(session)
    body = metrics.request_metrics() + metrics.business_metrics(figures)
    return Response(body, content_type=metrics.CONTENT_TYPE)


def _close(session: Any) -> None:
    try:
        session.rollback()
        session.close()
    except Exception:  # a connection already gone: nothing to give back
        log.debug("closing a failed session", exc_info=True)
