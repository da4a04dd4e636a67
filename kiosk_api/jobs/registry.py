"""The jobs, their schedules, and one run of a job: under its lock, timed, logged, never raising."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.clock import Clock
from core.db import Database
from kiosk_api.jobs import devices, expiry, money, runs
from kiosk_api.jobs.locks import exclusive
from payments.providers.base import PaymentProvider

log = logging.getLogger("dongxi.jobs")


@dataclass(frozen=True)
class Every:
    """Run every so many seconds."""

    seconds: int

    def __str__(self) -> str:
        s = self.seconds
        if s % 3600 == 0:
            return f"every {s // 3600} h"
        return f"every {s // 60} min" if s % 60 == 0 else f"every {s} s"


@dataclass(frozen=True)
class DailyAt:
    """Run once a day at this time of day in Asia/Shanghai."""

    hour: int
    minute: int

    def __str__(self) -> str:
        return f"daily at {self.hour:02d}:{self.minute:02d} Asia/Shanghai"


Trigger = Every | DailyAt


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[..., dict[str, Any]]  # (db, clock, provider, **options) -> what it did
    default: Trigger
    # The job looks back over its own interval (log an alert once, retry a refund once per moment).
    windowed: bool = False

    @property
    def summary(self) -> str:
        return " ".join((self.func.__doc__ or "").strip().split("\n\n")[0].split())


JOBS: tuple[Job, ...] = (
    Job("orders-expire", expiry.expire_orders, Every(30)),
    Job("holds-release", expiry.release_holds, Every(30)),
    Job("bulk-holds-expire", expiry.expire_bulk_holds, Every(600)),
    Job("refunds-retry", money.retry_refunds, Every(60), windowed=True),
    Job("payments-reconcile", money.reconcile_payments, Every(300)),
    Job("nonces-prune", devices.prune_old_nonces, Every(3600)),
    Job("kiosk-alerts", devices.log_kiosk_alerts, Every(60), windowed=True),
    Job("rollup-check", money.check_rollup, DailyAt(2, 0)),
    Job("payments-bills", money.check_bills, DailyAt(10, 30)),  # WeChat Pay publishes after 10:00
)
BY_NAME = {job.name: job for job in JOBS}


def env_name(job: Job) -> str:
    """The environment variable that reschedules a job: DONGXI_JOB_ORDERS_EXPIRE and so on."""
    return "DONGXI_JOB_" + job.name.upper().replace("-", "_")


def schedule(env: Mapping[str, str]) -> dict[str, Trigger | None]:
    """Each job's trigger: its default, or its variable's seconds, HH:MM (Asia/Shanghai) or `off`."""
    found: dict[str, Trigger | None] = {}
    for job in JOBS:
        raw = env.get(env_name(job), "").strip()
        if not raw:
            found[job.name] = job.default
        elif raw == "off":
            found[job.name] = None
        elif raw.isdigit() and int(raw) > 0:
            found[job.name] = Every(int(raw))
        elif (m := re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", raw)) is not None:
            found[job.name] = DailyAt(int(m[1]), int(m[2]))
        else:
            raise ValueError(f"{env_name(job)}={raw!r}: give seconds, HH:MM (Asia/Shanghai) or off")
    return found


@dataclass
class JobRun:
    """What one run did: done, skipped (another server holds the job's lock) or failed."""

    name: str
    status: str
    result: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Done, and no errors reported (a rollup that differs from the ledger is one)."""
        return self.status != "failed" and not self.result.get("errors")

    def line(self) -> str:
        what = ", ".join(f"{k} {v}" for k, v in self.result.items()) or self.error or ""
        return f"job {self.name} {self.status} in {self.seconds:.3f}s" + (f": {what}" if what else "")


def run_job(
    job: Job, db: Database, clock: Clock, provider: PaymentProvider, *, trigger: Trigger | None = None
) -> JobRun:
    """Run a job once if this server gets its lock; log and return what it did. A failure is logged
    with its traceback and returned, never raised: the scheduler runs the job again next time."""
    options: dict[str, Any] = {}
    if job.windowed:
        every = trigger if isinstance(trigger, Every) else job.default
        options["window"] = timedelta(seconds=every.seconds if isinstance(every, Every) else 86_400)
    started = time.perf_counter()
    try:
        with exclusive(db, job.name) as mine:
            if not mine:
                run = JobRun(job.name, "skipped")
            else:
                _record(db, job.name, lambda s: runs.record_started(s, job.name, clock.now()))
                run = JobRun(job.name, "done", job.func(db, clock, provider, **options))
    except Exception as exc:  # whatever broke, the worker lives on and logs it
        log.exception("job %s failed", job.name)
        run = JobRun(job.name, "failed", error=f"{exc.__class__.__name__}: {exc}")
    run.seconds = time.perf_counter() - started
    if run.status != "skipped":  # a skipped run is another server's, which records it
        failed, error = not run.ok, None if run.ok else (run.error or run.line())
        _record(
            db, job.name, lambda s: runs.record_finished(s, job.name, clock.now(), failed=failed, error=error)
        )
    level = logging.INFO if run.ok else logging.ERROR
    log.log(level, run.line())
    return run


def _record(db: Database, name: str, write: Callable[[Session], None]) -> None:
    """Write to the job's record in a short unit of work of its own; a failure to record (the
    database away) is logged and never breaks the run."""
    try:
        with db.unit_of_work() as session:
            write(session)
    except Exception:
        log.warning("job %s: could not record the run", name, exc_info=True)
