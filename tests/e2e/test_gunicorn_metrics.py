"""Under gunicorn (`dongxi serve --production`'s config) every worker counts its own requests in
Prometheus's multiprocess files and `/metrics`, whichever worker answers it, shows their sum; the
request log is the app's JSON line per request, gunicorn's own access log is off."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from kiosk_api import migrate
from tests.e2e.test_embedded_run import free_port
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HEALTHZ = {"route": "/healthz", "method": "GET", "status": "200"}


def healthz_count(samples_of) -> float:  # type: ignore[no-untyped-def]
    for family in samples_of:
        for sample in family.samples:
            if sample.name == "dongxi_http_requests_total" and sample.labels == HEALTHZ:
                return sample.value
    return 0.0


def per_worker(metrics_dir: Path, pids: list[int]) -> dict[int, float]:
    """Each worker's own count of /healthz requests, read from its own file alone."""
    counts = {}
    for pid in pids:
        path = metrics_dir / f"counter_{pid}.db"
        counts[pid] = healthz_count(MultiProcessCollector.merge([str(path)])) if path.exists() else 0.0
    return counts


def test_two_gunicorn_workers_are_summed_by_metrics_and_log_one_line_per_request(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dongxi.db'}"
    migrate.upgrade(url)
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by an earlier server")  # cleaned at start
    log_file = tmp_path / "requests.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": url,
        "SECRET_KEY": "gunicorn-test-secret",
        "DONGXI_VAR_DIR": str(tmp_path),
        "DONGXI_BIND": f"127.0.0.1:{port}",
        "DONGXI_WORKERS": "2",
        "DONGXI_THREADS": "4",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "DONGXI_REQUEST_LOG": str(log_file),
    }
    command = [str(BIN / "gunicorn"), "--config", str(REPO / "kiosk_api" / "gunicorn_conf.py")]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
            try:
                # Long enough that no probe is given up on while a worker boots (it would still count).
                return requests.get(f"{base}/healthz", timeout=30).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, "gunicorn answers /healthz", timeout=60)
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")

        def workers() -> list[int]:
            found = [int(pid) for pid in children.read_text().split()]
            return found if len(found) == 2 else []

        pids = wait_until(workers, "two workers", timeout=60)
        assert not (metrics_dir / "counter_999999.db").exists()

        sent = 1  # the probe that saw it up
        ids = []

        def one(i: int) -> str:
            # A new connection each time (no keep-alive), so either worker may accept it.
            response = requests.get(
                f"{base}/healthz", headers={"Connection": "close", "X-Request-ID": f"mp-{i}"}, timeout=5
            )
            assert response.status_code == 200 and response.headers["X-Request-ID"] == f"mp-{i}"
            return response.headers["X-Request-ID"]

        with ThreadPoolExecutor(8) as pool:
            while not all(c > 0 for c in per_worker(metrics_dir, pids).values()):
                assert sent < 2000, f"one worker took every request: {per_worker(metrics_dir, pids)}"
                ids += pool.map(one, range(sent, sent + 16))
                sent += 16
        counts = per_worker(metrics_dir, pids)
        assert all(c > 0 for c in counts.values()) and sum(counts.values()) == sent, counts

        scraped = requests.get(f"{base}/metrics", timeout=10)
        assert scraped.status_code == 200
        assert healthz_count(text_string_to_metric_families(scraped.text)) == sent

        def logged() -> list[dict]:
            lines = log_file.read_text().splitlines() if log_file.exists() else []
            return [json.loads(line) for line in lines] if len(lines) >= sent + 1 else []

        lines = wait_until(logged, "a line per request in the request log", timeout=60)
        assert [line["route"] for line in lines].count("/healthz") == sent
        assert {line["request_id"] for line in lines} >= set(ids)
        assert len(lines) == sent + 1  # /healthz × sent and the /metrics scrape: one line each
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert "GET /healthz" not in output  # gunicorn's own access log is off
