"""The business figures `/metrics` shows, read from the database at scrape time.

Read from the database rather than counted in the process, they are the same whichever app server
is scraped, and include what `dongxi worker` did (expired orders, retried refunds, job runs).
Each is one indexed query: orders by channel and status from `ix_orders_channel_status` (on
PostgreSQL an index-only scan, whose cost grows with the number of orders), refunds by
`ix_refunds_status`, vend failures over the refunds (far fewer than orders), the cabinets' devices
(one row each) and the jobs' records (one row each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.clock import Clock
from devices.models import KioskDevice
from kiosk_api.jobs.registry import JOBS
from kiosk_api.jobs.runs import job_runs
from kiosk_api.kiosks.service import OFFLINE_AFTER
from payments.models import Refund
from sales.models import Order

# The reason sales.kiosk.record_vend_results gives the refund of what a vend left in its slots.
VEND_FAILURE_REASON = "not dispensed: "


@dataclass
class JobFigures:
    runs: int = 0
    failures: int = 0
    last_finished_at: datetime | None = None


@dataclass
class BusinessFigures:
    """What the business looks like now: orders, refunds, vend failures, cabinets, jobs."""

    orders: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, status) → count
    refunds: dict[str, int] = field(default_factory=dict)  # pending, failed → count
    vend_failures: int = 0
    kiosks_active: int = 0
    kiosks_offline: int = 0
    jobs: dict[str, JobFigures] = field(default_factory=dict)


def business_figures(session: Session, clock: Clock) -> BusinessFigures:
    """Read the business figures (a handful of indexed reads)."""
    figures = BusinessFigures()
    for channel, status, count in session.execute(
        select(Order.channel, Order.status, func.count()).group_by(Order.channel, Order.status)
    ):
        figures.orders[(channel, status)] = count
    figures.refunds = {"pending": 0, "failed": 0}
    for status, count in session.execute(
        select(Refund.status, func.count())
        .where(Refund.status.in_(("pending", "failed")))
        .group_by(Refund.status)
    ):
        figures.refunds[status] = count
    figures.vend_failures = session.scalar(
        select(func.count()).select_from(Refund).where(Refund.reason.like(f"{VEND_FAILURE_REASON}%"))
    )
    silent_since = clock.now() - OFFLINE_AFTER
    active, offline = session.execute(
        select(
            func.count(),
            func.count().filter(
                or_(KioskDevice.last_seen_at.is_(None), KioskDevice.last_seen_at < silent_since)
            ),
        ).where(KioskDevice.status == "active")
    ).one()
    figures.kiosks_active, figures.kiosks_offline = active, offline
    figures.jobs = {job.name: JobFigures() for job in JOBS}
    for record in job_runs(session):
        figures.jobs[record.name] = JobFigures(record.runs, record.failures, record.last_finished_at)
    return figures
