"""Each job's runs, recorded in the database: how many, how many failed, and the last one's times.

One row per job (`job_runs`), written by `registry.run_job` in short units of work of their own
when a run starts and when it ends, whichever process ran it (`dongxi worker`, the embedded
server, `dongxi jobs run`). `/metrics` reads the counts and `/readyz` the times (a stuck job)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, UTCDateTime

RUNNING = "running"
ERROR_MAX = 500  # the last error's text is kept this short: a line, not a traceback


class JobRunRecord(Base):
    """One scheduled job's run count, failures, and its last run (started, finished, how it ended)."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[str | None] = mapped_column(String(16))  # running | done | failed
    last_error: Mapped[str | None] = mapped_column(Text)


def _ensure_row(session: Session, name: str) -> None:
    # Two workers may run a job's very first time at once (one then skips): the insert is idempotent.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(JobRunRecord)
        .values(name=name, runs=0, failures=0)
        .on_conflict_do_nothing(index_elements=["name"])
    )


def record_started(session: Session, name: str, at: datetime) -> None:
    """Mark the job's run as started (the row is made on the job's first run)."""
    _ensure_row(session, name)
    session.execute(
        update(JobRunRecord)
        .where(JobRunRecord.name == name)
        .values(last_started_at=at, last_status=RUNNING)
        .execution_options(synchronize_session=False)
    )


def record_finished(session: Session, name: str, at: datetime, *, failed: bool, error: str | None) -> None:
    """Count the run (and its failure) and keep how it ended."""
    _ensure_row(session, name)
    session.execute(
        update(JobRunRecord)
        .where(JobRunRecord.name == name)
        .values(
            runs=JobRunRecord.runs + 1,
            failures=JobRunRecord.failures + (1 if failed else 0),
            last_finished_at=at,
            last_status="failed" if failed else "done",
            last_error=(error or "")[:ERROR_MAX] or None,
        )
        .execution_options(synchronize_session=False)
    )


def job_runs(session: Session) -> list[JobRunRecord]:
    """Every job's record, by name."""
    return list(session.scalars(select(JobRunRecord).order_by(JobRunRecord.name)))
