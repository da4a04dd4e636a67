"""What each device request costs the database, against a budget written next to it.

The budgets are the hot path's contract (issue 10): one transaction per device request (the
provider's call after it commits, its answer recorded in one more), and a handful of statements
each. A purchase is the kiosk's whole visit: session, the shopper paying (the simulated
provider's pay endpoint stands in for the phone and the provider's notification), the kiosk's
poll and the vend report. Statements are counted as SQLAlchemy sends them (tests/query_counter.py);
the simulated provider's own bookkeeping (3 statements per call, in its own transaction) is part
of the count, as it is part of the server's work in the embedded default.

Budgets, per request (statements / transactions), as PostgreSQL counts them (SQLite a little more, below),
with the device's key in the app's cache (a cold key costs one query more, once per TTL). They are
the embedded default's, whose nonces are in the database; with REDIS_URL set (production, the
benchmarks) the nonce goes to Redis instead, and every device request costs one statement less
(REDIS_BUDGET below: a 304 is the catalogue version read alone).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.api.kiosk.conftest import pay, stocked_slots
from tests.query_counter import count_queries

BUDGET = {
    "catalogue 304": (2, 1),  # nonce · catalogue version, with whether any hold here lapsed
    "catalogue 200": (5, 1),  # … · kiosk and partner names · slots with products · availability
    "heartbeat": (3, 1),  # nonce · device row · catalogue version
    # nonce · slots+products · order, its event, its lines · balances locked (and any lapsed hold on
    # them) · one UPDATE holding every line · holds · payment · catalogue version | simulated
    # provider (3) | payment's reference
    "session, 2 lines": (14, 3),
    # The same naming products, as the touch screen sends them: + the lapsed holds of the kiosk and
    # its stock per slot (the planogram, whose slots the session then uses) to split them over slots
    "session, 2 product lines": (16, 3),
    # simulated provider (2) | event claimed · payment · order+lines · balances · holds · one UPDATE
    # selling every hold · holds fulfilled · movements · payment · order · event · commission ·
    # revenue · rollup (a sale of held units leaves the catalogue as it was)
    "pay": (16, 2),
    "poll": (2, 1),  # nonce · order with lines
    "vend results, all dispensed": (4, 1),  # nonce · order locked · order · its event
}
# The four steps together: 31 of dongxi's own statements and 5 of the simulated provider's.
# Before issue 10: 99 statements, 24 transactions.
PURCHASE_BUDGET = (36, 7)
# With the nonces in Redis (production), the three device requests of a purchase each send one less.
PURCHASE_BUDGET_REDIS = (33, 7)
# With the nonces in Redis (REDIS_URL): the same, less the nonce's INSERT.
REDIS_BUDGET = {
    "catalogue 304": (1, 1),  # catalogue version, with whether any hold here lapsed
    "catalogue 200": (4, 1),  # … · kiosk and partner names · slots with products · availability
}
# SQLite writes the rows of a multi-row INSERT one by one where their ids come back (a second order
# line and hold; a second movement and revenue entry).
SQLITE_EXTRA = {"session, 2 lines": 2, "session, 2 product lines": 2, "pay": 2}


def within(counts, name: str, engine, budget=BUDGET) -> None:  # type: ignore[no-untyped-def]
    statements, transactions = budget[name]
    if engine.dialect.name == "sqlite":
        statements += SQLITE_EXTRA.get(name, 0)
    assert counts.total <= statements and counts.transactions <= transactions, f"{name}: {counts}"
    assert counts.savepoints == 0, f"{name} opened a savepoint: {counts}"


@pytest.fixture
def warm_kiosk(vend_kiosk):  # type: ignore[no-untyped-def]
    """The vend kiosk, its key already looked up once (as every kiosk's is, but once per TTL)."""
    assert vend_kiosk.post("/heartbeat", {"software_version": "1.0", "door": "closed"}).status_code == 200
    return vend_kiosk


def test_catalogue_sync_costs_a_few_indexed_reads(warm_kiosk, engine) -> None:
    vend_kiosk = warm_kiosk
    with count_queries(engine) as full:
        first = vend_kiosk.get("/catalogue")
    assert first.status_code == 200
    within(full, "catalogue 200", engine)
    with count_queries(engine) as hit:
        again = vend_kiosk.get("/catalogue", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    within(hit, "catalogue 304", engine)


def test_with_the_nonces_in_redis_a_304_is_one_indexed_read(redis_kiosk, engine, session) -> None:  # type: ignore[no-untyped-def]
    assert redis_kiosk.post("/heartbeat", {"software_version": "1.0", "door": "closed"}).status_code == 200
    with count_queries(engine) as full:
        first = redis_kiosk.get("/catalogue")
    assert first.status_code == 200
    within(full, "catalogue 200", engine, REDIS_BUDGET)
    with count_queries(engine) as hit:
        again = redis_kiosk.get("/catalogue", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    within(hit, "catalogue 304", engine, REDIS_BUDGET)
    assert not any("device_nonces" in sql for sql in full.statements + hit.statements)


def test_with_the_nonces_in_redis_a_purchase_sends_three_statements_less(
    redis_app, redis_kiosk, engine
) -> None:
    assert redis_kiosk.post("/heartbeat", {"software_version": "1.0", "door": "closed"}).status_code == 200
    a, b = stocked_slots(redis_kiosk)[:2]
    lines = [{"slot": a["slot"], "qty": 2}, {"slot": b["slot"], "qty": 1}]
    with count_queries(engine) as counts:
        order = redis_kiosk.post("/sessions", {"lines": lines}).get_json()
        assert pay(redis_app.test_client(), order["payment"]["qr_payload"]).status_code == 200
        assert redis_kiosk.get(f"/orders/{order['order_id']}").get_json()["status"] == "paid"
        report = {
            "report_id": str(uuid.uuid4()),
            "results": [
                {"slot": a["slot"], "requested": 2, "dispensed": 2},
                {"slot": b["slot"], "requested": 1, "dispensed": 1},
            ],
        }
        done = redis_kiosk.post(f"/orders/{order['order_id']}/vend-results", report)
    assert done.get_json()["status"] == "completed"
    extra = sum(SQLITE_EXTRA.values()) if engine.dialect.name == "sqlite" else 0
    assert counts.total <= PURCHASE_BUDGET_REDIS[0] + extra, counts
    assert counts.transactions <= PURCHASE_BUDGET_REDIS[1], counts
    assert not any("device_nonces" in sql for sql in counts.statements)


def test_a_heartbeat_is_one_short_transaction(warm_kiosk, engine) -> None:
    vend_kiosk = warm_kiosk
    with count_queries(engine) as counts:
        response = vend_kiosk.post("/heartbeat", {"software_version": "1.0", "door": "closed"})
    assert response.status_code == 200
    within(counts, "heartbeat", engine)


def test_a_two_line_purchase_stays_within_its_budget(client, warm_kiosk, engine) -> None:
    vend_kiosk = warm_kiosk
    a, b = stocked_slots(vend_kiosk)[:2]
    lines = [{"slot": a["slot"], "qty": 2}, {"slot": b["slot"], "qty": 1}]
    with count_queries(engine) as session_counts:
        started = vend_kiosk.post("/sessions", {"lines": lines})
    assert started.status_code == 201, started.get_json()
    order = started.get_json()
    within(session_counts, "session, 2 lines", engine)

    with count_queries(engine) as pay_counts:
        assert pay(client, order["payment"]["qr_payload"]).status_code == 200
    within(pay_counts, "pay", engine)

    with count_queries(engine) as poll_counts:
        assert vend_kiosk.get(f"/orders/{order['order_id']}").get_json()["status"] == "paid"
    within(poll_counts, "poll", engine)

    report = {
        "report_id": str(uuid.uuid4()),
        "results": [
            {"slot": a["slot"], "requested": 2, "dispensed": 2},
            {"slot": b["slot"], "requested": 1, "dispensed": 1},
        ],
    }
    with count_queries(engine) as vend_counts:
        done = vend_kiosk.post(f"/orders/{order['order_id']}/vend-results", report)
    assert done.get_json()["status"] == "completed"
    within(vend_counts, "vend results, all dispensed", engine)

    steps = (session_counts, pay_counts, poll_counts, vend_counts)
    total = sum(c.total for c in steps), sum(c.transactions for c in steps)
    extra = sum(SQLITE_EXTRA.values()) if engine.dialect.name == "sqlite" else 0
    assert total[0] <= PURCHASE_BUDGET[0] + extra and total[1] <= PURCHASE_BUDGET[1], total


def test_a_session_naming_products_stays_within_its_budget(warm_kiosk, engine) -> None:
    by_sku = {slot["product"]["sku"]: slot for slot in reversed(stocked_slots(warm_kiosk))}
    a, b = list(by_sku.values())[:2]  # two different products
    lines = [{"sku": a["product"]["sku"], "qty": 2}, {"sku": b["product"]["sku"], "qty": 1}]
    with count_queries(engine) as counts:
        started = warm_kiosk.post("/sessions", {"lines": lines})
    assert started.status_code == 201, started.get_json()
    # Split over slots the server chose: per slot, as a slot request is answered.
    held = [(line["sku"], line["qty"]) for line in started.get_json()["lines"]]
    assert sum(q for sku, q in held if sku == a["product"]["sku"]) == 2, held
    assert sum(q for sku, q in held if sku == b["product"]["sku"]) == 1, held
    within(counts, "session, 2 product lines", engine)


def test_a_failed_request_still_uses_up_its_nonce(vend_kiosk) -> None:
    prepared = vend_kiosk.signed("POST", "/api/v1/kiosk/sessions", {"lines": [{"slot": "Z9", "qty": 1}]})
    assert vend_kiosk.send(prepared).status_code == 422  # unknown slot: the request's work rolls back
    replay = vend_kiosk.send(prepared)
    assert replay.status_code == 401 and replay.get_json()["error"]["code"] == "replayed"


def test_a_key_revoked_elsewhere_stops_working_within_the_cache_ttl(app, vend_kiosk, session, clock) -> None:
    from kiosk_api.kiosks import service as kiosks

    assert vend_kiosk.get("/catalogue").status_code == 200  # the key is now cached by this app
    kiosks.revoke(session, "FZ-0001")  # as `dongxi kiosks revoke` does, from another process
    session.commit()
    ttl = timedelta(seconds=app.config["DEVICE_KEY_TTL_SECONDS"])
    assert ttl <= timedelta(seconds=10)
    clock.advance(seconds=ttl.total_seconds() - 1)
    assert vend_kiosk.get("/catalogue").status_code == 200  # still trusted, within the TTL
    clock.advance(seconds=1)
    refused = vend_kiosk.get("/catalogue")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unknown_key"


def test_a_key_forgotten_in_this_process_stops_at_once(app, vend_kiosk, session) -> None:
    from kiosk_api.kiosks import service as kiosks

    assert vend_kiosk.get("/catalogue").status_code == 200
    kiosks.revoke(session, "FZ-0001")
    session.commit()
    app.extensions["dongxi.device_keys"].forget()
    assert vend_kiosk.get("/catalogue").status_code == 401


@pytest.mark.parametrize("change", ["hold", "price", "slot", "lapsed hold", "new day"])
def test_the_catalogue_etag_changes_with_what_the_catalogue_shows(
    change: str, client, auth, vend_kiosk, clock
) -> None:
    first = vend_kiosk.get("/catalogue")
    tag, body = first.headers["ETag"], first.get_json()
    (a,) = stocked_slots(vend_kiosk)[:1]
    if change in ("hold", "lapsed hold"):
        started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]})
        assert started.status_code == 201
        if change == "lapsed hold":
            during = vend_kiosk.get("/catalogue")
            tag, body = during.headers["ETag"], during.get_json()
            clock.advance(minutes=10)  # the hold lapses; nothing but time has changed
    elif change == "price":
        response = client.patch(
            f"/api/v1/products/{a['product']['id']}",
            json={"price_fen": a["product"]["price_fen"] + 100},
            headers=auth("operator"),
        )
        assert response.status_code == 200, response.get_json()
    elif change == "slot":
        response = client.patch(
            f"/api/v1/inventory/locations/FZ-0001/slots/{a['slot']}",
            json={"capacity": a["capacity"] + 1, "par_level": 1},
            headers=auth("operator"),
        )
        assert response.status_code == 200, response.get_json()
    else:
        clock.advance(days=1)
    changed = vend_kiosk.get("/catalogue", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert change == "new day" or changed.get_json() != body
    # …and the new tag is the one that answers 304 now.
    assert vend_kiosk.get("/catalogue", headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304
