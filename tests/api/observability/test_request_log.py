"""One JSON line per request on `dongxi.requests`, with its request id (the caller's, if sane, else
made, and echoed in X-Request-ID), its route template, status and duration, the kiosk or user — and
never a token, a query string or a secret."""

from __future__ import annotations

import json
import re
from datetime import datetime

from tests.api.kiosk.conftest import pay, stocked_slots


def test_each_request_logs_one_line_with_the_id_it_was_given(client, request_lines) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "lb-4f1c.7:a_b"})
    assert response.headers["X-Request-ID"] == "lb-4f1c.7:a_b"
    assert len(request_lines) == 1
    line = json.loads(request_lines[0])
    assert list(line) == ["time", "request_id", "method", "route", "status", "duration_ms", "remote_addr"]
    assert line["request_id"] == "lb-4f1c.7:a_b"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/healthz", 200)
    assert line["duration_ms"] >= 0
    assert datetime.fromisoformat(line["time"]).utcoffset().total_seconds() == 8 * 3600  # Asia/Shanghai


def test_a_request_without_a_sane_id_gets_a_new_one(client, request_lines) -> None:
    made = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    for insane in ("x" * 129, "id with spaces", "<script>", "ид"):
        echoed = client.get("/healthz", headers={"X-Request-ID": insane}).headers["X-Request-ID"]
        assert echoed != insane and re.fullmatch(r"[0-9a-f]{32}", echoed)
    ids = [json.loads(line)["request_id"] for line in request_lines]
    assert ids[0] == made and len(set(ids)) == 5


def test_a_pay_link_is_logged_by_its_route_never_its_token(client, vend_kiosk, request_lines) -> None:
    assert vend_kiosk.post("/heartbeat", {"software_version": "1.0", "door": "closed"}).status_code == 200
    slot = stocked_slots(vend_kiosk)[0]["slot"]
    order = vend_kiosk.post("/sessions", {"lines": [{"slot": slot, "qty": 1}]}).get_json()
    qr = order["payment"]["qr_payload"]
    token = qr.rstrip("/").rsplit("/", 1)[-1]
    request_lines.clear()
    page = client.get(f"/pay/{token}?lang=en&secret=hunter2", headers={"X-Request-ID": "pay-page-1"})
    assert page.status_code == 200
    assert pay(client, qr).status_code == 200
    assert len(request_lines) == 2
    logged = "\n".join(request_lines)
    assert token not in logged and "hunter2" not in logged and "lang" not in logged
    lines = [json.loads(line) for line in request_lines]
    assert lines[0]["request_id"] == "pay-page-1"
    assert [line["route"] for line in lines] == ["/pay/<string:token>", "/api/v1/pay/<string:token>/simulate"]


def test_a_device_request_names_its_kiosk_and_a_bearer_request_its_user(
    client, vend_kiosk, auth, tokens, request_lines
) -> None:
    assert vend_kiosk.post("/heartbeat", {"software_version": "1.0", "door": "closed"}).status_code == 200
    assert client.get("/api/v1/alerts", headers=auth("operator")).status_code == 200
    device, operator = (json.loads(line) for line in request_lines)
    assert device["kiosk"] == "FZ-0001" and "user" not in device
    assert isinstance(operator["user"], int) and "kiosk" not in operator
    logged = "\n".join(request_lines)
    assert tokens["operator"] not in logged and vend_kiosk.secret.decode() not in logged
    assert vend_kiosk.key_id not in logged  # the signature's headers are never read into the line


def test_a_refused_request_is_logged_with_the_status_it_was_answered(client, request_lines) -> None:
    refused = client.get("/api/v1/alerts", headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    first, second = (json.loads(line) for line in request_lines)
    assert (first["route"], first["status"]) == ("/api/v1/alerts", 401)
    assert (second["route"], second["status"]) == (None, 404)
    assert "not-a-token" not in "\n".join(request_lines)
