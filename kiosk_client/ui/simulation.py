"""Controls of the simulated cabinet over HTTP, for demos and browser tests (simulated driver only)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from kiosk_client.hardware import SimulatedDriver


def simulation_blueprint(driver: SimulatedDriver) -> Blueprint:
    """/sim routes: fail a slot, set what an open-door shopper takes, open or close the door."""
    sim = Blueprint("sim", __name__, url_prefix="/sim")

    @sim.get("")
    def show() -> Response:
        """What the simulated cabinet holds."""
        return jsonify(driver.snapshot())

    @sim.post("/fail-slot")
    def fail_slot() -> Response:
        """{"slot": "B3", "error": "motor_jam", "dispensed": 0}: that slot fails from now on."""
        body = request.get_json(silent=True) or {}
        driver.fail_slot(
            str(body.get("slot", "")), str(body.get("error", "motor_jam")), int(body.get("dispensed", 0))
        )
        return jsonify(driver.snapshot())

    @sim.post("/clear")
    def clear() -> Response:
        """Every slot dispenses again."""
        driver.clear_failures()
        return jsonify(driver.snapshot())

    @sim.post("/taken")
    def taken() -> Response:
        """{"A1": 1, "C2": 2}: what the shopper takes during this open-door visit."""
        body = request.get_json(silent=True) or {}
        driver.set_taken({str(slot): int(qty) for slot, qty in body.items()})
        return jsonify(driver.snapshot())

    @sim.post("/door")
    def door() -> Response:
        """{"action": "open" | "close"}."""
        action = (request.get_json(silent=True) or {}).get("action")
        if action == "open":
            driver.open_door()
        elif action == "close":
            driver.close_door()
        return jsonify(driver.snapshot())

    return sim
