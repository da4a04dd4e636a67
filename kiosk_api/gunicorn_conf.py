"""gunicorn settings for serving dongxi in production: `dongxi serve --production` uses this file.

Kiosks keep a connection open and poll about once a second while a shopper pays, then sit idle
between shoppers; heartbeats come every 30 s. The settings below follow from that. Every value
can be overridden from the environment (DONGXI_BIND, DONGXI_WORKERS, DONGXI_THREADS, …).

The app's own settings come from the environment as always (README: Configuration); in production
set REDIS_URL too, so that the kiosks' signature nonces are checked in Redis rather than inserted
into the database by every device request (bench/common.py's gunicorn does).
"""

from __future__ import annotations

import glob
import multiprocessing
import os
import shutil
import tempfile
from typing import Any

bind = os.environ.get("DONGXI_BIND", "127.0.0.1:8000")
# Processes: the GIL lets one process use one core; two per core covers the time a request waits
# on PostgreSQL. Threads within each serve the many kiosks that wait on I/O at once.
workers = int(os.environ.get("DONGXI_WORKERS", str(max(2, multiprocessing.cpu_count()))))
worker_class = "gthread"
threads = int(os.environ.get("DONGXI_THREADS", "8"))
# Longer than any pause in a kiosk's traffic (a heartbeat every 30 s), so a cabinet's keep-alive
# connection is not closed under it while it waits for the next shopper: gunicorn's default of
# 2 s reset connections the kiosks were about to reuse.
keepalive = int(os.environ.get("DONGXI_KEEPALIVE", "75"))
# A request that takes this long is stuck (a provider call has its own, shorter timeout).
timeout = int(os.environ.get("DONGXI_TIMEOUT", "60"))
graceful_timeout = 30
# Restart a worker now and then, so a slow leak cannot grow a worker for ever; the jitter keeps
# the workers from restarting together.
max_requests = int(os.environ.get("DONGXI_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
# Heartbeat files on tmpfs: a worker blocked on a slow disk is not mistaken for a dead one.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No access log of gunicorn's own: the app writes one JSON line per request, with its request id
# (kiosk_api/observability/request_log.py; DONGXI_REQUEST_LOG: `-` stderr, a path, or `off`).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("DONGXI_LOG_LEVEL", "info")
# Build the app in each worker (a database pool must not cross a fork).
preload_app = False
wsgi_app = "kiosk_api.wsgi:app"

# Prometheus multiprocess mode: each worker writes its metrics to files in this directory and a
# scrape of /metrics, whichever worker answers it, sums them all. Set before the workers are forked
# (they inherit it and prometheus_client reads it on import). Given PROMETHEUS_MULTIPROC_DIR, that
# directory; else one of this server's own on tmpfs, removed when it stops.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(
        "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(), f"dongxi-metrics-{os.getpid()}"
    )
metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def post_fork(_server: Any, _worker: Any) -> None:
    """The worker's own log on stderr beside gunicorn's: what the app and its libraries warn of."""
    from kiosk_api.observability import configure_logging

    configure_logging(loglevel)


def on_starting(_server: Any) -> None:
    """Start without an earlier server's metric files, which would be summed into ours (only those
    files go: the directory may have been given, and may hold others)."""
    os.makedirs(metrics_dir, exist_ok=True)
    for path in glob.glob(os.path.join(metrics_dir, "*.db")):
        os.remove(path)


def child_exit(_server: Any, worker: Any) -> None:
    """A worker is gone (max_requests, a crash): drop its live gauges; its counts stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(_server: Any) -> None:
    if _own_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)


# gunicorn 25+ opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl), shared by
# every gunicorn of that user on the machine (a second server would take the first's); dongxi uses
# none of its commands. Older gunicorns ignore the setting.
control_socket_disable = True
