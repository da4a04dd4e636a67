"""The web storefront: browse by region, partner and category, search, product pages, the cart,
checkout with delivery address and phone, payment through the configured provider, and the order
status page, which only its owner can open (the signed-in buyer, or the secret link)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from catalogue import service as catalogue
from catalogue.categories import CATEGORIES
from catalogue.models import Product, Region
from core.errors import DomainError, NotFound
from kiosk_api.auth.http import current_user
from kiosk_api.database import get_clock, get_db, get_session
from kiosk_api.input_limits import int_within, row_id
from kiosk_api.limits import limit
from kiosk_api.pay_tokens import token_matches
from kiosk_api.payments_ext import get_provider
from kiosk_api.presenters import ProductPresenter, region_ref
from kiosk_api.schemas.orders import ContactIn
from kiosk_api.storefront import cart, filters
from kiosk_api.storefront.helpers import error_message, register_context, resolve_page_user
from sales import shipping
from sales.models import Order
from sales.orders import get_order
from sales.organizations import unit_of_member
from sales.payment_flow import payment_of, start_payment
from sales.storefront import place_order

shop = Blueprint("shop", __name__, url_prefix="/shop", template_folder="templates")
shop.before_request(resolve_page_user)
register_context(shop)
OWNED_ORDERS_KEPT = 20


def _partners(on: Any) -> list[dict[str, Any]]:
    """Eastern partners with the western regions paired with them, for the browse filters."""
    grouped: dict[str, dict[str, Any]] = {}
    for pairing in catalogue.list_pairings(get_session(), on=on):
        entry = grouped.setdefault(pairing.east_code, {"east": region_ref(pairing.east), "west": []})
        entry["west"].append(region_ref(pairing.west))
    return list(grouped.values())


@shop.get("")
def browse() -> str:
    """Products by eastern partner, origin (province → prefecture → county), category and
    certification, with the catalogue's search; the filters combine and live in the URL."""
    db_session, on = get_session(), catalogue.today(get_clock())
    chosen = filters.parse(db_session, request.args)
    found, total = catalogue.search_products(db_session, on=on, limit=200, **chosen.search_args())
    present = ProductPresenter(db_session, on)
    return render_template(
        "storefront/browse.html",
        products=[present(p) for p in found],
        total=total,
        f=chosen,
        place_rows=filters.place_rows(db_session, chosen, on),
        categories=CATEGORIES,
        partners=_partners(on),
        filter_url=filters.filter_url,
    )


@shop.get("/products/<int:product_id>")
def product(product_id: int) -> str:
    """A product: origin county, supplier cooperative, households linked, certification, its story."""
    db_session, on = get_session(), catalogue.today(get_clock())
    try:
        found = catalogue.get_product(db_session, product_id)
    except NotFound:
        abort(404)
    if not found.active:
        abort(404)
    view = ProductPresenter(db_session, on)(found)
    supplier = found.supplier
    return render_template(
        "storefront/product.html", p=view, supplier=supplier, in_cart=cart.items().get(product_id, 0)
    )


CART_QTY = int_within(0, 100_000)  # the cart caps a line at cart.MAX_QTY; this keeps it a number


@shop.post("/cart")
def cart_add() -> Any:
    """Put units of a product in the cart."""
    product_id = request.form.get("product", type=row_id)
    qty = request.form.get("qty", default=1, type=CART_QTY) or 1
    found = get_session().get(Product, product_id) if product_id else None
    if found is None or not found.active:
        abort(404)
    cart.add(found.id, max(qty, 1))
    flash(f"{found.name_zh} ×{max(qty, 1)}", "added")
    return redirect(url_for("shop.cart_page"))


def _cart_lines() -> tuple[list[dict[str, Any]], int]:
    lines, total = [], 0
    for product_id, qty in cart.items().items():
        found = get_session().get(Product, product_id)
        if found is None or not found.active:
            continue
        line_total = found.price_fen * qty
        total += line_total
        lines.append({"product": found, "qty": qty, "line_total_fen": line_total})
    return lines, total


@shop.get("/cart")
def cart_page() -> str:
    """The cart: quantities can be changed; prices are the catalogue's (checkout prices again)."""
    lines, total = _cart_lines()
    return render_template("storefront/cart.html", lines=lines, total_fen=total)


@shop.post("/cart/update")
def cart_update() -> Any:
    """Change the cart's quantities (0 removes a line)."""
    for product_id in list(cart.items()):
        value = request.form.get(f"qty_{product_id}", type=CART_QTY)
        if value is not None:
            cart.set_qty(product_id, value)
    if request.form.get("remove", type=row_id):
        cart.set_qty(request.form.get("remove", type=row_id), 0)
    return redirect(url_for("shop.cart_page"))


def _remember_order(order: Order) -> None:
    owned = [o for o in session.get("orders", []) if o != order.id][-OWNED_ORDERS_KEPT + 1 :]
    session["orders"] = [*owned, order.id]


@shop.route("/checkout", methods=["GET", "POST"])
@limit("orders", methods=["POST"])  # placing the order; showing the form is free
def checkout() -> Any:
    """Delivery address and phone, then the order: priced by the server, stock held for 15 minutes."""
    lines, total = _cart_lines()
    if not lines:
        return redirect(url_for("shop.cart_page"))
    user = current_user()
    unit = unit_of_member(get_session(), user.id) if user else None
    form = {k: request.form.get(k, "").strip() for k in ("name", "phone", "address")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            contact = ContactIn().load(form)
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.messages.items()}  # type: ignore[union-attr]
        else:
            try:
                order_id = _place(lines, contact, user.id if user else None)
            except DomainError as error:
                get_session().rollback()
                flash(error_message(error), "error")
            else:
                cart.clear()
                return redirect(url_for("shop.pay", order_id=order_id))
    status = 422 if errors or request.method == "POST" else 200
    return (
        render_template(
            "storefront/checkout.html", lines=lines, total_fen=total, form=form, errors=errors, unit=unit
        ),
        status,
    )


def _place(lines: list[dict[str, Any]], contact: dict[str, str], user_id: int | None) -> str:
    """Write order and payment, commit, then create the payment at the provider."""
    db_session, clock, provider = get_session(), get_clock(), get_provider()
    order, payment = place_order(
        db_session,
        clock,
        items=[{"product": line["product"].id, "qty": line["qty"]} for line in lines],
        contact=contact,
        provider=provider.name,
        user_id=user_id,
    )
    db_session.flush()  # the ids are needed after commit
    order_id, payment_id = order.id, payment.id
    _remember_order(order)
    db_session.commit()  # the provider is called outside our transaction
    start_payment(get_db(), clock, provider, payment_id, description="dongxi storefront")
    return order_id


def public_url(path: str) -> str:
    """An absolute link under PUBLIC_BASE_URL, for links people keep or providers call back."""
    return f"{current_app.config['PUBLIC_BASE_URL']}{path}"


def stripe_page(order: Order, return_path: str) -> str:
    """Stripe's Payment Element for an order's latest payment (card, WeChat Pay, Alipay)."""
    payment = payment_of(get_session(), order.id)
    publishable = current_app.config["STRIPE_PUBLISHABLE_KEY"]
    return render_template(
        "storefront/stripe_pay.html",
        order=order,
        client_secret=payment.client_secret if payment else None,
        publishable_key=publishable,
        return_url=public_url(return_path),
    )


def owned_order(order_id: str) -> Order:
    """The order, if the caller owns it: signed-in buyer, this browser's checkout, or the secret link."""
    db_session = get_session()
    try:
        order = get_order(db_session, order_id)
    except NotFound:
        abort(404)
    user = current_user()
    token = request.args.get("token", "")
    if (
        (user is not None and order.user_id == user.id)
        or order.id in session.get("orders", [])
        or token_matches(token, order.pay_token)
    ):
        return order
    abort(404)


@shop.get("/orders/<string:order_id>/pay")
def pay(order_id: str) -> Any:
    """Pay an order: Stripe's Payment Element, or the pay page (/pay/{token}): the simulated
    provider's button, or WeChat Pay's or Alipay's QR code (a phone: their own pay page)."""
    order = owned_order(order_id)
    if order.status != "awaiting_payment" or get_provider().name != "stripe":
        return redirect(url_for("pay.pay_page", token=order.pay_token))
    return stripe_page(order, url_for("shop.order_page", order_id=order.id, token=order.pay_token))


@shop.get("/orders/<string:order_id>")
def order_page(order_id: str) -> str:
    """An order's status, lines and delivery details, to its owner only."""
    order = owned_order(order_id)
    counties = {line.county_code: get_session().get(Region, line.county_code) for line in order.lines}
    link = public_url(url_for("shop.order_page", order_id=order.id, token=order.pay_token))
    shipment = shipping.shipment_of(get_session(), order.id)
    return render_template(
        "storefront/order.html",
        order=order,
        shipment=shipment,
        steps=shipping.steps_of(order, shipment) if order.captured_fen else [],
        counties=counties,
        contact=(order.details or {}).get("contact", {}),
        link=link,
        payment=payment_of(get_session(), order.id),
    )
