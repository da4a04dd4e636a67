"""The shop's filters through the test client: every filter combines with the others, the origin
rows offer only places with products, unknown codes are ignored; shopper pages show the order's
short number, a masked phone and no developer link."""

from __future__ import annotations

import re

from flask import url_for
from sqlalchemy import select

from catalogue import service as catalogue
from catalogue.models import Region
from kiosk_api.demo import demo_password
from kiosk_api.pages import LANDINGS
from sales.order_search import short_id
from tests.api.test_login import csrf_from
from tests.integration.orgs.factories import product

FUZHOU, NINGBO, NINGXIA, GUYUAN, XIJI = "350100", "330200", "640000", "640400", "640422"
CONTACT = {"name": "林", "phone": "13800138000", "address": "福州市鼓楼区某路 1 号"}
CARD_NAME = re.compile(r'<li class="card">.*?<h3>(.*?)</h3>', re.S)


def names_on(client, path: str) -> set[str]:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    return set(CARD_NAME.findall(response.get_data(as_text=True)))


def codes_in_row(html: str, level: str) -> set[str]:
    row = re.search(rf'data-filter="{level}".*?</div>', html, re.S)
    return set(re.findall(r'data-code="(\d{6})"', row.group())) if row else set()


def test_partner_county_category_and_search_combine(client, session, clock) -> None:
    on = catalogue.today(clock)
    found, _ = catalogue.search_products(session, on=on, partner=FUZHOU, county=XIJI, category="grain")
    assert (
        names_on(client, f"/shop?partner={FUZHOU}&region={XIJI}&category=grain") == {p.name_zh for p in found}
        and len(found) >= 2
    )
    assert names_on(client, f"/shop?partner={FUZHOU}&region={XIJI}&category=grain&q=fentiao") == {
        "西吉马铃薯粉条"
    }
    assert (
        names_on(client, f"/shop?partner={NINGBO}&region={XIJI}") == set()
    )  # Ningbo is not paired with Xiji
    html = client.get(f"/shop?partner={FUZHOU}&region={XIJI}&certified=1").get_data(as_text=True)
    for removable in ("partner", "region", "certified"):
        assert f'data-remove="{removable}"' in html  # each filter on is a chip that removes it
    assert 'data-total="' in html


def test_origin_rows_cascade_and_hold_only_places_with_products(client, session, clock) -> None:
    on = catalogue.today(clock)
    home = client.get("/shop").get_data(as_text=True)
    assert codes_in_row(home, "prefecture") == set() and NINGXIA in codes_in_row(home, "province")
    html = client.get(f"/shop?region={GUYUAN}").get_data(as_text=True)
    assert GUYUAN in codes_in_row(html, "prefecture")
    offered = codes_in_row(html, "county")
    counties = session.scalars(select(Region.code).where(Region.parent_code == GUYUAN)).all()
    with_products = {c for c in counties if catalogue.search_products(session, on=on, county=c)[1]}
    assert offered == with_products and XIJI in offered
    assert len(counties) > len(offered)  # Guyuan has counties without products: not offered
    # a partner narrows the provinces on offer to those it is paired with
    assert codes_in_row(client.get(f"/shop?partner={FUZHOU}").get_data(as_text=True), "province") == {NINGXIA}


def test_unknown_filter_codes_are_ignored(client) -> None:
    everything = names_on(client, "/shop")
    assert names_on(client, "/shop?region=999999&partner=abc&category=nope&certified=x") == everything


def test_shopper_pages_show_the_short_number_a_masked_phone_and_no_api_link(client, session) -> None:
    honey = product(session, "GY-HONEY-500G")
    placed = client.post(
        "/api/v1/orders", json={"lines": [{"product": honey.id, "qty": 1}], "contact": CONTACT}
    )
    order = placed.get_json()
    order_id, token = order["order_id"], order["link"].rsplit("token=", 1)[1]
    order_page = client.get(f"/shop/orders/{order_id}?token={token}").get_data(as_text=True)
    assert f'class="order-number">{short_id(order_id)}<' in order_page
    pay_page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert f'class="order-number">{short_id(order_id)}<' in pay_page
    csrf = csrf_from(client.get("/login").data)
    added = client.post("/shop/cart", data={"csrf_token": csrf, "product": honey.id, "qty": 1})
    assert added.status_code == 302
    pages = [
        "/",
        "/shop",
        f"/shop?partner={FUZHOU}&region={XIJI}",
        f"/shop/products/{honey.id}",
        "/shop/cart",
    ]
    pages += ["/shop/checkout", f"/shop/orders/{order_id}?token={token}", f"/pay/{token}", "/?lang=en"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert "openapi" not in html.lower(), path
        assert CONTACT["phone"] not in html, path
    assert "138****8000" in order_page


def test_each_role_still_lands_on_its_own_page_after_signing_in(app) -> None:  # type: ignore[no-untyped-def]
    for role, endpoint in LANDINGS.items():
        client = app.test_client()
        csrf = csrf_from(client.get("/login").data)
        username = f"demo-{role}".replace("_", "-")
        signed_in = client.post(
            "/login", data={"username": username, "password": demo_password(role), "csrf_token": csrf}
        )
        with app.test_request_context():
            assert signed_in.headers["Location"] == url_for(endpoint), role
        assert client.get(signed_in.headers["Location"]).status_code == 200, role
