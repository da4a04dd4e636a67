"""An open-door visit: QR on the home screen → authorized → unlock → door closes → door-closed report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kiosk_client import messages, state
from kiosk_client.api import ApiError, ServerUnreachable
from kiosk_client.flows import UNCONFIRMED, FlowContext, watch_order
from kiosk_client.hardware import HardwareError

log = logging.getLogger(__name__)


def run_door(ctx: FlowContext) -> bool:
    """Show a fresh scan-to-open QR and serve one visit; False if no session could be made (offline)."""
    try:
        order = ctx.api.create_door_session()
    except (ServerUnreachable, ApiError) as exc:
        log.warning("door session not created: %s", exc)
        ctx.state.set(state.OFFLINE, message=messages.OFFLINE)
        return False
    order_id = order["order_id"]
    ctx.set_active(order_id)
    try:
        ctx.journal.begin(order_id, "door", "awaiting_authorization", [])
        ctx.state.set(
            state.DOOR_READY,
            order_id=order_id,
            qr_payload=order["payment"]["qr_payload"],
            expires_at=order.get("expires_at"),
            hold_fen=order.get("hold_fen"),
            deposit=bool(order.get("deposit")),
        )
        outcome = watch_order(ctx, order_id, "authorized", order.get("expires_at"))
        if outcome != "authorized":
            if outcome not in UNCONFIRMED:
                ctx.journal.abandon(order_id)
            if not ctx.stop.is_set():
                ctx.state.set(state.IDLE)  # the runner shows the next QR
            return True
        ctx.journal.set_phase(order_id, "unlocked")
        try:
            ctx.driver.unlock_door()
        except HardwareError as exc:
            log.error("door did not unlock: %s", exc)
        ctx.state.set(state.DOOR_OPEN, order_id=order_id)
        finish_visit(ctx, order_id)
        return True
    finally:
        ctx.set_active(None)


def _wait(ctx: FlowContext, condition: Callable[[], bool], timeout: float | None) -> bool:
    """Read the hardware every hw_poll_interval until condition() holds, stop is set or timeout passes."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not condition():
        if ctx.stop.is_set() or (deadline is not None and time.monotonic() > deadline):
            return False
        ctx.stop.wait(ctx.settings.hw_poll_interval)
    return True


def _door_is(ctx: FlowContext, wanted: str) -> Callable[[], bool]:
    def check() -> bool:
        """Whether the door is in the wanted state (a sensor fault counts as not)."""
        try:
            return ctx.driver.door_state() == wanted
        except HardwareError as exc:
            log.warning("door sensor: %s", exc)
            return False

    return check


def finish_visit(ctx: FlowContext, order_id: str) -> None:
    """Wait for the door to open and close, read what was taken, queue door-closed, show the receipt.

    Also resumes a visit the kiosk restarted in the middle of (its journal phase is still "unlocked").
    """
    opened = _wait(ctx, _door_is(ctx, "open"), ctx.settings.door_unopened_timeout)
    if ctx.stop.is_set():
        return
    if not opened:
        try:
            ctx.driver.lock_door()
        except HardwareError as exc:
            log.warning("lock after an unopened visit: %s", exc)
    else:
        reminded = _wait(ctx, _door_is(ctx, "closed"), ctx.settings.door_reminder_after)
        if not reminded and not ctx.stop.is_set():
            ctx.state.update(reminder=messages.DOOR_REMINDER)
            _wait(ctx, _door_is(ctx, "closed"), None)
        if ctx.stop.is_set():
            return  # the visit stays "unlocked" in the journal and is resumed after the restart
    ctx.state.set(state.DOOR_CLOSING, order_id=order_id)
    taken = ctx.driver.read_taken()  # a HardwareError leaves the visit open for the runner to resume
    lines = [{"slot": slot, "qty": qty} for slot, qty in sorted(taken.items()) if qty > 0]
    row = ctx.journal.finish(order_id, "door_closed", {"taken": lines})
    row = ctx.sender.deliver(row.report_id) or row
    if row.status == "delivered" and row.response is not None:
        shown = row.response.get("lines") or []
        total = int(row.response.get("total_fen", 0))
        returned = int(row.response.get("refunded_fen") or 0)
        confirmed = True
    else:
        shown, total = _estimate(ctx, lines)
        returned, confirmed = 0, False
    ctx.state.set(
        state.DOOR_RECEIPT,
        order_id=order_id,
        lines=ctx.catalogue.named(shown),
        total_fen=total,
        refunded_fen=returned,
        confirmed=confirmed,
        message=messages.door_receipt(total, sum(line["qty"] for line in lines), confirmed, returned),
    )


def _estimate(ctx: FlowContext, taken: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Price what was taken from the cached catalogue, for a receipt shown before the server answered."""
    lines = []
    for line in taken:
        product = (ctx.catalogue.slot(line["slot"]) or {}).get("product") or {}
        price = int(product.get("price_fen", 0))
        lines.append({**line, "unit_price_fen": price, "line_total_fen": price * line["qty"]})
    return lines, sum(line["line_total_fen"] for line in lines)
