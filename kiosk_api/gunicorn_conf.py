"""gunicorn settings for serving dongxi in production: `dongxi serve --production` uses this file.

Kiosks keep a connection open and poll about once a second while a shopper pays, then sit idle
between shoppers; heartbeats come every 30 s. The settings below follow from that. Every value
can be overridden from the environment (DONGXI_BIND, DONGXI_WORKERS, DONGXI_THREADS, …).

The app's own settings come from the environment as always (README: Configuration); in production
set REDIS_URL too, so that the kiosks' signature nonces are checked in Redis rather than inserted
into the database by every device request (bench/common.py's gunicorn does).
"""

from __future__ import annotations

import multiprocessing
import os

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
accesslog = os.environ.get("DONGXI_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("DONGXI_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# Build the app in each worker (a database pool must not cross a fork).
preload_app = False
wsgi_app = "kiosk_api.wsgi:app"
