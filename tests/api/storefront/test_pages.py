"""Storefront and organization pages through the test client: browsing by partner and region, the
product page's facts, owner-only order pages, and who may open the portal pages."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import User
from catalogue.models import Product
from tests.integration.orgs.factories import demo_unit, product

CONTACT = {"name": "林", "phone": "13800138000", "address": "福州市鼓楼区某路 1 号"}


def sign_in_as(client, session, username: str) -> None:  # type: ignore[no-untyped-def]
    user = session.scalar(select(User).where(User.username == username))
    with client.session_transaction() as cookie:
        cookie["user_id"] = user.id
        cookie["epoch"] = user.session_epoch  # as sign-in writes it (kiosk_api/pages.py)


def test_browse_by_partner_and_by_region(client) -> None:
    ningbo = client.get("/shop?partner=330200").get_data(as_text=True)
    assert "普安红" in ningbo and "延边大米" in ningbo and "西吉马铃薯" not in ningbo
    xiji = client.get("/shop?region=640422&q=tudou").get_data(as_text=True)
    assert "西吉马铃薯" in xiji and "延边大米" not in xiji
    tea = client.get("/shop?category=tea").get_data(as_text=True)
    assert "普安红" in tea and "西吉马铃薯" not in tea


def test_home_is_the_shops_catalogue_with_its_partner_and_origin_filters(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'class="sf shop"' in html and 'id="filters"' in html  # the shop's one design
    assert "/shop?partner=350100" in html and "/shop?region=640000#origin-prefecture" in html
    assert "/shop/products/" in html
    assert html.count('class="card"') == client.get("/shop").get_data(as_text=True).count('class="card"')


def test_product_page_shows_origin_supplier_households_and_certification(client, session) -> None:
    potatoes = product(session, "GY-POTATO-5KG")
    html = client.get(f"/shop/products/{potatoes.id}").get_data(as_text=True)
    for fact in (
        "西吉县",
        potatoes.supplier.name_zh,
        str(potatoes.supplier.households_linked),
        "NX-2025-0012",
        "2027-02-28",
    ):
        assert fact in html
    assert potatoes.image_url in html and potatoes.story_zh in html


def test_an_inactive_product_has_no_page(client, session) -> None:
    gone = session.scalar(select(Product).where(Product.sku == "GY-OATS-1KG"))
    gone.active = False
    session.commit()
    assert client.get(f"/shop/products/{gone.id}").status_code == 404


def test_the_order_page_opens_for_its_link_only(client, session) -> None:
    rice = product(session, "GY-HONEY-500G")
    placed = client.post(
        "/api/v1/orders", json={"lines": [{"product": rice.id, "qty": 1}], "contact": CONTACT}
    )
    order = placed.get_json()
    token = order["link"].rsplit("token=", 1)[1]
    page = client.get(f"/shop/orders/{order['order_id']}?token={token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "138****8000" in html and "13800138000" not in html  # the phone, masked
    assert "openapi.json" not in html  # no developer link on a shopper's page
    stranger = client.application.test_client()
    assert stranger.get(f"/shop/orders/{order['order_id']}").status_code == 404
    assert stranger.get(f"/shop/orders/{order['order_id']}?token=guess").status_code == 404


def test_the_portal_shows_a_members_unit_and_keeps_others_out(client, session, clock) -> None:
    unit = demo_unit(session, clock)
    session.commit()
    assert client.get("/org").status_code == 302  # to the sign-in page
    sign_in_as(client, session, "demo-org-approver")
    html = client.get("/org").get_data(as_text=True)
    assert unit.org.name_zh in html and "¥300,000.00" in html and "<svg" in html
    assert client.get("/operator/orgs").status_code == 403
    sign_in_as(client, session, "demo-restocker")
    assert client.get("/org").status_code == 403
    sign_in_as(client, session, "demo-operator")
    listing = client.get("/operator/orgs").get_data(as_text=True)
    assert unit.org.name_zh in listing and "behind-count" in listing
