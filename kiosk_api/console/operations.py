"""The console's stock balances page (kiosks: kiosk_pages; stock forms: stock_pages; the catalogue:
catalogue_pages and origin_pages; orders and refunds: order_pages)."""

from __future__ import annotations

from flask import render_template, request

from accounts.roles import STAFF_READERS
from catalogue import service as catalogue
from core.errors import DomainError
from inventory import service as inventory
from kiosk_api.console.access import console, page_roles
from kiosk_api.database import get_clock, get_session


@console.get("/inventory")
@page_roles(*STAFF_READERS)
def inventory_page() -> str:
    """Stock balances per location, slot and lot."""
    session, clock = get_session(), get_clock()
    location = request.args.get("location") or None
    try:
        balances = inventory.list_balances(session, clock, location=location)
    except DomainError:
        balances, location = [], None
    locations = inventory.list_locations(session)
    return render_template(
        "console/inventory.html",
        balances=balances,
        locations=locations,
        location=location,
        today=catalogue.today(clock),
    )
