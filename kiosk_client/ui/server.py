"""The local web server behind the touch screen: page, catalogue, state, checkout, QR images."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import qrcode
from flask import Flask, Response, abort, jsonify, render_template, request
from qrcode.image.pil import PilImage

from kiosk_client.agent import Agent
from kiosk_client.hardware import SimulatedDriver
from kiosk_client.ui.simulation import simulation_blueprint

MAX_LINES = 20
MAX_QTY = 20


@lru_cache(maxsize=16)
def qr_png(payload: str, box_size: int = 16, border: int = 4) -> bytes:
    """A black-on-white QR code of payload (error correction M), large enough to scan from a metre."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(payload)
    code.make(fit=True)
    image = code.make_image(image_factory=PilImage, fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, "fields": fields or {}}}), status


def screen_state(agent: Agent) -> dict[str, Any]:
    """The agent's state plus what the page needs: mode, seconds left, QR image URL, connectivity."""
    shown = agent.state.snapshot()
    shown["mode"] = agent.mode
    shown["online"] = agent.online
    shown["catalogue_version"] = agent.catalogue.version
    if shown.get("expires_at"):
        shown["expires_in"] = agent.expires_in(shown["expires_at"])
    if shown.get("qr_payload") and shown.get("order_id"):
        shown["qr_url"] = f"/qr/{shown['order_id']}.png"
    return shown


def validate_lines(agent: Agent, body: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Check the cart against the cached catalogue; merge repeated slots and products; return
    (lines, field errors). A line names a slot ({"slot", "qty"}) or a product ({"sku", "qty"}):
    the server chooses the slots of a product (KIOSK_PROTOCOL.md)."""
    lines = body.get("lines") if isinstance(body, dict) else None
    if not isinstance(lines, list) or not lines or len(lines) > MAX_LINES:
        return [], {"lines": "choose between 1 and 20 products"}
    merged: dict[tuple[str, str], int] = {}
    errors: dict[str, str] = {}
    for i, line in enumerate(lines):
        line = line if isinstance(line, dict) else {}
        slot, sku, qty = line.get("slot"), line.get("sku"), line.get("qty")
        if isinstance(sku, str) and slot is None:
            kind, code, known = "sku", sku, bool(agent.catalogue.slots_of(sku))
        else:
            kind, code = "slot", slot
            known = isinstance(slot, str) and agent.catalogue.slot(slot) is not None
        if not known:
            errors[f"lines.{i}.{kind}"] = f"unknown {kind}"
        elif not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= MAX_QTY:
            errors[f"lines.{i}.qty"] = "quantity must be 1–20"
        else:
            merged[(kind, str(code))] = merged.get((kind, str(code)), 0) + qty
    for (kind, code), qty in merged.items():
        held = [agent.catalogue.slot(code) or {}] if kind == "slot" else agent.catalogue.slots_of(code)
        counts = [s.get("available") for s in held]
        if all(isinstance(n, int) for n in counts) and qty > sum(counts):  # type: ignore[arg-type]
            errors.setdefault(f"{kind}s.{code}", f"only {sum(counts)} left")  # type: ignore[arg-type]
    return [{kind: code, "qty": qty} for (kind, code), qty in merged.items()], errors


def create_ui_app(agent: Agent) -> Flask:
    """The Flask app serving the touch screen of one kiosk program."""
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    @app.get("/")
    def index() -> str:
        """The single page of the touch screen."""
        return render_template(
            "kiosk.html",
            simulated=isinstance(agent.driver, SimulatedDriver),
            idle_seconds=agent.settings.idle_seconds,
            help_phone=agent.settings.help_phone,
        )

    @app.get("/api/catalogue")
    def catalogue() -> Response:
        """Kiosk and slots for the product grid (image URLs absolute)."""
        return jsonify({**agent.catalogue.for_screen(agent.settings.server), "mode": agent.mode})

    @app.get("/api/state")
    def current_state() -> Response:
        """What the screen should show now."""
        response = jsonify(screen_state(agent))
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.post("/api/checkout")
    def checkout() -> tuple[Response, int]:
        """Start paying for the cart."""
        lines, errors = validate_lines(agent, request.get_json(silent=True))
        if errors:
            return _error(422, "invalid_cart", "the cart does not match the cabinet", errors)
        if not agent.checkout(lines):
            return _error(409, "busy", "a purchase is already under way")
        return jsonify(screen_state(agent)), 202

    @app.post("/api/cancel")
    def cancel() -> tuple[Response, int]:
        """Cancel the payment being waited for."""
        agent.cancel()
        return jsonify(screen_state(agent)), 202

    @app.post("/api/reset")
    def reset() -> Response:
        """Leave a result screen for home."""
        agent.reset()
        return jsonify(screen_state(agent))

    @app.get("/qr/<order_id>.png")
    def qr(order_id: str) -> Response:
        """The QR code of the current order's payment payload (only the current order's)."""
        shown = agent.state.snapshot()
        if shown.get("order_id") != order_id or not shown.get("qr_payload"):
            abort(404)
        response = Response(qr_png(str(shown["qr_payload"])), mimetype="image/png")
        response.headers["Cache-Control"] = "no-store"
        return response

    if isinstance(agent.driver, SimulatedDriver):
        app.register_blueprint(simulation_blueprint(agent.driver))
    return app
