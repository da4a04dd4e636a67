"""The mobile pay page a kiosk's QR code opens: what is bought, where, for how much; and a pay button.

A web-shop order paid by WeChat Pay or Alipay shows the provider's QR code on a desktop and, on a
phone, a link to `/pay/{token}/phone`, which opens the order's phone payment and sends the phone
on to the provider's page (kiosk_api/pay_wallet.py, sales.storefront.phone_payment)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from catalogue.models import Region
from core.errors import DomainError, NotFound
from inventory.models import Location
from kiosk_api.blueprints.payments import simulate_payment
from kiosk_api.database import get_clock, get_db, get_session
from kiosk_api.errors import status_for
from kiosk_api.i18n import current_language
from kiosk_api.limits import limit
from kiosk_api.pay_state import PayState, present, refused, unknown_link
from kiosk_api.pay_tokens import order_for_pay_token, provider_ref_for_token
from kiosk_api.pay_wallet import WALLETS, wallet_pay
from kiosk_api.payments_ext import get_provider, simulation_allowed
from kiosk_api.storefront.shop import public_url
from sales.storefront import phone_payment, scan_payment

pay = Blueprint("pay", __name__, template_folder="templates")


def _order(token: str) -> Any:
    provider = get_provider()
    ref = provider_ref_for_token(provider, token)  # before the request's session opens
    return order_for_pay_token(get_session(), provider.name, token, ref)


def _render(token: str, order: Any, state: PayState, status: int = 200) -> Any:
    session = get_session()
    location = session.get(Location, order.location_id) if order and order.location_id else None
    partner = session.get(Region, order.partner_code) if order and order.partner_code else None
    wallet = None
    if order is not None and order.channel == "storefront" and state.status == "awaiting_payment":
        scan = scan_payment(session, order.id)
        wallet = wallet_pay(
            order,
            get_provider().name,
            scan.qr_payload if scan else None,
            request.headers.get("User-Agent", ""),
            current_language(),
        )
    html = render_template(
        "pay.html",
        order=order,
        location=location,
        partner=partner,
        token=token,
        state=state,
        simulated=simulation_allowed(),
        wallet=wallet,
    )
    return html, status


@pay.get("/pay/<string:token>")
@limit("pay", "pay_link")
def pay_page(token: str) -> Any:
    """Show the order behind a pay link, a sentence on where it stands, and (while open) a pay button;
    a link that names no order is a 404 page saying so."""
    try:
        order = _order(token)
    except NotFound:
        return _render(token, None, unknown_link(current_language()), 404)
    return _render(token, order, present(order, current_language()))


@pay.get("/pay/<string:token>/state")
@limit("pay", "pay_link")
def pay_state(token: str) -> Any:
    """The pay page's status as JSON (sentence, amount, tone), which the page polls while it can change."""
    return jsonify(present(_order(token), current_language()).as_dict())


@pay.get("/pay/<string:token>/phone")
@limit("pay", "pay_link")
def pay_on_phone(token: str) -> Any:
    """WeChat Pay or Alipay on a phone: open the order's phone payment (once per order; the provider
    is asked again with the same key on every tap) and send the phone on to the provider's page
    (WeChat H5 needs the shopper's address: the request's). A link, not a form: the page's
    Content-Security-Policy lets forms post only to us, and a form's redirect elsewhere is blocked."""
    provider = get_provider()
    if provider.name not in WALLETS:
        abort(404)
    lang = current_language()
    try:
        order = _order(token)
    except NotFound:
        return _render(token, None, unknown_link(lang), 404)
    order_id, back = order.id, public_url(url_for("pay.pay_page", token=token, lang=lang))
    get_session().commit()  # the service writes in units of work of its own
    try:
        target = phone_payment(
            get_db(), get_clock(), provider, order_id, client_ip=request.remote_addr or "", return_url=back
        )
    except DomainError as error:
        get_session().rollback()
        order = _order(token)
        return _render(token, order, refused(order, lang), status_for(error))
    return redirect(target or url_for("pay.pay_page", token=token, lang=lang))


@pay.post("/pay/<string:token>")
@limit("pay", "pay_link")
def pay_now(token: str) -> Any:
    """Simulated provider: the pay button (the form carries a CSRF token); a refused pay is a page
    saying what happened to the shopper's money, with the refusal's status."""
    try:
        simulate_payment(token)
    except DomainError as error:
        if error.code == "not_found":  # no simulated payments here (production): as if no route
            raise
        get_session().rollback()
        lang = current_language()
        if error.code == "pay_link_not_found":
            return _render(token, None, unknown_link(lang), 404)
        order = _order(token)
        return _render(token, order, refused(order, lang), status_for(error))
    return redirect(url_for("pay.pay_page", token=token))
