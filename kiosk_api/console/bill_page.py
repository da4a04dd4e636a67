"""The auditor's daily bill page (issue 16): each day's trade bill of a mainland provider matched
with our payments and refunds, and what differed, as `dongxi payments bills` recorded it."""

from __future__ import annotations

from flask import render_template, url_for

from accounts.roles import STAFF_READERS
from core.clock import local_minute
from core.money import format_fen
from kiosk_api.console.access import console, page_roles
from kiosk_api.database import get_session
from payments.bills import latest_checks
from sales.order_search import short_id


def _difference(raw: dict) -> dict:
    order_id = raw.get("order_id")
    return {
        "kind": raw["kind"],
        "record": raw["record"],
        "ref": raw["ref"],
        "order": short_id(order_id) if order_id else "",
        "order_url": url_for("console.order_detail", order_id=order_id) if order_id else None,
        "ours": format_fen(raw["ours_fen"]) if raw.get("ours_fen") is not None else "—",
        "theirs": format_fen(raw["theirs_fen"]) if raw.get("theirs_fen") is not None else "—",
        "note": raw.get("note", ""),
    }


@console.get("/audit/bills")
@page_roles(*STAFF_READERS)
def bill_checks() -> str:
    """The latest check of each provider's daily bill, newest day first, with its differences."""
    checks = [
        {
            "check": check,
            "checked_at": local_minute(check.checked_at),
            "differences": [_difference(raw) for raw in check.differences],
        }
        for check in latest_checks(get_session())
    ]
    return render_template("console/bills.html", checks=checks)
