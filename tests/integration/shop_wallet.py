"""Helpers for the web-shop tests with WeChat Pay and Alipay (tests/integration/wechatpay/
test_wechatpay_shop_flow.py, tests/integration/alipay/test_alipay_shop_flow.py): placing an
order through the API, reading its pay page and decoding the QR code drawn there, and an
operator's refund of a line through the console's form."""

from __future__ import annotations

import re
from typing import Any

import zxingcpp
from PIL import Image
from sqlalchemy import select

from catalogue.models import Product
from core.db import Database
from payments.models import Payment
from sales.models import Order
from tests.api.test_login import sign_in
from tests.integration.stripe_orders.harness import place_order

# Two products of two counties, both stocked at the first demo warehouse (FZ-WH-01).
POTATO_SKU = "GY-POTATO-5KG"
HONEY_SKU = "GY-HONEY-500G"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
_MODULE = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z")


def shop_order(client: Any, db: Database) -> dict[str, Any]:
    """A storefront order of two potatoes and one honey, placed through POST /api/v1/orders, with
    its pay token and the products' ids."""
    with db.unit_of_work() as session:
        potato, honey = (
            session.scalar(select(Product.id).where(Product.sku == sku)) for sku in (POTATO_SKU, HONEY_SKU)
        )
    placed = place_order(client, [{"product": potato, "qty": 2}, {"product": honey, "qty": 1}])
    with db.unit_of_work() as session:
        token = session.get(Order, placed["order_id"]).pay_token
    return placed | {"token": token, "potato": potato, "honey": honey}


def payments_of(db: Database, order_id: str) -> list[tuple[str, str | None, str | None]]:
    """(idempotency key, provider_ref, qr_payload) of an order's payments, first first."""
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Payment.idempotency_key, Payment.provider_ref, Payment.qr_payload)
            .where(Payment.order_id == order_id)
            .order_by(Payment.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def pay_page(client: Any, token: str, *, user_agent: str = DESKTOP, lang: str | None = None) -> str:
    """The pay page's HTML as a browser of that kind gets it."""
    query = f"?lang={lang}" if lang else ""
    response = client.get(f"/pay/{token}{query}", headers={"User-Agent": user_agent})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def decode_qr(html: str) -> str:
    """Draw the pay page's QR code SVG (one square path per dark module) as pixels and decode it
    with zxing-cpp: what a phone's camera would read."""
    svg = re.search(r'<svg class="qr-code".*?</svg>', html, re.S)
    assert svg, "the page shows no QR code"
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg.group(0)).group(1))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    for x, y, _x2, _y2 in _MODULE.findall(svg.group(0)):
        left, top = int(x) * scale, int(y) * scale
        image.paste(0, (left, top, left + scale, top + scale))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "the QR code does not decode"
    return found[0].text


def refund_line(app: Any, order_id: str, line_id: int, qty: int) -> Any:
    """An operator refunds units of a line through the console's form (asked, then confirmed), in
    a browser of their own (the provider's notifications come from no signed-in session)."""
    client = app.test_client()
    token = sign_in(client, "operator")
    form = {"csrf_token": token, "line": str(line_id), "qty": str(qty), "reason": "破损 damaged"}
    asked = client.post(f"/console/orders/{order_id}/refund", data=form)
    assert asked.status_code == 200 and "确认退款" in asked.get_data(as_text=True)
    done = client.post(f"/console/orders/{order_id}/refund", data={**form, "confirm": "1"})
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    return done


def line_id(db: Database, order_id: str, product_id: int) -> int:
    with db.unit_of_work() as session:
        order = session.get(Order, order_id)
        return next(line.id for line in order.lines if line.product_id == product_id)
