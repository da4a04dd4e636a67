"""`/healthz` is the process alone; `/readyz` is 200 when the database answers, its schema is at the
migrations' head and no job is stuck, else 503 with the design's error body and the checks."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from kiosk_api import create_app
from kiosk_api.jobs.runs import JobRunRecord
from kiosk_api.observability import health

# The newest migration's revision, read off its file name (0014_session_epoch.py → 0014).
VERSIONS = Path(__file__).resolve().parents[3] / "migrations" / "versions"
LATEST = max(path.name.split("_", 1)[0] for path in VERSIONS.glob("[0-9]*.py"))

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=2"


def _record(session, name: str, *, started_ago: timedelta, finished_ago: timedelta, clock) -> None:  # type: ignore[no-untyped-def]
    """The job's record as run_job leaves it: last started and finished so long ago."""
    now = clock.now()
    session.add(
        JobRunRecord(
            name=name,
            runs=1,
            failures=0,
            last_started_at=now - started_ago,
            last_finished_at=now - finished_ago,
            last_status="done",
        )
    )
    session.commit()


def _not_ready(response, failing: str):  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == "not_ready"
    assert failing in body["error"]["fields"]
    assert body["checks"][failing]["ok"] is False
    return body


def test_healthz_answers_whatever_the_database(clock) -> None:
    app = create_app({"DATABASE_URL": UNREACHABLE, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "s"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_ready_when_the_database_answers_at_head_and_no_job_is_stuck(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["jobs"]["ok"]
    assert body["checks"]["migrations"] == {"ok": True, "database": [LATEST], "head": [LATEST]}


def test_not_ready_when_the_database_is_not_at_the_migrations_head(client, session) -> None:
    session.execute(text("UPDATE alembic_version SET version_num = '0012'"))
    session.commit()
    body = _not_ready(client.get("/readyz"), "migrations")
    assert body["checks"]["migrations"]["database"] == ["0012"]
    assert body["checks"]["database"]["ok"] is True


def test_not_ready_when_a_job_has_not_finished_a_run_for_three_intervals(client, session, clock) -> None:
    _record(
        session,
        "refunds-retry",
        started_ago=timedelta(minutes=6),
        finished_ago=timedelta(minutes=6),
        clock=clock,
    )
    body = _not_ready(client.get("/readyz"), "jobs")
    assert list(body["checks"]["jobs"]["stuck"]) == ["refunds-retry"]  # every 1 min: stuck after 5


def test_not_ready_when_a_run_started_long_ago_and_never_finished(client, session, clock) -> None:
    # Every 10 min: bound 30 min. Its previous run finished in time, but this one hangs.
    _record(
        session,
        "bulk-holds-expire",
        started_ago=timedelta(minutes=31),
        finished_ago=timedelta(minutes=35),
        clock=clock,
    )
    body = _not_ready(client.get("/readyz"), "jobs")
    assert body["checks"]["jobs"]["stuck"]["bulk-holds-expire"].startswith("running since")


def test_a_job_within_its_bound_or_switched_off_is_not_stuck(client, session, clock, monkeypatch) -> None:
    _record(
        session,
        "payments-reconcile",
        started_ago=timedelta(minutes=14),
        finished_ago=timedelta(minutes=14),
        clock=clock,
    )
    _record(
        session,
        "rollup-check",
        started_ago=timedelta(hours=25),
        finished_ago=timedelta(hours=25),
        clock=clock,
    )
    _record(
        session,
        "orders-expire",
        started_ago=timedelta(minutes=1),
        finished_ago=timedelta(minutes=9),
        clock=clock,
    )
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()  # 15 min, 26 h; orders-expire is running now
    _record(
        session, "nonces-prune", started_ago=timedelta(hours=4), finished_ago=timedelta(hours=4), clock=clock
    )
    assert client.get("/readyz").status_code == 503  # hourly: 3 h
    monkeypatch.setenv("DONGXI_JOB_NONCES_PRUNE", "off")
    assert client.get("/readyz").status_code == 200


def test_a_schedule_that_cannot_be_read_is_not_ready(client, monkeypatch) -> None:
    monkeypatch.setenv("DONGXI_JOB_ORDERS_EXPIRE", "sometimes")
    body = _not_ready(client.get("/readyz"), "jobs")
    assert body["error"]["fields"]["jobs"] == "could not be checked (ValueError)"


def test_a_fresh_deployment_is_ready_until_its_jobs_are_overdue(client, clock) -> None:
    assert client.get("/readyz").status_code == 200  # no job has run yet: the worker may be starting
    clock.advance(seconds=6 * 60)  # this server has been up 6 minutes and still no run of any job
    body = _not_ready(client.get("/readyz"), "jobs")
    assert {"orders-expire", "holds-release", "refunds-retry"} <= set(body["checks"]["jobs"]["stuck"])
    assert "rollup-check" not in body["checks"]["jobs"]["stuck"]  # daily: not yet


def test_not_ready_fast_when_the_database_is_unreachable(clock) -> None:
    app = create_app({"DATABASE_URL": UNREACHABLE, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "s"})
    started = time.monotonic()
    response = app.test_client().get("/readyz")
    assert time.monotonic() - started < 5
    body = _not_ready(response, "database")
    assert set(body["checks"]) == {"database"}  # nothing else is tried
    assert "postgres@" not in response.get_data(as_text=True)  # no URL, no user, no password


@pytest.mark.parametrize(
    ("trigger", "bound"),
    [
        ("30", timedelta(minutes=5)),
        ("300", timedelta(minutes=15)),
        ("3600", timedelta(hours=3)),
        ("02:00", timedelta(hours=26)),
    ],
)
def test_the_stuck_bound_is_three_intervals_at_least_five_minutes(trigger: str, bound: timedelta) -> None:
    from kiosk_api.jobs.registry import schedule

    assert health.stuck_bound(schedule({"DONGXI_JOB_ORDERS_EXPIRE": trigger})["orders-expire"]) == bound
