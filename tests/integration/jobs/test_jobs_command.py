"""`dongxi jobs list` and `dongxi jobs run NAME`: one job once, its result printed, exit 1 when it
failed or found errors (click's CliRunner, on the test's database and clock)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kiosk_api.cli import Context, main
from kiosk_api.jobs import money
from kiosk_api.jobs.registry import JOBS
from tests.api.kiosk.conftest import stocked_slots


@pytest.fixture
def invoke(db, clock, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """invoke("jobs", "run", NAME) → the result, with the command's Context on the test's db and clock."""
    monkeypatch.setenv("DONGXI_VAR_DIR", str(tmp_path))

    def run(*args: str):  # type: ignore[no-untyped-def]
        context = Context()
        context._db, context.clock = db, clock
        return CliRunner().invoke(main, list(args), obj=context)

    return run


def test_jobs_list_shows_every_job_with_its_schedule(invoke, monkeypatch) -> None:
    monkeypatch.setenv("DONGXI_JOB_NONCES_PRUNE", "off")
    result = invoke("jobs", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [job.name for job in JOBS]
    assert "every 30 s" in lines[0] and "DONGXI_JOB_ORDERS_EXPIRE" in lines[0]
    by_name = {line.split()[0]: line for line in lines}
    assert "daily at 02:00 Asia/Shanghai" in by_name["rollup-check"]
    assert "daily at 10:30 Asia/Shanghai" in by_name["payments-bills"]
    assert "nonces-prune         off" in result.output


def test_jobs_run_expires_a_lapsed_order_once_and_says_so(invoke, clock, vend_kiosk) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    clock.advance(seconds=181)

    first = invoke("jobs", "run", "orders-expire")
    assert first.exit_code == 0, first.output
    assert first.output.startswith("job orders-expire done in ") and first.output.endswith(": expired 1\n")
    again = invoke("jobs", "run", "orders-expire")
    assert again.exit_code == 0 and again.output.endswith(": expired 0\n")
    assert vend_kiosk.get(f"/orders/{started['order_id']}").get_json()["status"] == "expired"


def test_jobs_run_exits_non_zero_when_the_job_fails(invoke, monkeypatch) -> None:
    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the ledger is unreachable")

    monkeypatch.setattr(money, "check_answered_refunds", broken)
    result = invoke("jobs", "run", "payments-reconcile")
    assert result.exit_code == 1
    assert "job payments-reconcile failed" in result.output
    assert "RuntimeError: the ledger is unreachable" in result.output


def test_jobs_run_refuses_a_job_that_does_not_exist(invoke) -> None:
    result = invoke("jobs", "run", "orders-expyre")
    assert result.exit_code == 2 and "no job 'orders-expyre'" in result.output
