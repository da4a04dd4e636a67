"""`dongxi worker` runs the jobs on their schedule and stops cleanly on SIGTERM or SIGINT; the
embedded server runs the same scheduler in a thread, and `--production` leaves it to the worker."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from click.testing import CliRunner

from core.clock import SHANGHAI, FixedClock
from core.db import Database
from kiosk_api import cli, migrate
from kiosk_api.jobs import scheduler as job_scheduler
from kiosk_api.jobs.registry import schedule
from tests.conftest import TEST_NOW
from tests.integration.jobs.factories import LAPSED, lapsed_orders, times_expired


def test_the_worker_runs_a_due_job_then_stops_on_sigterm(committed_db: Database, caplog) -> None:
    stop_with = signal.SIGTERM
    clock = FixedClock(TEST_NOW)
    provider, ids = lapsed_orders(committed_db, clock)
    caplog.set_level(logging.INFO, logger="dongxi.jobs")
    handlers_before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    ran = threading.Event()

    def started(scheduler) -> None:  # type: ignore[no-untyped-def]
        def stop_after_the_run(_event) -> None:  # type: ignore[no-untyped-def]
            ran.set()
            os.kill(os.getpid(), stop_with)  # as the service manager stops it

        scheduler.add_listener(stop_after_the_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        # Due now instead of in 30 s: the schedule is real, only its first moment is brought forward.
        scheduler.get_job("orders-expire").modify(next_run_time=datetime.now(SHANGHAI))

    job_scheduler.run_worker(committed_db, clock, provider, schedule({}), on_started=started)

    assert ran.is_set()
    assert times_expired(committed_db, ids) == {order_id: 1 for order_id in ids}
    lines = [r.getMessage() for r in caplog.records if r.name == "dongxi.jobs"]
    assert any(line.startswith("worker started: orders-expire (interval[0:00:30])") for line in lines)
    assert "job orders-expire done" in "\n".join(lines) and f"expired {LAPSED}" in "\n".join(lines)
    assert lines[-2:] == [f"{stop_with.name}: stopping once the running jobs finish", "worker stopped"]
    assert {sig: signal.getsignal(sig) for sig in handlers_before} == handlers_before


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_worker_command_stops_cleanly_on_a_signal(tmp_path: Path, stop_with: signal.Signals) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    migrate.upgrade(url)
    env = {**os.environ, "DATABASE_URL": url, "DONGXI_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    command = [str(Path(sys.executable).with_name("dongxi")), "worker"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in process.stderr:  # type: ignore[union-attr]
            seen.append(line)
            if "worker started" in line:
                break
        assert any("worker started" in line for line in seen), "".join(seen)
        process.send_signal(stop_with)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert f"{stop_with.name}: stopping once the running jobs finish" in rest and "worker stopped" in rest


class _Started:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __call__(self, *args):  # type: ignore[no-untyped-def]
        self.calls.append(args)
        return self

    def shutdown(self, wait: bool = True) -> None:
        self.calls.append(("shutdown", wait))


# `--production` (gunicorn, no jobs in the app servers): tests/integration/test_check_config.py.
@pytest.mark.parametrize(("args", "runs_jobs"), [([], True), (["--no-jobs"], False)])
def test_the_embedded_server_runs_the_jobs_in_its_own_process(tmp_path, monkeypatch, args, runs_jobs) -> None:
    from flask import Flask

    url = f"sqlite:///{tmp_path / 'serve.db'}"
    migrate.upgrade(url)
    started = _Started()
    monkeypatch.setattr(job_scheduler, "start_in_background", started)
    monkeypatch.setattr(Flask, "run", lambda *_a, **_k: None)  # serve, and return at once
    monkeypatch.setattr(cli, "_serve_with_gunicorn", lambda: None)
    env = {"DATABASE_URL": url, "DONGXI_VAR_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli.main, ["serve", "--port", "5999", *args], env=env)
    assert result.exit_code == 0, result.output
    if runs_jobs:
        [(db, _clock, provider, triggers), stopped] = started.calls
        assert stopped == ("shutdown", False)
        assert isinstance(db, Database) and provider.name == "simulated" and triggers == schedule({})
        assert "jobs 后台任务" in result.output
    else:
        assert started.calls == [] and "jobs 后台任务" not in result.output
