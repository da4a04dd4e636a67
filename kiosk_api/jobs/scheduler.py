"""The jobs on APScheduler 3: in this process, no broker. `dongxi worker` runs it in the foreground
until SIGTERM or SIGINT; the embedded server (`dongxi serve`, `make run`) runs it in a thread."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.clock import SHANGHAI, Clock
from core.db import Database
from kiosk_api.jobs.batches import stopping
from kiosk_api.jobs.registry import JOBS, Every, Trigger, run_job
from payments.providers.base import PaymentProvider

log = logging.getLogger("dongxi.jobs")


def _trigger(trigger: Trigger) -> Any:
    if isinstance(trigger, Every):
        return IntervalTrigger(seconds=trigger.seconds, timezone=SHANGHAI)
    return CronTrigger(hour=trigger.hour, minute=trigger.minute, timezone=SHANGHAI)


def _grace_seconds(trigger: Trigger) -> int:
    # A run late by less than this still runs (once: missed runs coalesce); a later one waits for
    # the next time. The nightly check may run up to an hour late, after a restart at 02:00.
    return trigger.seconds if isinstance(trigger, Every) else 3600


def build_scheduler(
    db: Database, clock: Clock, provider: PaymentProvider, triggers: Mapping[str, Trigger | None]
) -> BackgroundScheduler:
    """A scheduler (not started) with every job whose trigger is not None; one run of a job at a
    time in this process, and across servers its lock (locks.py) lets one of them do the work."""
    scheduler = BackgroundScheduler(timezone=SHANGHAI, daemon=True)
    for job in JOBS:
        trigger = triggers.get(job.name)
        if trigger is None:
            continue
        scheduler.add_job(
            run_job,
            _trigger(trigger),
            args=(job, db, clock, provider),
            kwargs={"trigger": trigger},
            id=job.name,
            name=job.name,
            misfire_grace_time=_grace_seconds(trigger),
            coalesce=True,  # runs missed while the worker was down or busy: one run, not a burst
            max_instances=1,  # a run still going when the next is due: that next one is skipped
        )
    return scheduler


def run_worker(
    db: Database,
    clock: Clock,
    provider: PaymentProvider,
    triggers: Mapping[str, Trigger | None],
    *,
    on_started: Callable[[BackgroundScheduler], None] = lambda _s: None,
) -> None:
    """Run the jobs until SIGTERM or SIGINT, then let the running ones finish and return."""
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("%s: stopping once the running jobs finish", signal.Signals(signum).name)
        stopping.set()  # a running job ends after its current batch
        stop.set()

    stopping.clear()
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler = build_scheduler(db, clock, provider, triggers)
    try:
        scheduler.start()
        log.info("worker started: %s", ", ".join(f"{j.id} ({j.trigger})" for j in scheduler.get_jobs()))
        on_started(scheduler)
        while not stop.wait(1.0):  # wakes at once on a signal, too
            pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        stopping.clear()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("worker stopped")


def start_in_background(
    db: Database, clock: Clock, provider: PaymentProvider, triggers: Mapping[str, Trigger | None]
) -> BackgroundScheduler:
    """Start the jobs in a daemon thread of this process (the embedded server's)."""
    scheduler = build_scheduler(db, clock, provider, triggers)
    scheduler.start()
    return scheduler
