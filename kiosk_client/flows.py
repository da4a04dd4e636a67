"""A vend purchase from the shopper's tap to the vend-results report, and the helpers both flows share."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk_client import messages, state
from kiosk_client.api import ApiError, KioskApi, ServerUnreachable
from kiosk_client.catalogue import CatalogueCache
from kiosk_client.config import Settings
from kiosk_client.hardware import Driver
from kiosk_client.journal import Journal
from kiosk_client.outbox import OutboxRow
from kiosk_client.sender import OutboxSender
from kiosk_client.state import StateBox

log = logging.getLogger(__name__)
WAITING_STATUSES = frozenset({"awaiting_payment", "awaiting_authorization"})
# The longest Retry-After a shopper at the screen is kept waiting through before "offline" shows.
SHOPPER_WAIT_MAX = 10.0
# Outcomes of watch_order that the server did not confirm: the visit stays open for recovery.
# The order number shown on the receipt: the first characters of its id, as the console's lists show it.
SHORT_ID = 8
UNCONFIRMED = frozenset({"interrupted", "cancelled_unconfirmed", "expired_unconfirmed"})


@dataclass
class FlowContext:
    """What a flow works with; `cancel` is set by the shopper's cancel tap, `stop` on shutdown."""

    settings: Settings
    api: KioskApi
    driver: Driver
    journal: Journal
    sender: OutboxSender
    catalogue: CatalogueCache
    state: StateBox
    stop: threading.Event
    cancel: threading.Event
    server_offset: Callable[[], float]
    set_active: Callable[[str | None], None]


def expiry_deadline(ctx: FlowContext, expires_at: str | None) -> float | None:
    """Local time.time() after which the kiosk gives up on a payment (server clock offset plus grace)."""
    if not expires_at:
        return None
    try:
        moment = datetime.fromisoformat(expires_at)
    except ValueError:
        return None
    return moment.timestamp() - ctx.server_offset() + ctx.settings.expiry_grace


def try_cancel(ctx: FlowContext, order_id: str) -> str | None:
    """POST cancel: "cancelled" if confirmed, None if refused (409), "cancel_unconfirmed" if unreachable."""
    try:
        ctx.api.cancel_order(order_id)
    except ApiError as exc:
        if exc.status == 404:
            return "cancelled"
        log.info("cancel of %s refused: %s", order_id, exc)  # paid or authorized meanwhile: keep watching
        return None
    except ServerUnreachable:
        return "cancel_unconfirmed"
    return "cancelled"


def watch_order(ctx: FlowContext, order_id: str, wanted: str, expires_at: str | None) -> str:
    """Poll GET /orders/{id} about once a second until `wanted`, another final status, cancel or expiry."""
    deadline = expiry_deadline(ctx, expires_at)
    while True:
        if ctx.stop.is_set():
            return "interrupted"
        expired = deadline is not None and time.time() > deadline
        if ctx.cancel.is_set() or expired:
            requested = "expired" if expired and not ctx.cancel.is_set() else "cancelled"
            ctx.cancel.clear()
            outcome = try_cancel(ctx, order_id)
            if outcome == "cancelled":
                return requested
            if outcome == "cancel_unconfirmed":
                return f"{requested}_unconfirmed"
            deadline = None  # refused: the order moved on (paid?), so look at it
        wait = ctx.settings.poll_interval
        try:
            status = ctx.api.get_order(order_id)["status"]
        except ServerUnreachable as exc:  # ServerBusy too: poll again once its Retry-After is over
            ctx.state.update(network_slow=True)
            wait = max(wait, exc.retry_after or 0.0)
            if deadline is not None:  # …but still cancel at the expiry
                wait = min(wait, max(deadline - time.time(), 0.0) + 0.01)
        except ApiError as exc:
            log.error("order %s cannot be read: %s", order_id, exc)
            return "missing"
        else:
            if status == wanted or status not in WAITING_STATUSES:
                return str(status)
            if ctx.state.snapshot().get("network_slow"):
                ctx.state.update(network_slow=False)
        ctx.cancel.wait(wait)


def create_session(ctx: FlowContext, lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    """POST /sessions, retrying a lost answer with the same Idempotency-Key; None after showing why not."""
    key = str(uuid.uuid4())
    for attempt in range(3):
        try:
            return ctx.api.create_session(lines, key)
        except ApiError as exc:
            slot = _slot_of_error(exc, lines)
            name = None
            if slot:
                known = ctx.catalogue.slot(slot) is not None
                name = ctx.catalogue.product_name(slot) if known else ctx.catalogue.sku_name(slot)
            ctx.state.set(state.ERROR, message=messages.checkout_refused(exc.code, slot, name), code=exc.code)
            return None
        except ServerUnreachable as exc:
            log.warning("session not created (attempt %d): %s", attempt + 1, exc)
            delay = max(0.5 * (attempt + 1), exc.retry_after or 0.0)  # never before Retry-After
            if delay > SHOPPER_WAIT_MAX or attempt == 2 or ctx.stop.wait(delay):
                break
    ctx.state.set(state.ERROR, message=messages.OFFLINE, code="offline")
    return None


def _slot_of_error(exc: ApiError, lines: list[dict[str, Any]]) -> str | None:
    # Error fields name the line: by index ("lines.1.slot", "lines.1.sku"), by code, or in the message.
    known = [str(line.get("slot") or line.get("sku")) for line in lines]
    for key, value in exc.fields.items():
        for part in str(key).split("."):
            if part.isdigit() and int(part) < len(lines):
                return known[int(part)]
            if part in known:
                return part
        found = next((code for code in known if code in str(value)), None)
        if found:
            return found
    return None


def run_vend(ctx: FlowContext, lines: list[dict[str, Any]]) -> None:
    """Start a session, show the QR, wait for payment, dispense, report; the screen follows each step."""
    order = create_session(ctx, lines)
    if order is None:
        return
    order_id = order["order_id"]
    ctx.set_active(order_id)
    try:
        ctx.journal.begin(order_id, "vend", "awaiting_payment", order["lines"])
        ctx.state.set(
            state.AWAITING_PAYMENT,
            order_id=order_id,
            qr_payload=order["payment"]["qr_payload"],
            expires_at=order.get("expires_at"),
            total_fen=order["total_fen"],
            lines=_named(ctx, order["lines"]),
        )
        outcome = watch_order(ctx, order_id, "paid", order.get("expires_at"))
        if outcome == "paid":
            dispense(ctx, order_id, order["lines"], order["payment"].get("qr_payload"))
            return
        if outcome not in UNCONFIRMED:
            ctx.journal.abandon(order_id)
        if outcome == "interrupted":
            return
        expired = outcome.startswith("expired")
        ctx.state.set(
            state.EXPIRED if expired else state.CANCELLED,
            order_id=order_id,
            message=messages.EXPIRED if expired else messages.CANCELLED,
        )
    finally:
        ctx.set_active(None)


def dispense(
    ctx: FlowContext, order_id: str, lines: list[dict[str, Any]], qr_payload: str | None = None
) -> None:
    """Drive each slot, journalling every result before the next; queue the report; show the outcome."""
    ctx.journal.set_phase(order_id, "dispensing")
    ctx.state.set(state.DISPENSING, order_id=order_id, lines=_named(ctx, lines))
    results = []
    for line in lines:
        try:
            result = ctx.driver.dispense(line["slot"], line["qty"]).as_report()
        except Exception:  # a driver bug must not lose the report: count it as not dispensed
            log.exception("dispensing %s failed", line["slot"])
            result = {
                "slot": line["slot"],
                "requested": line["qty"],
                "dispensed": 0,
                "error": "driver_error",
            }
        ctx.journal.record_result(order_id, result)
        results.append(result)
    row = ctx.journal.finish(order_id, "vend_results", {"results": results})
    row = ctx.sender.deliver(row.report_id) or row
    show_vend_outcome(ctx, order_id, lines, results, row, qr_payload)


def show_vend_outcome(
    ctx: FlowContext,
    order_id: str,
    lines: list[dict[str, Any]],
    results: list[dict[str, Any]],
    row: OutboxRow,
    qr_payload: str | None = None,
) -> None:
    """The result screen with its receipt: the server's refund once it confirmed, the kiosk's own
    estimate before; a link to the order's page (the pay page) as a QR when it is a web address."""
    named = _named(ctx, lines)
    prices = {line["slot"]: line["unit_price_fen"] for line in lines}
    estimate = sum((r["requested"] - r["dispensed"]) * prices.get(r["slot"], 0) for r in results)
    confirmed = row.status == "delivered" and row.response is not None
    refund_fen = int(row.response.get("refunded_fen", estimate)) if confirmed and row.response else estimate
    names = {str(line["slot"]): line["name"] for line in named}
    headline, refund = messages.vend_outcome(results, refund_fen, row.status, names)
    total_fen = sum(int(line["line_total_fen"]) for line in lines)
    shown: dict[str, Any] = {
        "order_id": order_id,
        "order_number": order_id[:SHORT_ID],
        "results": results,
        "refund_fen": refund_fen,
        "refund_confirmed": confirmed,
        "message": headline,
        "refund_message": refund,
        "receipt": receipt_lines(named, results),
        "total_fen": total_fen,
        "charged_fen": total_fen - refund_fen,
    }
    if qr_payload and qr_payload.startswith(("http://", "https://")):
        shown["qr_payload"] = qr_payload
    ctx.state.set(state.DONE, **shown)


def receipt_lines(lines: list[dict[str, Any]], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One receipt line per product (two slots of one product are one line): name, quantity
    bought, units not dispensed and their amount, line total."""
    short = {r["slot"]: r["requested"] - r["dispensed"] for r in results}
    by_product: dict[str, dict[str, Any]] = {}
    for line in lines:
        key = str(line.get("sku") or line["slot"])
        entry = by_product.setdefault(
            key,
            {"sku": key, "name": line["name"], "qty": 0, "missing": 0, "line_total_fen": 0, "refund_fen": 0},
        )
        missing = max(0, short.get(line["slot"], 0))
        entry["qty"] += int(line["qty"])
        entry["missing"] += missing
        entry["line_total_fen"] += int(line["line_total_fen"])
        entry["refund_fen"] += missing * int(line["unit_price_fen"])
    return list(by_product.values())


def _named(ctx: FlowContext, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return ctx.catalogue.named(lines)
