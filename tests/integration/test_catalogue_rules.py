"""Catalogue rules against a real database."""

from datetime import date

import pytest
from sqlalchemy import func, select

from catalogue import service
from catalogue.models import Product, Supplier
from catalogue.validators import credit_code_check_char
from core.errors import Conflict, InvalidInput

XIJI, GUYUAN, NINGXIA, FUZHOU = "640422", "640400", "640000", "350100"


def supplier_code(county: str, serial: str) -> str:
    first17 = f"93{county}MA{serial}"[:17].ljust(17, "0")
    return first17 + credit_code_check_char(first17)


def new_product(session, clock, **overrides):
    supplier = session.scalar(select(Supplier).where(Supplier.county_code == XIJI))
    fields = dict(
        sku="TEST-POTATO-1",
        name_zh="测试马铃薯",
        name_en="Test potatoes",
        category="vegetable",
        spec="1kg/袋",
        price_fen=990,
        county=XIJI,
        supplier=supplier.id,
        shelf_life_days=30,
    )
    fields.update(overrides)
    return service.create_product(session, clock, **fields)


def test_a_lapsed_certificate_is_flagged_and_not_counted(session, clock) -> None:
    product = new_product(
        session,
        clock,
        certification_no="NX-TEST-1",
        certified_from=date(2024, 1, 1),
        certified_until=date(2026, 6, 30),
    )
    assert product.certification_status(date(2026, 6, 30)) == "certified"
    assert product.certification_status(date(2026, 7, 1)) == "lapsed"
    assert not product.is_certified(date(2026, 11, 26))
    session.flush()
    certified, _ = service.search_products(
        session, on=date(2026, 11, 26), q="测试马铃薯", certified_only=True
    )
    assert certified == []
    earlier, _ = service.search_products(session, on=date(2026, 6, 1), q="测试马铃薯", certified_only=True)
    assert earlier == [product]


def test_a_certificate_needs_number_and_both_dates(session, clock) -> None:
    with pytest.raises(InvalidInput) as err:
        new_product(session, clock, certification_no="NX-1", certified_from=date(2026, 1, 1))
    assert set(err.value.fields) == {"certified_until"}


def test_partner_filter_follows_pairings_valid_on_the_day(session) -> None:
    on = date(2026, 11, 26)
    fuzhou, _ = service.search_products(session, on=on, partner=FUZHOU, limit=200)
    assert fuzhou and all(p.county.parent_code == GUYUAN for p in fuzhou)
    pairing = next(p for p in service.list_pairings(session) if p.east_code == FUZHOU)
    service.update_pairing(session, pairing.id, {"valid_to": date(2026, 11, 25)})
    session.flush()
    assert service.search_products(session, on=on, partner=FUZHOU)[1] == 0


def test_province_and_prefecture_filters_walk_the_region_tree(session) -> None:
    on = date(2026, 11, 26)
    by_province, total = service.search_products(session, on=on, province=NINGXIA, limit=200)
    by_prefecture, _ = service.search_products(session, on=on, prefecture=GUYUAN, limit=200)
    assert total > 0 and {p.id for p in by_province} == {p.id for p in by_prefecture}


def test_a_credit_code_is_registered_once(session) -> None:
    existing = session.scalar(select(Supplier).limit(1))
    with pytest.raises(Conflict) as err:
        service.create_supplier(
            session, name_zh="重复（测试）", kind="cooperative", county=XIJI, credit_code=existing.credit_code
        )
    assert "credit_code" in err.value.fields


def test_a_supplier_sits_in_a_county_not_a_prefecture(session) -> None:
    with pytest.raises(InvalidInput) as err:
        service.create_supplier(
            session,
            name_zh="测试（测试）",
            kind="cooperative",
            county=GUYUAN,
            credit_code=supplier_code(GUYUAN, "0TE7T01"),
        )
    assert err.value.fields == {"county": "must be a county"}


def test_a_county_code_must_belong_to_its_parent(session) -> None:
    with pytest.raises(InvalidInput) as err:
        service.create_region(
            session, code="620199", name_zh="错", name_en="Wrong", level="county", parent=GUYUAN
        )
    assert "code" in err.value.fields


def test_editing_a_product_rebuilds_its_search_keys(session, clock) -> None:
    product = new_product(session, clock)
    session.flush()
    service.update_product(session, clock, product.id, {"keywords": "洋芋蛋"})
    session.flush()
    assert service.search_products(session, on=date(2026, 11, 26), q="yangyudan")[0] == [product]


def test_the_database_refuses_a_negative_price_even_past_the_service(session, clock) -> None:
    product = new_product(session, clock)
    session.flush()
    count = session.scalar(select(func.count()).select_from(Product))
    product.price_fen = -1
    with pytest.raises(Exception, match=r"(?i)check|constraint"):
        session.flush()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Product)) == count - 1


def test_origin_counties_are_the_counties_of_the_products_the_other_filters_find(session, clock) -> None:
    on = date(2026, 11, 26)
    grain, _ = service.search_products(session, on=on, partner=FUZHOU, category="grain", limit=200)
    counties = service.origin_counties(session, on=on, partner=FUZHOU, category="grain")
    assert [c.code for c in counties] == sorted({p.county_code for p in grain})
    assert all(c.level == "county" and c.parent.code == GUYUAN for c in counties)
    product = new_product(session, clock, county=XIJI, category="tea", sku="TEST-TEA-1")
    session.flush()

    def tea_counties() -> set[str]:
        return {c.code for c in service.origin_counties(session, on=on, partner=FUZHOU, category="tea")}

    assert XIJI in tea_counties()
    product.active = False  # an inactive product puts no county on offer
    session.flush()
    assert XIJI not in tea_counties()
