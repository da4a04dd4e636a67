"""Prometheus metrics: requests by route template, method and status, and the business figures.

Request metrics are counted in the process. Under gunicorn (`PROMETHEUS_MULTIPROC_DIR` set, by
`kiosk_api/gunicorn_conf.py`) every worker writes its own files there and a scrape sums them, so
whichever worker answers `/metrics` shows the whole server; without it (`dongxi serve`, tests) the
process's default registry. The business figures are read from the database at each scrape
(figures.py) and added after them."""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kiosk_api.observability.figures import BusinessFigures

REQUESTS = Counter(
    "dongxi_http_requests",
    "HTTP requests answered, by route template (never the raw path), method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "dongxi_http_request_duration_seconds",
    "Time to answer a request (until its response is ready), by route template, method and status",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "<unmatched>"  # a path no route knows (a 404): its text is the caller's, never a label


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request (no I/O: a few dictionary lookups and additions)."""
    labels = (route or UNMATCHED, method, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def request_metrics() -> bytes:
    """The request metrics in Prometheus's text format: every worker's, summed, under gunicorn."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


class _Figures(Collector):
    def __init__(self, figures: BusinessFigures | None) -> None:
        self.figures = figures

    def describe(self) -> list[Metric]:
        return []  # registered for one scrape only: no name to check against others

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("dongxi_business_figures_up", "1 if the business figures could be read")
        up.add_metric([], 0 if self.figures is None else 1)
        yield up
        f = self.figures
        if f is None:
            return
        orders = GaugeMetricFamily(
            "dongxi_orders", "Orders now in each status, by channel", labels=["channel", "status"]
        )
        for (channel, status), count in sorted(f.orders.items()):
            orders.add_metric([channel, status], count)
        yield orders
        refunds = GaugeMetricFamily(
            "dongxi_refunds",
            "Refunds pending (not yet settled) and failed (each retry is a new refund)",
            labels=["status"],
        )
        for status, count in sorted(f.refunds.items()):
            refunds.add_metric([status], count)
        yield refunds
        yield CounterMetricFamily(
            "dongxi_vend_failures",
            "Vend reports that left units in their slots (each refunded)",
            value=f.vend_failures,
        )
        yield GaugeMetricFamily(
            "dongxi_kiosks_active", "Cabinets with an active device key", value=f.kiosks_active
        )
        yield GaugeMetricFamily(
            "dongxi_kiosks_offline", "Active cabinets silent for more than 5 minutes", value=f.kiosks_offline
        )
        runs = CounterMetricFamily(
            "dongxi_job_runs", "Runs of each scheduled job (skipped ones not)", labels=["job"]
        )
        failures = CounterMetricFamily(
            "dongxi_job_failures", "Runs that failed or found errors, by job", labels=["job"]
        )
        finished = GaugeMetricFamily(
            "dongxi_job_last_finished_timestamp_seconds",
            "When each job's last run finished (Unix time)",
            labels=["job"],
        )
        for name, job in sorted(f.jobs.items()):
            runs.add_metric([name], job.runs)
            failures.add_metric([name], job.failures)
            if job.last_finished_at is not None:
                finished.add_metric([name], job.last_finished_at.timestamp())
        yield from (runs, failures, finished)


def business_metrics(figures: BusinessFigures | None) -> bytes:
    """The business figures in Prometheus's text format (None: they could not be read)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(figures))
    return generate_latest(registry)
