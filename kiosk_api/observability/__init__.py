"""Observability (issue 12, #2): `/metrics` for Prometheus, a JSON line per request, `/healthz`
and `/readyz`. `init_app` adds two request hooks that do no I/O beyond the log line — no SQL is
added to any request — and the three endpoints (views.py)."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from flask import Flask, Response, g, request

from kiosk_api.observability import metrics, request_log

LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str | int = logging.INFO) -> None:
    """The process's own log on stderr: what the app's loggers, the jobs and the libraries it uses
    warn of (flask-limiter's storage falling back to memory, a job's failure). The request log has
    its own handler and line (request_log.py). Called by `dongxi serve`, `dongxi worker` and
    gunicorn_conf.py, once per process."""
    logging.basicConfig(level=level.upper() if isinstance(level, str) else level, format=LOG_FORMAT)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # the jobs' own line per run says it all


def init_app(app: Flask, *, up_since: datetime) -> None:
    """Count and log every request, and serve /healthz, /readyz and /metrics.

    Called before the database's own hooks are added: Flask runs after-request hooks in reverse
    order, so these see the status the request really ends with (a failed commit's 409 or 503)."""
    from kiosk_api.observability.views import observability

    request_log.configure(app.config.get("REQUEST_LOG", "-"))
    app.extensions["dongxi.up_since"] = up_since  # /readyz tolerates jobs not run yet for a while
    app.register_blueprint(observability)

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request_log.request_id(request.headers.get(request_log.REQUEST_ID_HEADER))

    @app.after_request
    def _count_and_log(response: Response) -> Response:
        seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
        rule = request.url_rule
        route = rule.rule if rule is not None else None
        metrics.observe_request(route, request.method, response.status_code, seconds)
        rid = g.get("request_id") or request_log.request_id(None)
        response.headers[request_log.REQUEST_ID_HEADER] = rid
        if request_log.log.isEnabledFor(logging.INFO):
            kiosk = g.get("calling_kiosk")
            user = g.get("current_user")
            request_log.log.info(
                request_log.line(
                    request_id=rid,
                    method=request.method,
                    route=route,
                    status=response.status_code,
                    seconds=seconds,
                    kiosk=kiosk.code if kiosk is not None else None,
                    user=user.id if user is not None else None,
                    remote_addr=request.remote_addr,
                )
            )
        return response
