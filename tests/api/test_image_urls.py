"""A product's picture is an https:// address or one of our /static/ files; anything a browser or
kiosk would run or fetch from elsewhere (javascript:, data:, file:, //host, http://) is a 422
naming image_url, and nothing is written (issue 13: javascript: image URLs were accepted)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalogue.models import Product, Supplier
from tests.api.test_catalogue_writes import counts, product_body

REFUSED = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "/etc/passwd",
    "/static/../../etc/passwd",
    "//evil.example/x.png",
    "/\\evil.example/x.png",
    "http://evil.example/x.png",
    "https://",
    "https:///x.png",
    "https://user:pw@evil.example/x.png",
    "https://cdn.example/a b.png",
    "https://cdn.example/x.png\n",
    "x.png",
]
ACCEPTED = ["https://cdn.example.com/products/potatoes.jpg?v=2", "/static/img/products/potatoes.svg", None]


@pytest.fixture
def supplier_id(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(Supplier.id).where(Supplier.county_code == "610830").limit(1))


@pytest.mark.parametrize("url", REFUSED)
def test_a_product_with_an_image_url_we_would_not_serve_is_refused(
    client, auth, session, supplier_id, url
) -> None:
    before = counts(session)
    body = product_body(supplier_id, image_url=url)
    response = client.post("/api/v1/products", json=body, headers=auth("operator"))
    assert response.status_code == 422, response.get_json()
    assert "image_url" in response.get_json()["error"]["fields"]
    assert counts(session) == before


@pytest.mark.parametrize("url", REFUSED[:6])
def test_a_patch_to_such_an_image_url_is_refused_and_the_old_one_kept(client, auth, session, url) -> None:
    product = session.scalar(select(Product).where(Product.image_url.is_not(None)).order_by(Product.id))
    kept = product.image_url
    response = client.patch(
        f"/api/v1/products/{product.id}", json={"image_url": url}, headers=auth("operator")
    )
    assert response.status_code == 422 and "image_url" in response.get_json()["error"]["fields"]
    session.expire_all()
    assert session.get(Product, product.id).image_url == kept
    assert client.get(f"/api/v1/products/{product.id}").get_json()["image_url"] == kept


@pytest.mark.parametrize("url", ACCEPTED)
def test_https_and_our_static_files_are_accepted(client, auth, supplier_id, url) -> None:
    response = client.post(
        "/api/v1/products", json=product_body(supplier_id, image_url=url), headers=auth("operator")
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["image_url"] == url
