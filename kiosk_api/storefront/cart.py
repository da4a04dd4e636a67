"""The shopping cart, kept in the signed session cookie: product id → quantity, nothing priced.

Prices are the server's at checkout (sales.storefront.place_order); the cart only remembers what
was chosen, so a stale cart can never carry a stale price.
"""

from __future__ import annotations

from flask import session

MAX_LINES = 50
MAX_QTY = 99


def items() -> dict[int, int]:
    """Return the cart as {product id: qty}."""
    raw = session.get("cart") or {}
    return {int(k): int(v) for k, v in raw.items() if str(k).isdigit() and int(v) > 0}


def _save(cart: dict[int, int]) -> None:
    session["cart"] = {str(k): v for k, v in cart.items() if v > 0}


def add(product_id: int, qty: int) -> None:
    """Add units of a product (capped at MAX_QTY per line and MAX_LINES lines)."""
    cart = items()
    if product_id not in cart and len(cart) >= MAX_LINES:
        return
    cart[product_id] = min(cart.get(product_id, 0) + max(qty, 0), MAX_QTY)
    _save(cart)


def set_qty(product_id: int, qty: int) -> None:
    """Set a line's quantity; 0 removes it."""
    cart = items()
    if qty <= 0:
        cart.pop(product_id, None)
    else:
        cart[product_id] = min(qty, MAX_QTY)
    _save(cart)


def clear() -> None:
    session.pop("cart", None)


def count() -> int:
    """Units in the cart, for the header badge."""
    return sum(items().values())
