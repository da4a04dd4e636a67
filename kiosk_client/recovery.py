"""Finishing what a crash, restart or lost connection left half done, from the visit journal."""

from __future__ import annotations

import logging
from typing import Any

from kiosk_client.api import ApiError, KioskApi, ServerUnreachable
from kiosk_client.journal import Journal, Visit

log = logging.getLogger(__name__)


def nothing_dispensed(lines: list[dict[str, Any]], error: str) -> list[dict[str, Any]]:
    """vend-results entries for lines that were never dispensed."""
    return [
        {"slot": line["slot"], "requested": line["qty"], "dispensed": 0, "error": error} for line in lines
    ]


def recover_local(journal: Journal) -> int:
    """At start: report interrupted dispensing — recorded slots as they were, the rest as not dispensed."""
    recovered = 0
    for visit in journal.open_visits():
        if visit.phase != "dispensing":
            continue
        done = {r["slot"] for r in visit.results}
        rest = [line for line in visit.lines if line["slot"] not in done]
        # The slot being driven at the crash may or may not have dropped its goods; the shopper
        # is refunded and a restocker's count corrects the stock.
        results = [*visit.results, *nothing_dispensed(rest, "interrupted")]
        journal.finish(visit.order_id, "vend_results", {"results": results})
        log.warning("order %s: dispensing was interrupted; reported %s", visit.order_id, results)
        recovered += 1
    journal.prune()
    return recovered


def recover_remote(journal: Journal, api: KioskApi, active_order_id: str | None) -> int:
    """Settle orders left waiting for payment/authorization; return how many were settled.

    A paid order nobody dispensed is reported as not dispensed (refund); an authorized visit whose
    door never opened is reported as nothing taken (the hold is released); a waiting one is cancelled.
    """
    settled = 0
    for visit in journal.open_visits():
        if visit.order_id == active_order_id or visit.phase not in (
            "awaiting_payment",
            "awaiting_authorization",
        ):
            continue
        try:
            settled += _settle(journal, api, visit)
        except ServerUnreachable:
            return settled
    return settled


def _settle(journal: Journal, api: KioskApi, visit: Visit) -> int:
    try:
        status = api.get_order(visit.order_id)["status"]
    except ApiError as exc:
        log.error("order %s of the journal is unknown to the server: %s", visit.order_id, exc)
        journal.abandon(visit.order_id)
        return 1
    if status in ("awaiting_payment", "awaiting_authorization"):
        try:
            api.cancel_order(visit.order_id)
        except ApiError:
            return 0  # it was paid or authorized just now; the next pass sees that
        journal.abandon(visit.order_id)
    elif status == "paid" and visit.kind == "vend":
        journal.finish(
            visit.order_id, "vend_results", {"results": nothing_dispensed(visit.lines, "kiosk_restarted")}
        )
    elif status == "authorized" and visit.kind == "door":
        journal.finish(visit.order_id, "door_closed", {"taken": []})
    else:
        journal.abandon(visit.order_id)
    log.warning("order %s (%s) settled after an interruption", visit.order_id, status)
    return 1
