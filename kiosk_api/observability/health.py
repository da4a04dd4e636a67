"""Readiness: the database answers, its schema is at the migrations' head, and no job is stuck.

A job is stuck when its run in progress started longer ago than its bound, or, when none is in
progress, its last run finished longer ago than the bound. The bound is three times the job's
interval, at least 5 minutes (every 30 s or 1 min: 5 min; every 5 min: 15 min; every 1 h: 3 h),
and 26 hours for a daily job. A job that has never run is stuck only once this server has been up
for longer than its bound (a fresh deployment, whose worker has not run it yet, is ready). Jobs
switched `off` (DONGXI_JOB_<NAME>=off, as this server's environment says) are not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.orm import Session

from kiosk_api.jobs.registry import DailyAt, Every, Trigger, schedule
from kiosk_api.jobs.runs import job_runs
from kiosk_api.migrate import alembic_config

MIN_BOUND = timedelta(minutes=5)
DAILY_BOUND = timedelta(hours=26)


@dataclass
class Check:
    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The head revision(s) of migrations/ (read once per process: they change with a deployment)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def stuck_bound(trigger: Trigger) -> timedelta:
    """How long a job may go without finishing a run before it counts as stuck."""
    if isinstance(trigger, DailyAt):
        return DAILY_BOUND
    assert isinstance(trigger, Every)
    return max(MIN_BOUND, timedelta(seconds=3 * trigger.seconds))


def check_database(session: Session) -> Check:
    """The database answers a trivial query."""
    session.execute(text("SELECT 1"))
    return Check("database", True)


def check_migrations(session: Session, heads: frozenset[str]) -> Check:
    """The database's Alembic revision is the head of the migrations this server was built with."""
    found = frozenset(session.scalars(text("SELECT version_num FROM alembic_version")))
    detail = {"database": sorted(found), "head": sorted(heads)}
    if found == heads:
        return Check("migrations", True, detail)
    return Check("migrations", False, detail, f"database at {sorted(found)}, migrations at {sorted(heads)}")


def check_jobs(session: Session, now: datetime, env: Mapping[str, str], up_since: datetime) -> Check:
    """No job scheduled in `env` (DONGXI_JOB_<NAME>) is stuck (the module's docstring says when one is)."""
    triggers = schedule(env)
    records = {record.name: record for record in job_runs(session)}
    stuck: dict[str, str] = {}
    for name, trigger in triggers.items():
        if trigger is None:
            continue
        bound = stuck_bound(trigger)
        record = records.get(name)
        started = record.last_started_at if record else None
        finished = record.last_finished_at if record else None
        running = started is not None and (finished is None or started > finished)
        if running:
            if now - started > bound:
                stuck[name] = f"running since {started.isoformat()} (bound {bound})"
        elif finished is not None and now - finished > bound:
            stuck[name] = f"last finished {finished.isoformat()} (bound {bound})"
        elif finished is None and started is None and now - up_since > bound:
            stuck[name] = f"never run, server up since {up_since.isoformat()} (bound {bound})"
    if stuck:
        return Check("jobs", False, {"stuck": stuck}, "stuck: " + ", ".join(sorted(stuck)))
    return Check("jobs", True, {"stuck": {}})


def readiness(
    session: Session,
    now: datetime,
    *,
    env: Mapping[str, str],
    up_since: datetime,
    heads: frozenset[str],
) -> list[Check]:
    """Every check, in order; when the database does not answer the others are not tried."""
    try:
        checks = [check_database(session)]
    except Exception as exc:  # any failure to reach it means the same: not ready
        return [Check("database", False, problem=f"the database does not answer ({exc.__class__.__name__})")]
    for name, check in (
        ("migrations", lambda: check_migrations(session, heads)),
        ("jobs", lambda: check_jobs(session, now, env, up_since)),
    ):
        try:
            checks.append(check())
        except Exception as exc:
            checks.append(Check(name, False, problem=f"could not be checked ({exc.__class__.__name__})"))
            with suppress(Exception):  # PostgreSQL refuses further statements in a failed transaction
                session.rollback()
    return checks
