"""Operator writes: good input is stored; bad input is a 4xx naming the field, and nothing is written."""

import pytest
from sqlalchemy import func, select

from catalogue.models import Pairing, Product, Region, Supplier
from catalogue.validators import credit_code_check_char, gtin_check_digit

VALID_GTIN = "690000000001" + gtin_check_digit("690000000001")
FIRST17 = "93640422MA0TE7T01"
VALID_CREDIT_CODE = FIRST17 + credit_code_check_char(FIRST17)


def product_body(supplier_id: int, **overrides):
    body = {
        "sku": "NEW-MILLET-2KG",
        "gtin": VALID_GTIN,
        "name_zh": "测试小米",
        "name_en": "Test millet",
        "category": "grain",
        "spec": "2kg/袋",
        "price_fen": 3600,
        "county": "610830",
        "supplier": supplier_id,
        "certification_no": "SX-TEST-1",
        "certified_from": "2026-01-01",
        "certified_until": "2027-12-31",
        "shelf_life_days": 365,
        "storage": "ambient",
        "keywords": "铁杆庄稼",
    }
    body.update(overrides)
    return body


@pytest.fixture
def supplier_id(session) -> int:
    return session.scalar(select(Supplier.id).where(Supplier.county_code == "610830").limit(1))


def counts(session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(m)) for m in (Product, Supplier, Region, Pairing)
    )


def test_operator_creates_a_product_that_search_finds(client, auth, supplier_id) -> None:
    response = client.post("/api/v1/products", json=product_body(supplier_id), headers=auth("operator"))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["certified"] is True and created["county"]["code"] == "610830"
    found = client.get("/api/v1/products?q=tieganzhuangjia").get_json()["items"]
    assert [p["sku"] for p in found] == ["NEW-MILLET-2KG"]


BAD_PRODUCTS = [
    ({"price_fen": -100}, "price_fen"),
    ({"price_fen": 0}, "price_fen"),
    ({"price_fen": "3600"}, "price_fen"),
    ({"price_fen": 36.5}, "price_fen"),
    ({"shelf_life_days": "a year"}, "shelf_life_days"),
    ({"gtin": "6900000000019"}, "gtin"),
    ({"gtin": "69000000000"}, "gtin"),
    ({"colour": "red"}, "colour"),
    ({"category": "jewellery"}, "category"),
    ({"county": "640400"}, "county"),
    ({"county": "999999"}, "county"),
    ({"supplier": 999999}, "supplier"),
    ({"sku": "lower case"}, "sku"),
    ({"certified_until": "2025-01-01"}, "certified_until"),
    ({"certified_from": "not a date"}, "certified_from"),
    ({"name_zh": None}, "name_zh"),
]


@pytest.mark.parametrize(("override", "field"), BAD_PRODUCTS)
def test_bad_product_is_refused_naming_the_field_and_nothing_is_written(
    client, auth, session, supplier_id, override, field
) -> None:
    before = counts(session)
    response = client.post(
        "/api/v1/products", json=product_body(supplier_id, **override), headers=auth("operator")
    )
    assert 400 <= response.status_code < 500
    error = response.get_json()["error"]
    assert field in error["fields"], error
    assert counts(session) == before


def test_missing_fields_are_each_named(client, auth) -> None:
    response = client.post("/api/v1/products", json={}, headers=auth("operator"))
    assert response.status_code == 422
    assert {"sku", "name_zh", "price_fen", "county", "supplier"} <= set(
        response.get_json()["error"]["fields"]
    )


def test_a_duplicate_sku_is_a_409_naming_sku(client, auth, supplier_id) -> None:
    response = client.post(
        "/api/v1/products",
        json=product_body(supplier_id, sku="GY-POTATO-5KG", gtin=None),
        headers=auth("operator"),
    )
    assert response.status_code == 409 and "sku" in response.get_json()["error"]["fields"]


def test_body_that_is_not_json_is_a_4xx_json_error(client, auth) -> None:
    response = client.post(
        "/api/v1/products", data="{not json", content_type="application/json", headers=auth("operator")
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"


def test_supplier_with_a_bad_credit_code_is_refused(client, auth, session) -> None:
    before = counts(session)
    body = {
        "name_zh": "测试合作社（测试）",
        "kind": "cooperative",
        "county": "640422",
        "credit_code": VALID_CREDIT_CODE[:-1] + ("0" if VALID_CREDIT_CODE[-1] != "0" else "1"),
    }
    response = client.post("/api/v1/suppliers", json=body, headers=auth("operator"))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_credit_code"
    assert "credit_code" in response.get_json()["error"]["fields"]
    assert counts(session) == before


def test_supplier_with_a_valid_credit_code_is_created(client, auth) -> None:
    body = {
        "name_zh": "测试合作社（测试）",
        "kind": "cooperative",
        "county": "640422",
        "credit_code": VALID_CREDIT_CODE,
        "households_linked": 12,
    }
    response = client.post("/api/v1/suppliers", json=body, headers=auth("admin"))
    assert response.status_code == 201
    assert response.get_json()["county"]["name"]["zh"] == "西吉县"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"households_linked": -1}, "households_linked"),
        ({"households_linked": "many"}, "households_linked"),
        ({"kind": "charity"}, "kind"),
        ({"county": "6404"}, "county"),
    ],
)
def test_supplier_patch_refuses_bad_values(client, auth, supplier_id, body, field) -> None:
    response = client.patch(f"/api/v1/suppliers/{supplier_id}", json=body, headers=auth("operator"))
    assert response.status_code == 422 and field in response.get_json()["error"]["fields"]


def test_product_patch_changes_price_and_keeps_sku(client, auth, session) -> None:
    product_id = session.scalar(select(Product.id).where(Product.sku == "GY-POTATO-5KG"))
    response = client.patch(
        f"/api/v1/products/{product_id}", json={"price_fen": 3190}, headers=auth("operator")
    )
    assert response.status_code == 200 and response.get_json()["price"] == "¥31.90"
    response = client.patch(f"/api/v1/products/{product_id}", json={"sku": "OTHER"}, headers=auth("operator"))
    assert response.status_code == 422 and "sku" in response.get_json()["error"]["fields"]


def test_pairing_that_ends_before_it_starts_is_refused(client, auth, session) -> None:
    before = counts(session)
    body = {"east": "350100", "west": "640400", "valid_from": "2027-01-01", "valid_to": "2026-01-01"}
    response = client.post("/api/v1/pairings", json=body, headers=auth("operator"))
    assert response.status_code == 422 and "valid_to" in response.get_json()["error"]["fields"]
    assert counts(session) == before


def test_region_is_added_under_its_parent(client, auth) -> None:
    body = {
        "code": "640402",
        "name_zh": "原州区",
        "name_en": "Yuanzhou",
        "level": "county",
        "parent": "640400",
    }
    assert client.post("/api/v1/regions", json=body, headers=auth("operator")).status_code == 409
    body = {"code": "640499", "name_zh": "测试区", "name_en": "Test", "level": "county", "parent": "640400"}
    assert client.post("/api/v1/regions", json=body, headers=auth("operator")).status_code == 201
