"""`/metrics` after a real purchase through the signed device API: the request counters of the
routes it went through (by route template, never the path) and the business figures."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.api.kiosk.conftest import pay, stocked_slots
from tests.api.observability.conftest import scrape, value
from tests.query_counter import count_queries

SESSIONS = "/api/v1/kiosk/sessions"
ORDER = "/api/v1/kiosk/orders/<string:order_id>"
VEND = "/api/v1/kiosk/orders/<string:order_id>/vend-results"
PAY = "/api/v1/pay/<string:token>/simulate"
REQUESTS = "dongxi_http_requests_total"


def _purchase(client, kiosk, *, jam: bool) -> str:  # type: ignore[no-untyped-def]
    """A two-line vend purchase, paid; with `jam` the second slot dispenses nothing."""
    assert kiosk.post("/heartbeat", {"software_version": "1.0", "door": "closed"}).status_code == 200
    a, b = stocked_slots(kiosk)[:2]
    started = kiosk.post(
        "/sessions", {"lines": [{"slot": a["slot"], "qty": 1}, {"slot": b["slot"], "qty": 1}]}
    )
    assert started.status_code == 201, started.get_json()
    order = started.get_json()
    assert pay(client, order["payment"]["qr_payload"]).status_code == 200
    assert kiosk.get(f"/orders/{order['order_id']}").get_json()["status"] == "paid"
    second = {"slot": b["slot"], "requested": 1, "dispensed": 0 if jam else 1}
    if jam:
        second["error"] = "motor_jam"
    report = {
        "report_id": str(uuid.uuid4()),
        "results": [{"slot": a["slot"], "requested": 1, "dispensed": 1}, second],
    }
    done = kiosk.post(f"/orders/{order['order_id']}/vend-results", report)
    assert done.status_code == 200, done.get_json()
    return order["order_id"]


def test_metrics_count_a_kiosk_purchase_by_route_and_show_the_business_figures(client, vend_kiosk) -> None:
    before = scrape(client)
    order_id = _purchase(client, vend_kiosk, jam=False)
    after = scrape(client)

    def grew(route: str, method: str, status: str) -> float:
        labels = {"route": route, "method": method, "status": status}
        return value(after, REQUESTS, **labels) - value(before, REQUESTS, **labels)

    assert grew(SESSIONS, "POST", "201") == 1
    assert grew(PAY, "POST", "200") == 1
    assert grew(ORDER, "GET", "200") == 1
    assert grew(VEND, "POST", "200") == 1
    assert grew("/metrics", "GET", "200") == 1  # the first scrape, counted once it was answered
    # Latency by the same labels; no label is ever a raw path (order ids and pay tokens live in them).
    count = "dongxi_http_request_duration_seconds_count"
    labels = {"route": SESSIONS, "method": "POST", "status": "201"}
    assert value(after, count, **labels) - value(before, count, **labels) == 1
    routes = {dict(labels)["route"] for (_name, labels) in after if "route" in dict(labels)}
    assert not any(order_id in route for route in routes)

    assert value(after, "dongxi_business_figures_up") == 1
    completed = {"channel": "kiosk", "status": "completed"}
    assert value(after, "dongxi_orders", **completed) == value(before, "dongxi_orders", **completed) + 1
    assert value(after, "dongxi_kiosks_active") == 1  # FZ-0001 is the one provisioned cabinet
    assert value(after, "dongxi_kiosks_offline") == 0  # it just sent a heartbeat
    assert value(after, "dongxi_vend_failures_total") == value(before, "dongxi_vend_failures_total")
    for job in ("orders-expire", "refunds-retry", "rollup-check"):
        assert ("dongxi_job_runs_total", (("job", job),)) in after
        assert ("dongxi_job_failures_total", (("job", job),)) in after


def test_a_jammed_slot_counts_as_a_vend_failure_and_a_silent_kiosk_as_offline(
    client, vend_kiosk, clock
) -> None:
    before = scrape(client)
    _purchase(client, vend_kiosk, jam=True)
    after = scrape(client)
    assert value(after, "dongxi_vend_failures_total") == value(before, "dongxi_vend_failures_total") + 1
    partly = {"channel": "kiosk", "status": "partially_refunded"}
    assert value(after, "dongxi_orders", **partly) == value(before, "dongxi_orders", **partly) + 1
    clock.advance(seconds=6 * 60)  # no heartbeat for six minutes
    assert value(scrape(client), "dongxi_kiosks_offline") == 1


def test_refunds_pending_and_failed_are_counted(client, vend_kiosk, session) -> None:
    before = scrape(client)
    order_id = _purchase(client, vend_kiosk, jam=True)  # refunds the jammed unit
    refund = text(
        "UPDATE refunds SET status = :status"
        " WHERE payment_id IN (SELECT id FROM payments WHERE order_id = :o)"
    )
    session.execute(refund, {"status": "pending", "o": order_id})  # as if the provider had not answered
    session.commit()
    pending = scrape(client)
    assert (
        value(pending, "dongxi_refunds", status="pending")
        == value(before, "dongxi_refunds", status="pending") + 1
    )
    session.execute(refund, {"status": "failed", "o": order_id})
    session.commit()
    failed = scrape(client)
    assert (
        value(failed, "dongxi_refunds", status="failed")
        == value(before, "dongxi_refunds", status="failed") + 1
    )
    assert value(failed, "dongxi_refunds", status="pending") == value(
        before, "dongxi_refunds", status="pending"
    )


def test_job_runs_and_failures_come_from_the_job_runs_table(client, session) -> None:
    session.execute(
        text(
            "INSERT INTO job_runs (name, runs, failures, last_status) VALUES ('orders-expire', 7, 2, 'done')"
        )
    )
    session.commit()
    samples = scrape(client)
    assert value(samples, "dongxi_job_runs_total", job="orders-expire") == 7
    assert value(samples, "dongxi_job_failures_total", job="orders-expire") == 2
    assert value(samples, "dongxi_job_runs_total", job="holds-release") == 0


def test_the_hooks_add_no_sql_to_a_request(client, engine) -> None:
    with count_queries(engine) as counts:
        assert client.get("/healthz").status_code == 200
        assert client.get("/no/such/page").status_code == 404
    assert counts.total == 0 and counts.transactions == 0, counts


def test_metrics_answer_without_the_business_figures_when_the_database_is_away(clock) -> None:
    from kiosk_api import create_app

    app = create_app(
        {
            "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=2",
            "CLOCK": clock,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
        }
    )
    samples = scrape(app.test_client())
    assert value(samples, "dongxi_business_figures_up") == 0
    assert ("dongxi_orders", ()) not in samples
