"""The mobile pay page a kiosk's QR code opens: what is bought, where, for how much; and a pay button."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from catalogue.models import Region
from core.money import format_fen
from inventory.models import Location
from kiosk_api.blueprints.payments import simulate_payment
from kiosk_api.database import get_session
from kiosk_api.limits import limit
from kiosk_api.pay_tokens import order_for_pay_token, provider_ref_for_token
from kiosk_api.payments_ext import get_provider, simulation_allowed
from sales.payment_flow import payment_of

pay = Blueprint("pay", __name__, template_folder="templates")


@pay.get("/pay/<string:token>")
@limit("pay", "pay_link")
def pay_page(token: str) -> Any:
    """Show the order behind a pay link and let the shopper pay it."""
    provider = get_provider()
    ref = provider_ref_for_token(provider, token)  # before the request's session opens
    session = get_session()
    order = order_for_pay_token(session, provider.name, token, ref)
    location = session.get(Location, order.location_id) if order.location_id else None
    partner = session.get(Region, order.partner_code) if order.partner_code else None
    payment = payment_of(session, order.id)
    amount = order.hold_fen if order.mode == "open_door" else order.total_fen
    return render_template(
        "pay.html",
        order=order,
        location=location,
        partner=partner,
        token=token,
        payment=payment,
        amount=format_fen(amount),
        lines=[(line, format_fen(line.line_total_fen)) for line in order.lines],
        simulated=simulation_allowed(),
        format_fen=format_fen,
    )


@pay.post("/pay/<string:token>")
@limit("pay", "pay_link")
def pay_now(token: str) -> Any:
    """Simulated provider: the pay button (the form carries a CSRF token)."""
    simulate_payment(token)
    return redirect(url_for("pay.pay_page", token=token))
