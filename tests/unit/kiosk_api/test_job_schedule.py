"""The jobs' schedule: every job registered with its trigger (nothing run for real time), the
configuration that moves or disables one, the refunds' backoff and the advisory lock keys."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from hypothesis import given
from hypothesis import strategies as st

from core.clock import SHANGHAI
from kiosk_api.jobs.locks import lock_key
from kiosk_api.jobs.money import retry_due
from kiosk_api.jobs.registry import JOBS, DailyAt, Every, schedule
from kiosk_api.jobs.scheduler import build_scheduler
from sales.statements.compute import previous_period

EXPECTED = {
    "orders-expire": Every(30),
    "holds-release": Every(30),
    "bulk-holds-expire": Every(600),
    "refunds-retry": Every(60),
    "payments-reconcile": Every(300),
    "nonces-prune": Every(3600),
    "kiosk-alerts": Every(60),
    "rollup-check": DailyAt(2, 0),
    "payments-bills": DailyAt(10, 30),
}


def test_every_job_is_registered_with_its_default_trigger() -> None:
    triggers = schedule({})
    assert triggers == EXPECTED
    scheduler = build_scheduler(object(), object(), object(), triggers)  # type: ignore[arg-type]
    registered = {job.id: job for job in scheduler.get_jobs()}
    assert set(registered) == {job.name for job in JOBS}
    for name, job in registered.items():
        if isinstance(EXPECTED[name], Every):
            assert isinstance(job.trigger, IntervalTrigger)
            assert job.trigger.interval == timedelta(seconds=EXPECTED[name].seconds)
        assert job.kwargs == {"trigger": EXPECTED[name]} and job.args[0].name == name
        assert job.max_instances == 1 and job.coalesce
    nightly = registered["rollup-check"].trigger
    assert isinstance(nightly, CronTrigger)
    after = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
    assert nightly.get_next_fire_time(None, after) == datetime(2026, 11, 27, 2, 0, tzinfo=SHANGHAI)
    assert not scheduler.running


def test_a_job_is_moved_or_disabled_by_its_variable() -> None:
    env = {"DONGXI_JOB_ORDERS_EXPIRE": "10", "DONGXI_JOB_ROLLUP_CHECK": "03:30"}
    triggers = schedule(env | {"DONGXI_JOB_KIOSK_ALERTS": "off"})
    assert triggers["orders-expire"] == Every(10)
    assert triggers["rollup-check"] == DailyAt(3, 30)
    assert triggers["kiosk-alerts"] is None
    scheduler = build_scheduler(object(), object(), object(), triggers)  # type: ignore[arg-type]
    assert "kiosk-alerts" not in {job.id for job in scheduler.get_jobs()}
    for wrong in ("0", "-5", "25:00", "soon"):
        with pytest.raises(ValueError, match="DONGXI_JOB_NONCES_PRUNE"):
            schedule({"DONGXI_JOB_NONCES_PRUNE": wrong})


def _attempts(window: timedelta, until: timedelta) -> list[timedelta]:
    """The ages at which runs every `window` send a refund again."""
    ages, age = [], timedelta(0)
    while age <= until:
        if retry_due(age, window=window, first=timedelta(minutes=2), cap=timedelta(hours=1)):
            ages.append(age)
        age += window
    return ages


def test_a_refund_is_sent_again_at_doubling_ages_then_hourly() -> None:
    minute = timedelta(minutes=1)
    assert _attempts(minute, timedelta(hours=3)) == [m * minute for m in (2, 4, 8, 16, 32, 60, 120, 180)]
    # Runs every 5 minutes fall between the moments: each moment is still caught once, by the next run.
    assert _attempts(5 * minute, timedelta(hours=2)) == [m * minute for m in (5, 10, 20, 35, 60, 120)]


def test_previous_period_crosses_the_year() -> None:
    assert previous_period("2026-01") == "2025-12"
    assert previous_period("2026-11") == "2026-10"


def test_lock_keys_are_stable_distinct_signed_64_bit_numbers() -> None:
    keys = {job.name: lock_key(job.name) for job in JOBS}
    assert len(set(keys.values())) == len(JOBS)
    assert all(-(2**63) <= k < 2**63 for k in keys.values())
    assert lock_key("orders-expire") == lock_key("orders-expire")  # not Python's per-process hash()


@given(
    window_s=st.integers(min_value=5, max_value=900),
    offset_s=st.integers(min_value=0, max_value=900),
)
def test_runs_at_any_interval_catch_each_retry_moment_in_one_run(window_s: int, offset_s: int) -> None:
    first, cap, window = timedelta(minutes=2), timedelta(hours=1), timedelta(seconds=window_s)
    moments = [first * 2**k for k in range(5)] + [cap * m for m in range(1, 4)]  # 2 … 32 min, 1 h, 2 h, 3 h
    runs = [timedelta(seconds=offset_s) + window * k for k in range(int(timedelta(hours=3) / window) + 2)]
    for moment in moments:
        if moment <= runs[0] - window:
            continue  # before the first run's window: the refund was not yet waiting for these runs
        catching = [age for age in runs if age - window < moment <= age]
        assert len(catching) == 1, (moment, catching)
        assert retry_due(catching[0], window=window, first=first, cap=cap)
    due = [age for age in runs if retry_due(age, window=window, first=first, cap=cap)]
    assert all(any(age - window < m <= age for m in moments) for age in due)  # and no other run
