"""Only a cabinet's own, fresh, unreplayed signature gets in; it sees only its own orders."""

from __future__ import annotations

from core.clock import SHANGHAI
from tests.api.kiosk.conftest import stocked_slots


def test_a_replayed_request_is_refused(vend_kiosk) -> None:
    prepared = vend_kiosk.signed("GET", "/api/v1/kiosk/catalogue")
    assert vend_kiosk.send(prepared).status_code == 200
    replay = vend_kiosk.send(prepared)
    assert replay.status_code == 401 and replay.get_json()["error"]["code"] == "replayed"


def test_stale_and_future_signatures_are_refused(vend_kiosk, clock) -> None:
    prepared = vend_kiosk.signed("GET", "/api/v1/kiosk/catalogue")
    clock.advance(seconds=301)
    stale = vend_kiosk.send(prepared)
    assert stale.status_code == 401 and stale.get_json()["error"]["code"] == "signature_stale"
    clock.advance(seconds=120)
    prepared = vend_kiosk.signed("GET", "/api/v1/kiosk/catalogue")
    clock.advance(seconds=-120)
    future = vend_kiosk.send(prepared)
    assert future.status_code == 401 and future.get_json()["error"]["code"] == "signature_future"


def test_wrong_key_unknown_key_and_unsigned_requests_are_refused(client, vend_kiosk) -> None:
    wrong = vend_kiosk.send(vend_kiosk.signed("GET", "/api/v1/kiosk/catalogue", key=b"not-the-secret"))
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "bad_signature"
    unknown = vend_kiosk.send(vend_kiosk.signed("GET", "/api/v1/kiosk/catalogue", key_id="kiosk-nobody"))
    assert unknown.status_code == 401 and unknown.get_json()["error"]["code"] == "unknown_key"
    unsigned = client.get("/api/v1/kiosk/catalogue")
    assert unsigned.status_code == 401 and unsigned.get_json()["error"]["code"] == "signature_missing"


def test_a_tampered_body_is_refused(vend_kiosk) -> None:
    prepared = vend_kiosk.signed("POST", "/api/v1/kiosk/heartbeat", {"door": "closed"})
    prepared.body = b'{"door": "open"}'
    response = vend_kiosk.send(prepared)
    assert response.status_code == 401


def test_a_revoked_key_stops_working_and_rotation_issues_a_new_one(vend_kiosk, session, clock) -> None:
    from kiosk_api.kiosks import service as kiosks

    kiosks.revoke(session, "FZ-0001")
    session.commit()
    assert vend_kiosk.get("/catalogue").status_code == 401
    keys = kiosks.rotate(session, clock, "FZ-0001", secret_key="test-secret")
    session.commit()
    vend_kiosk.key_id, vend_kiosk.secret = keys["key_id"], keys["secret"].encode()
    assert vend_kiosk.get("/catalogue").status_code == 200


def test_a_kiosk_cannot_see_or_touch_another_kiosks_order(vend_kiosk, door_kiosk) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    order_id = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()["order_id"]
    assert door_kiosk.get(f"/orders/{order_id}").status_code == 404
    assert door_kiosk.post(f"/orders/{order_id}/cancel").status_code == 404
    assert (
        door_kiosk.post(
            f"/orders/{order_id}/vend-results",
            {"report_id": "x", "results": [{"slot": a["slot"], "requested": 1, "dispensed": 1}]},
        ).status_code
        == 404
    )
    assert vend_kiosk.get(f"/orders/{order_id}").status_code == 200


def test_catalogue_etag_gives_304_until_stock_changes(vend_kiosk) -> None:
    first = vend_kiosk.get("/catalogue")
    tag = first.headers["ETag"]
    assert first.get_json()["kiosk"]["code"] == "FZ-0001" and first.get_json()["kiosk"]["mode"] == "vend"
    assert vend_kiosk.get("/catalogue", headers={"If-None-Match": tag}).status_code == 304
    (a,) = stocked_slots(vend_kiosk)[:1]
    vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]})
    changed = vend_kiosk.get("/catalogue", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_heartbeat_records_state_and_silence_raises_an_alert(vend_kiosk, session, clock) -> None:
    from kiosk_api.kiosks import service as kiosks

    body = {
        "software_version": "1.0.0",
        "door": "closed",
        "temperature_c": 5.5,
        "outbox_depth": 0,
        "errors": [],
    }
    response = vend_kiosk.post("/heartbeat", body)
    assert response.status_code == 200 and response.get_json()["catalogue_etag"]
    assert not [a for a in kiosks.kiosk_alerts(session, clock) if a.location.code == "FZ-0001"]
    heard_at = clock.now()
    clock.advance(minutes=6)
    [alert] = [a for a in kiosks.kiosk_alerts(session, clock) if a.location.code == "FZ-0001"]
    assert alert.kind == "kiosk_offline"
    # The last heartbeat as an operator in China reads it, labelled.
    assert f"{heard_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 北京时间 Asia/Shanghai" in alert.message


def test_a_door_open_more_than_three_minutes_raises_an_alert(vend_kiosk, session, clock) -> None:
    from kiosk_api.kiosks import service as kiosks

    vend_kiosk.post("/heartbeat", {"door": "open"})
    clock.advance(minutes=2)
    vend_kiosk.post("/heartbeat", {"door": "open"})
    clock.advance(minutes=2)
    kinds = [a.kind for a in kiosks.kiosk_alerts(session, clock) if a.location.code == "FZ-0001"]
    assert kinds == ["door_open"]


def test_an_offline_kiosk_shows_in_the_operators_alerts(vend_kiosk, client, auth, clock) -> None:
    vend_kiosk.post("/heartbeat", {"door": "closed"})
    clock.advance(minutes=6)
    alerts = client.get("/api/v1/alerts", headers=auth("operator")).get_json()
    offline = [a for a in alerts if a["kind"] == "kiosk_offline" and a["location"] == "FZ-0001"]
    assert len(offline) == 1 and offline[0]["product"] is None


def test_the_console_dashboard_lists_an_open_door_and_an_offline_kiosk(vend_kiosk, client, clock) -> None:
    from tests.api.test_login import sign_in

    vend_kiosk.post("/heartbeat", {"door": "open"})
    clock.advance(minutes=6)  # silent for six minutes with the door open
    sign_in(client, "operator")
    response = client.get("/console/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "FZ-0001 离线" in html and "FZ-0001 柜门已开 6 分钟" in html


def test_a_signed_path_with_non_ascii_or_a_percent_is_verified(vend_kiosk) -> None:
    """Found by tests/fuzz: werkzeug's request.url leaves é and a %25's % decoded (and a %3A as ":"),
    so the verifier refused (401 bad_signature) a correctly signed request. Such a path is no order: 404."""
    for order_id in ("%C3%A9", "%25", "a%25b%C3%A9", "é", "a%3Ab", "%12%C2%9B"):
        response = vend_kiosk.get(f"/orders/{order_id}")
        assert response.status_code == 404, (order_id, response.get_json())
        assert response.get_json()["error"]["code"] == "order_not_found"
    assert vend_kiosk.get("/orders/abc?x=%25&y=%C3%A9").status_code == 404
