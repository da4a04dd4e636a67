"""A `dongxi jobs run orders-expire` process SIGKILLed half-way is finished by the next run (the
in-process variant is tests/integration/jobs/test_job_resume.py).

Three kiosk orders lapse; the job expires them oldest first, each in a unit of work of its own and
then cancels its payment at the (simulated) provider. The test holds the provider's row of the
second order's payment FOR UPDATE, so the job stops there with the first order done and the second
expired (committed) but its payment still open; it is killed there. Its advisory lock goes with its
connection, so the next run is not skipped: it expires the third, and payments-reconcile cancels
the payment the dead run left open. Each order expired once, every hold released. (The next runs
are made in the test's process: a second `dongxi` start would add seconds and prove nothing more.)"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from core.clock import SystemClock
from core.db import Database, make_engine
from kiosk_api import create_app
from kiosk_api.jobs.registry import BY_NAME, run_job
from tests.api.kiosk.conftest import SignedKiosk
from tests.failure.conftest import DATABASE, SECRET_KEY, Seeded
from tests.failure.processes import BIN, REPO, WAIT, PrivatePostgres, process_with_local_port, wait_until
from tests.integration.inventory.factories import ledger_problems

pytestmark = pytest.mark.failure

ORDERS = 3


def _dongxi(cluster: PrivatePostgres, *args: str, **popen: object) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        "DATABASE_URL": cluster.url(DATABASE),
        "SECRET_KEY": SECRET_KEY,
        "PAYMENT_PROVIDER": "simulated",
        "REDIS_URL": "",
    }
    return subprocess.Popen(
        [str(BIN / "dongxi"), *args], env=env, cwd=REPO, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, **popen,
    )  # fmt: skip


def test_a_job_run_killed_half_way_is_finished_by_the_next_run(
    seeded: Seeded, postgres: PrivatePostgres, tmp_path: Path
) -> None:
    db = Database(make_engine(postgres.url(DATABASE)))
    clock = SystemClock()
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": SECRET_KEY, "KIOSK_HOLD_SECONDS": 1,
                      "PAYMENT_PROVIDER": "simulated", "DONGXI_VAR_DIR": str(tmp_path)})  # fmt: skip
    kiosk = SignedKiosk(app.test_client(), clock, seeded.key_id, seeded.secret)
    slot = next(s["slot"] for s in kiosk.get("/catalogue").get_json()["slots"] if s["available"] >= ORDERS)
    ids = []
    for _ in range(ORDERS):
        started = kiosk.post("/sessions", {"lines": [{"slot": slot, "qty": 1}]})
        assert started.status_code == 201, started.get_data(as_text=True)
        ids.append(started.get_json()["order_id"])

    with postgres.connect(DATABASE, autocommit=True) as watch:

        def states() -> list[tuple[str, str]]:
            rows = dict(
                watch.execute(
                    "SELECT o.id, o.status || '/' || (s.record->>'status') FROM orders o"
                    " JOIN payments p ON p.order_id = o.id JOIN simulated_payments s"
                    " ON s.provider_ref = p.provider_ref WHERE o.id = ANY(%s)",
                    (ids,),
                ).fetchall()
            )
            return [tuple(rows[i].split("/")) for i in ids]  # type: ignore[misc]

        lapsed = "SELECT bool_and(expires_at < now()) FROM orders WHERE id = ANY(%s)"
        wait_until(lambda: watch.execute(lapsed, (ids,)).fetchone()[0], "the orders lapsed")
        second_ref = watch.execute(
            "SELECT provider_ref FROM payments WHERE order_id = %s", (ids[1],)
        ).fetchone()[0]

        with postgres.connect(DATABASE) as holder:
            holder.execute(
                "SELECT 1 FROM simulated_payments WHERE provider_ref = %s FOR UPDATE", (second_ref,)
            )
            job = _dongxi(postgres, "jobs", "run", "orders-expire")
            try:
                waiting = (
                    "SELECT pid, client_port FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))"
                )
                pid, port = wait_until(
                    lambda: watch.execute(waiting, (holder.info.backend_pid,)).fetchone(),
                    "the job waiting on the second order's payment at the provider",
                )
                assert process_with_local_port([job.pid], port) == job.pid
                job.send_signal(signal.SIGKILL)
                job.wait(timeout=WAIT)
            finally:
                if job.poll() is None:
                    job.kill()
                    job.wait(timeout=WAIT)
            assert job.returncode == -signal.SIGKILL
            holder.rollback()
        gone = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s"
        wait_until(lambda: watch.execute(gone, (pid,)).fetchone()[0] == 0, "the killed job's backend ended")
        # The first order done; the second expired (committed) with its payment still open at the
        # provider; the third never reached.
        assert states() == [
            ("expired", "canceled"),
            ("expired", "requires_payment"),
            ("awaiting_payment", "requires_payment"),
        ]

        # The next runs (in this process: what matters is that the killed one left them all to do).
        provider = app.extensions["dongxi.payments"]
        again = run_job(BY_NAME["orders-expire"], db, clock, provider)
        assert (again.status, again.result) == ("done", {"expired": 1})  # not skipped: the lock went
        reconciled = run_job(BY_NAME["payments-reconcile"], db, clock, provider)
        assert reconciled.status == "done" and reconciled.result["repaired"] == 1
        assert states() == [("expired", "canceled")] * ORDERS
        expired_events = (
            "SELECT order_id, count(*) FROM order_events WHERE order_id = ANY(%s) AND to_status = 'expired'"
            " GROUP BY order_id"
        )
        assert dict(watch.execute(expired_events, (ids,)).fetchall()) == dict.fromkeys(ids, 1)
    with Session(db.engine) as session:
        assert ledger_problems(session) == []
    db.engine.dispose()
