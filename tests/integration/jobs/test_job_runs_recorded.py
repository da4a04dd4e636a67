"""Every run a server does is recorded in `job_runs` (runs, failures, the last run's times, status
and error) for /metrics and /readyz; a skipped run is the other server's to record, and a record
that cannot be written never breaks the run."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from kiosk_api.jobs import registry, runs
from kiosk_api.jobs.registry import BY_NAME, run_job
from kiosk_api.jobs.runs import JobRunRecord


def record(db, name: str) -> JobRunRecord | None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        return session.get(JobRunRecord, name)


def test_each_run_counts_and_keeps_its_times_and_status(app, db, clock) -> None:
    provider = app.extensions["dongxi.payments"]
    job = BY_NAME["holds-release"]
    assert record(db, job.name) is None
    assert run_job(job, db, clock, provider).status == "done"
    first = record(db, job.name)
    assert (first.runs, first.failures, first.last_status, first.last_error) == (1, 0, "done", None)
    assert first.last_started_at == first.last_finished_at == clock.now()
    clock.advance(seconds=30)
    run_job(job, db, clock, provider)
    again = record(db, job.name)
    assert (again.runs, again.failures) == (2, 0) and again.last_finished_at == clock.now()


def test_a_failed_run_counts_as_a_failure_with_its_error(app, db, clock) -> None:
    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the provider said no")

    job = dataclasses.replace(BY_NAME["payments-reconcile"], func=broken)
    run = run_job(job, db, clock, app.extensions["dongxi.payments"])
    assert run.status == "failed"
    failed = record(db, job.name)
    assert (failed.runs, failed.failures, failed.last_status) == (1, 1, "failed")
    assert failed.last_error == "RuntimeError: the provider said no"


def test_a_run_that_finds_errors_counts_as_a_failure(app, db, clock) -> None:
    job = dataclasses.replace(BY_NAME["rollup-check"], func=lambda *_a, **_k: {"errors": 2})
    assert not run_job(job, db, clock, app.extensions["dongxi.payments"]).ok
    found = record(db, job.name)
    assert (found.runs, found.failures, found.last_status) == (1, 1, "failed")
    assert "errors 2" in found.last_error


def test_a_skipped_run_is_not_recorded(app, db, clock, monkeypatch) -> None:
    from contextlib import contextmanager

    @contextmanager
    def taken(_db, _name):  # type: ignore[no-untyped-def]
        yield False  # another server holds the job's lock

    monkeypatch.setattr(registry, "exclusive", taken)
    job = BY_NAME["orders-expire"]
    assert run_job(job, db, clock, app.extensions["dongxi.payments"]).status == "skipped"
    assert record(db, job.name) is None


@pytest.mark.parametrize("step", ["record_started", "record_finished"])
def test_a_record_that_cannot_be_written_never_breaks_the_run(
    app, db, clock, monkeypatch, caplog, step
) -> None:
    def away(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("database away")

    monkeypatch.setattr(runs, step, away)
    caplog.set_level(logging.INFO, logger="dongxi.jobs")
    run = run_job(BY_NAME["holds-release"], db, clock, app.extensions["dongxi.payments"])
    assert run.status == "done" and run.ok
    assert any("could not record the run" in r.getMessage() for r in caplog.records)
