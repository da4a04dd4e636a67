"""A fake dongxi server speaking the kiosk device protocol, verifying every RFC 9421 signature."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from flask import Flask, Response, jsonify, request
from http_message_signatures import HTTPMessageVerifier, InvalidSignature, MappingKeyResolver, algorithms
from werkzeug.serving import BaseWSGIServer, make_server

from tests.kiosk_client.fake_catalogue import demo_catalogue, free_port, settle_door, settle_vend

SHANGHAI = timezone(timedelta(hours=8))
KEY_ID = "kiosk-FZ-0001"
SECRET = "s3cret-of-FZ-0001"
REQUIRED = ("@method", "@authority", "@target-uri")


class FakeKioskServer:
    """In-memory orders and reports; counts every report POST by report_id; refuses bad signatures."""

    def __init__(self, mode: str = "vend") -> None:
        self.keys = {KEY_ID: SECRET.encode()}
        self.catalogue = demo_catalogue(mode)
        self.orders: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, dict[str, Any]] = {}  # order_id → the accepted report and our answer
        self.report_posts: Counter[str] = Counter()  # report_id → POSTs received
        self.heartbeats: list[dict[str, Any]] = []
        self.log: list[dict[str, Any]] = []
        self.signature_failures: list[str] = []
        self.nonces: set[str] = set()
        self.hold_seconds = 180
        # throttle(): the next requests (to paths ending so) answer 429 with this Retry-After.
        self.throttled: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.app = self._build_app()
        self.port = free_port()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- running ---------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeKioskServer:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- what the "shopper's phone" and tests do ------------------------------------------------------
    @property
    def etag(self) -> str:
        return (
            '"' + hashlib.sha256(json.dumps(self.catalogue, sort_keys=True).encode()).hexdigest()[:16] + '"'
        )

    def set_status(self, order_id: str, status: str) -> None:
        with self.lock:
            self.orders[order_id]["status"] = status

    def pay(self, order_id: str) -> None:
        self.set_status(order_id, "paid" if self.orders[order_id]["kind"] == "vend" else "authorized")

    def add_order(self, kind: str, status: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
        """An order made earlier (e.g. while the test holds the server down)."""
        order = self._new_order(kind, status, sum(line["line_total_fen"] for line in lines), lines)
        return self.orders[order["order_id"]]

    def only_order(self) -> dict[str, Any]:
        assert len(self.orders) == 1, self.orders
        return next(iter(self.orders.values()))

    def throttle(self, path_end: str = "", retry_after: str = "1", times: int = 1) -> None:
        """The next `times` signed requests to a path ending in `path_end` answer 429, as dongxi's
        per-kiosk limit does: the JSON error body and `Retry-After: retry_after`."""
        with self.lock:
            self.throttled.extend([(path_end, retry_after)] * times)

    def requests_to(self, path_end: str) -> list[dict[str, Any]]:
        return [entry for entry in self.log if entry["path"].endswith(path_end)]

    # -- signatures --------------------------------------------------------------------------------------
    def verify(self) -> dict[str, Any]:
        """Verify the current request's signature and Content-Digest as the protocol requires."""
        message = SimpleNamespace(method=request.method, url=request.url, headers=request.headers)
        verifier = HTTPMessageVerifier(
            signature_algorithm=algorithms.HMAC_SHA256,
            key_resolver=MappingKeyResolver(public_keys=self.keys, private_keys={}),
        )
        body = request.get_data()
        result = verifier.verify(
            message, require_components=REQUIRED, body=body, max_age=timedelta(seconds=300)
        )[0]
        params = result.parameters
        if params.get("alg") != "hmac-sha256" or not result.nonce:
            raise InvalidSignature("alg and nonce are required")
        with self.lock:
            if result.nonce in self.nonces:
                raise InvalidSignature("replayed nonce")
            self.nonces.add(result.nonce)
        if body:
            expected = "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"
            if (
                request.headers.get("Content-Digest") != expected
                or '"content-digest"' not in result.covered_components
            ):
                raise InvalidSignature("content-digest missing or not covered")
        return {"keyid": params["keyid"], "covered": list(result.covered_components)}

    # -- the protocol --------------------------------------------------------------------------------------
    def _build_app(self) -> Flask:
        app = Flask("fake_dongxi")
        app.json.ensure_ascii = False  # type: ignore[attr-defined]

        def error(status: int, code: str, fields: dict[str, str] | None = None) -> tuple[Response, int]:
            return jsonify({"error": {"code": code, "message": code, "fields": fields or {}}}), status

        @app.before_request
        def authenticate() -> Any:
            entry = {
                "method": request.method,
                "path": request.path,
                "headers": dict(request.headers),
                "body": request.get_data(),
                "at": time.monotonic(),
            }
            try:
                entry["signature"] = self.verify()
            except InvalidSignature as exc:
                self.signature_failures.append(f"{request.method} {request.path}: {exc}")
                entry["signature"] = None
                self.log.append(entry)
                return error(401, "bad_signature")
            self.log.append(entry)
            with self.lock:
                match = next((t for t in self.throttled if request.path.endswith(t[0])), None)
                if match is not None:
                    self.throttled.remove(match)
            if match is not None:
                entry["answered"] = 429
                response, status = error(429, "rate_limited")
                response.headers["Retry-After"] = match[1]
                return response, status
            return None

        @app.after_request
        def close_connection(response: Response) -> Response:
            # No keep-alive: once stop() is called every request is refused, as on a real outage.
            response.headers["Connection"] = "close"
            return response

        @app.get("/api/v1/kiosk/catalogue")
        def catalogue() -> Any:
            if request.headers.get("If-None-Match") == self.etag:
                return Response(status=304, headers={"ETag": self.etag})
            response = jsonify(self.catalogue)
            response.headers["ETag"] = self.etag
            return response

        @app.post("/api/v1/kiosk/heartbeat")
        def heartbeat() -> Any:
            self.heartbeats.append(request.get_json())
            return jsonify({"server_time": datetime.now(SHANGHAI).isoformat(), "catalogue_etag": self.etag})

        @app.post("/api/v1/kiosk/sessions")
        def sessions() -> Any:
            key = request.headers.get("Idempotency-Key")
            if key and key in self.idempotency:
                return jsonify(self.idempotency[key]), 201
            lines = (request.get_json(silent=True) or {}).get("lines") or []
            if not lines:
                return error(422, "invalid", {"lines": "empty"})
            slots = {s["slot"]: s for s in self.catalogue["slots"]}
            priced = []
            lines = self._split_products(lines)
            if isinstance(lines, tuple):
                return error(*lines)
            for i, line in enumerate(lines):
                slot = slots.get(line.get("slot"))
                if slot is None or not isinstance(line.get("qty"), int) or line["qty"] < 1:
                    return error(422, "invalid", {f"lines.{i}.slot": "unknown"})
                if line["qty"] > slot["available"]:
                    return error(409, "out_of_stock", {f"lines.{i}.slot": "out of stock"})
                price = slot["product"]["price_fen"]
                priced.append(
                    {
                        "slot": line["slot"],
                        "sku": slot["product"]["sku"],
                        "qty": line["qty"],
                        "unit_price_fen": price,
                        "line_total_fen": price * line["qty"],
                    }
                )
            order = self._new_order(
                "vend", "awaiting_payment", sum(p["line_total_fen"] for p in priced), priced
            )
            if key:
                self.idempotency[key] = order
            return jsonify(order), 201

        @app.post("/api/v1/kiosk/door-sessions")
        def door_sessions() -> Any:
            order = self._new_order("door", "awaiting_authorization", 0, [])
            order["hold_fen"] = 20000
            return jsonify(order), 201

        @app.get("/api/v1/kiosk/orders/<order_id>")
        def get_order(order_id: str) -> Any:
            order = self.orders.get(order_id)
            if order is None:
                return error(404, "not_found")
            return jsonify(
                {k: order[k] for k in ("order_id", "status", "total_fen", "lines", "refunded_fen")}
            )

        @app.post("/api/v1/kiosk/orders/<order_id>/cancel")
        def cancel(order_id: str) -> Any:
            order = self.orders.get(order_id)
            if order is None:
                return error(404, "not_found")
            with self.lock:
                if order["status"] not in ("awaiting_payment", "awaiting_authorization"):
                    return error(409, "not_cancellable")
                order["status"] = "cancelled"
            return jsonify({"order_id": order_id, "status": "cancelled"})

        @app.post("/api/v1/kiosk/orders/<order_id>/vend-results")
        def vend_results(order_id: str) -> Any:
            return self._report(order_id, "paid", request.get_json(), settle_vend)

        @app.post("/api/v1/kiosk/orders/<order_id>/door-closed")
        def door_closed(order_id: str) -> Any:
            known = {s["slot"] for s in self.catalogue["slots"]}
            body = request.get_json()
            for i, taken in enumerate(body["taken"]):
                if taken["slot"] not in known:
                    with self.lock:
                        self.report_posts[body["report_id"]] += 1
                    return error(422, "unknown_slot", {f"taken.{i}.slot": "unknown"})
            return self._report(order_id, "authorized", body, lambda o, b: settle_door(self.catalogue, o, b))

        self._error = error
        return app

    def _split_products(self, lines: list[dict[str, Any]]) -> Any:
        """Product lines ({"sku", "qty"}) over the slots holding the sku with stock, as the server does."""
        split: list[dict[str, Any]] = []
        for i, line in enumerate(lines):
            if "sku" not in line:
                split.append(line)
                continue
            left = line["qty"]
            for slot in self.catalogue["slots"]:
                if slot["product"]["sku"] == line["sku"] and left:
                    take = min(left, slot["available"])
                    if take:
                        split.append({"slot": slot["slot"], "qty": take})
                        left -= take
            if left:
                return 409, "out_of_stock", {f"lines.{i}.sku": "out of stock"}
        return split

    def _new_order(self, kind: str, status: str, total: int, lines: list[dict[str, Any]]) -> dict[str, Any]:
        order_id = str(uuid.uuid4())
        order = {
            "order_id": order_id,
            "status": status,
            "total_fen": total,
            "lines": lines,
            "refunded_fen": 0,
            "expires_at": (datetime.now(SHANGHAI) + timedelta(seconds=self.hold_seconds)).isoformat(
                timespec="seconds"
            ),
            "payment": {
                "provider": "simulated",
                "qr_payload": f"http://127.0.0.1:5000/pay/{uuid.uuid4().hex}",
            },
        }
        with self.lock:
            self.orders[order_id] = {**order, "kind": kind}
        return order

    def _report(self, order_id: str, needed: str, body: dict[str, Any], settle: Any) -> Any:
        with self.lock:
            self.report_posts[body["report_id"]] += 1
            order = self.orders.get(order_id)
            if order is None:
                return self._error(404, "not_found")
            accepted = self.reports.get(order_id)
            if accepted is not None:
                if accepted["report_id"] != body["report_id"]:
                    return self._error(409, "report_conflict")
                return jsonify(accepted["answer"])
            if order["status"] != needed:
                return self._error(409, "order_not_" + needed)
            answer = settle(order, body)
            self.reports[order_id] = {
                "report_id": body["report_id"],
                "body": body,
                "answer": answer,
                "at": datetime.now(UTC),
            }
            return jsonify(answer)
