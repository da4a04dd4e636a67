"""Catalogue use cases. Each takes the session explicitly and never commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from catalogue.categories import CATEGORIES
from catalogue.models import Pairing, Product, Region, Supplier
from catalogue.search import like_pattern, normalize_query, search_keys
from catalogue.validators import is_valid_credit_code, is_valid_gtin13
from core.clock import Clock, local_date
from core.errors import Conflict, InvalidInput, NotFound

# --- regions -------------------------------------------------------------------------------


def list_regions(session: Session, *, level: str | None = None, parent: str | None = None) -> list[Region]:
    """List regions, optionally of one level or under one parent."""
    stmt = select(Region).order_by(Region.code)
    if level:
        stmt = stmt.where(Region.level == level)
    if parent:
        stmt = stmt.where(Region.parent_code == parent)
    return list(session.scalars(stmt))


def get_region(session: Session, code: str) -> Region:
    """Return the region with this GB/T 2260 code."""
    region = session.get(Region, code)
    if region is None:
        raise NotFound(f"no region with code {code}", code="region_not_found")
    return region


def _check_region_parent(code: str, level: str, parent: Region | None) -> None:
    if level == "province":
        if parent is not None or not code.endswith("0000"):
            raise InvalidInput(
                "a province has no parent and its code ends in 0000", fields={"code": "not a province code"}
            )
        return
    if parent is None:
        raise InvalidInput(f"a {level} needs a parent region", fields={"parent": "required"})
    allowed = {"prefecture": ("province",), "county": ("prefecture", "province")}[level]
    if parent.level not in allowed:
        raise InvalidInput(
            f"a {level} cannot sit under a {parent.level}",
            fields={"parent": f"must be a {' or '.join(allowed)}"},
        )
    prefix = parent.code[:2] if parent.level == "province" else parent.code[:4]
    if not code.startswith(prefix) or (level == "prefecture" and not code.endswith("00")):
        raise InvalidInput(
            f"code {code} does not belong under {parent.code}",
            fields={"code": "does not match the parent's code"},
        )


def create_region(
    session: Session, *, code: str, name_zh: str, name_en: str, level: str, parent: str | None = None
) -> Region:
    """Add a region with its GB/T 2260 code under its parent."""
    if session.get(Region, code) is not None:
        raise Conflict(f"region {code} already exists", code="duplicate", fields={"code": "already exists"})
    parent_region = _region_for_field(session, parent, "parent") if parent else None
    _check_region_parent(code, level, parent_region)
    region = Region(code=code, name_zh=name_zh, name_en=name_en, level=level, parent_code=parent)
    session.add(region)
    return region


def update_region(session: Session, code: str, changes: dict[str, Any]) -> Region:
    """Rename a region (codes and levels are fixed: a new code is a new region)."""
    region = get_region(session, code)
    for field in ("name_zh", "name_en"):
        if field in changes:
            setattr(region, field, changes[field])
    return region


def _region_for_field(session: Session, code: str, field: str, level: str | None = None) -> Region:
    region = session.get(Region, code)
    if region is None:
        raise InvalidInput(
            f"unknown region {code}", code="unknown_region", fields={field: "unknown region code"}
        )
    if level is not None and region.level != level:
        raise InvalidInput(f"{code} is a {region.level}, not a {level}", fields={field: f"must be a {level}"})
    return region


# --- pairings ------------------------------------------------------------------------------


def list_pairings(session: Session, *, on: date | None = None) -> list[Pairing]:
    """List pairings, or only those valid on a day."""
    stmt = (
        select(Pairing).options(selectinload(Pairing.east), selectinload(Pairing.west)).order_by(Pairing.id)
    )
    if on is not None:
        stmt = stmt.where(Pairing.valid_from <= on, or_(Pairing.valid_to.is_(None), Pairing.valid_to >= on))
    return list(session.scalars(stmt))


def get_pairing(session: Session, pairing_id: int) -> Pairing:
    pairing = session.get(Pairing, pairing_id)
    if pairing is None:
        raise NotFound(f"no pairing {pairing_id}", code="pairing_not_found")
    return pairing


def _check_pairing(pairing: Pairing) -> None:
    if pairing.east_code == pairing.west_code:
        raise InvalidInput("a region cannot be paired with itself", fields={"west": "must differ from east"})
    if pairing.valid_to is not None and pairing.valid_to < pairing.valid_from:
        raise InvalidInput("the pairing ends before it starts", fields={"valid_to": "before valid_from"})


def create_pairing(
    session: Session,
    *,
    east: str,
    west: str,
    valid_from: date,
    valid_to: date | None = None,
    note_zh: str = "",
    note_en: str = "",
) -> Pairing:
    """Pair an eastern partner with a western region for a period."""
    _region_for_field(session, east, "east")
    _region_for_field(session, west, "west")
    pairing = Pairing(
        east_code=east,
        west_code=west,
        valid_from=valid_from,
        valid_to=valid_to,
        note_zh=note_zh,
        note_en=note_en,
    )
    _check_pairing(pairing)
    duplicate = session.scalar(
        select(Pairing.id).where(
            Pairing.east_code == east, Pairing.west_code == west, Pairing.valid_from == valid_from
        )
    )
    if duplicate is not None:
        raise Conflict(
            "this pairing already exists", code="duplicate", fields={"valid_from": "already exists"}
        )
    session.add(pairing)
    return pairing


def update_pairing(session: Session, pairing_id: int, changes: dict[str, Any]) -> Pairing:
    """Change a pairing's dates or notes."""
    pairing = get_pairing(session, pairing_id)
    for field in ("valid_from", "valid_to", "note_zh", "note_en"):
        if field in changes:
            setattr(pairing, field, changes[field])
    _check_pairing(pairing)
    return pairing


def partner_west_codes(session: Session, partner: str, on: date) -> set[str]:
    """Return the western region codes paired on a day with an eastern partner (or its districts)."""
    east = aliased(Region)
    stmt = (
        select(Pairing.west_code)
        .join(east, east.code == Pairing.east_code)
        .where(or_(Pairing.east_code == partner, east.parent_code == partner))
        .where(Pairing.valid_from <= on, or_(Pairing.valid_to.is_(None), Pairing.valid_to >= on))
    )
    return set(session.scalars(stmt))


def partners_of_county(session: Session, county: Region, on: date) -> list[Region]:
    """Return the eastern partners paired on a day with a county or any region above it."""
    codes = [r.code for r in county.lineage()]
    stmt = (
        select(Region)
        .join(Pairing, Pairing.east_code == Region.code)
        .where(
            Pairing.west_code.in_(codes),
            Pairing.valid_from <= on,
            or_(Pairing.valid_to.is_(None), Pairing.valid_to >= on),
        )
        .order_by(Region.code)
        .distinct()
    )
    return list(session.scalars(stmt))


# --- suppliers -----------------------------------------------------------------------------


def list_suppliers(session: Session, *, county: str | None = None) -> list[Supplier]:
    """List suppliers, optionally of one county."""
    stmt = select(Supplier).options(selectinload(Supplier.county)).order_by(Supplier.id)
    if county:
        stmt = stmt.where(Supplier.county_code == county)
    return list(session.scalars(stmt))


def get_supplier(session: Session, supplier_id: int) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(f"no supplier {supplier_id}", code="supplier_not_found")
    return supplier


def _check_supplier_fields(session: Session, supplier_id: int | None, fields: dict[str, Any]) -> None:
    if "credit_code" in fields:
        code = fields["credit_code"]
        if not is_valid_credit_code(code):
            raise InvalidInput(
                "the unified social credit code is not valid",
                code="invalid_credit_code",
                fields={"credit_code": "not a valid unified social credit code (check character)"},
            )
        taken = session.scalar(select(Supplier.id).where(Supplier.credit_code == code))
        if taken is not None and taken != supplier_id:
            raise Conflict(
                "another supplier has this credit code",
                code="duplicate",
                fields={"credit_code": "already registered"},
            )
    if "county" in fields:
        _region_for_field(session, fields["county"], "county", level="county")


def create_supplier(session: Session, **fields: Any) -> Supplier:
    """Register a cooperative or enterprise of an origin county."""
    _check_supplier_fields(session, None, fields)
    supplier = Supplier(county_code=fields.pop("county"), **fields)
    session.add(supplier)
    return supplier


def update_supplier(session: Session, supplier_id: int, changes: dict[str, Any]) -> Supplier:
    """Change a supplier's details."""
    supplier = get_supplier(session, supplier_id)
    _check_supplier_fields(session, supplier_id, changes)
    changes = dict(changes)
    if "county" in changes:
        changes["county_code"] = changes.pop("county")
    for field, value in changes.items():
        setattr(supplier, field, value)
    return supplier


# --- products ------------------------------------------------------------------------------

_PRODUCT_FIELDS = {
    "sku",
    "gtin",
    "name_zh",
    "name_en",
    "category",
    "spec",
    "price_fen",
    "certification_no",
    "certified_from",
    "certified_until",
    "shelf_life_days",
    "storage",
    "image_url",
    "keywords",
    "story_zh",
    "story_en",
    "active",
}


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(
        Product, product_id, options=[selectinload(Product.county).selectinload(Region.parent)]
    )
    if product is None:
        raise NotFound(f"no product {product_id}", code="product_not_found")
    return product


def _check_product(session: Session, product: Product) -> None:
    if product.category not in CATEGORIES:
        raise InvalidInput(f"unknown category {product.category}", fields={"category": "unknown category"})
    if product.gtin is not None:
        if not is_valid_gtin13(product.gtin):
            raise InvalidInput(
                "the GTIN-13 is not valid",
                code="invalid_gtin",
                fields={"gtin": "not a valid GTIN-13 (13 digits, check digit)"},
            )
        taken = session.scalar(select(Product.id).where(Product.gtin == product.gtin))
        if taken is not None and taken != product.id:
            raise Conflict("another product has this GTIN", code="duplicate", fields={"gtin": "already used"})
    taken = session.scalar(select(Product.id).where(Product.sku == product.sku))
    if taken is not None and taken != product.id:
        raise Conflict("another product has this SKU", code="duplicate", fields={"sku": "already used"})
    cert = (product.certification_no, product.certified_from, product.certified_until)
    if any(v is not None for v in cert) and not all(v is not None for v in cert):
        missing = [
            f
            for f, v in zip(("certification_no", "certified_from", "certified_until"), cert, strict=True)
            if v is None
        ]
        raise InvalidInput(
            "a certification needs its number and both dates",
            fields={f: "required with a certification" for f in missing},
        )
    if (
        product.certified_from
        and product.certified_until
        and product.certified_until < product.certified_from
    ):
        raise InvalidInput(
            "the certification ends before it starts", fields={"certified_until": "before certified_from"}
        )
    county = _region_for_field(session, product.county_code, "county", level="county")
    supplier = session.get(Supplier, product.supplier_id)
    if supplier is None:
        raise InvalidInput(
            "unknown supplier", code="unknown_supplier", fields={"supplier": "unknown supplier"}
        )
    product.county = county
    product.supplier = supplier
    product.search_text = search_keys(
        product.name_zh, product.name_en, product.keywords, county.name_zh, product.sku, product.gtin or ""
    )


def create_product(session: Session, clock: Clock, *, county: str, supplier: int, **fields: Any) -> Product:
    """Add a product to the catalogue; the server derives its search keys."""
    now = clock.now()
    product = Product(
        county_code=county,
        supplier_id=supplier,
        created_at=now,
        updated_at=now,
        **{k: v for k, v in fields.items() if k in _PRODUCT_FIELDS},
    )
    for field, default in (
        ("keywords", ""),
        ("story_zh", ""),
        ("story_en", ""),
        ("name_en", ""),
        ("storage", "ambient"),
        ("active", True),
    ):
        if getattr(product, field) is None:
            setattr(product, field, default)
    _check_product(session, product)
    session.add(product)
    return product


def update_product(session: Session, clock: Clock, product_id: int, changes: dict[str, Any]) -> Product:
    """Change a product; order lines keep their own snapshot, so history is untouched."""
    product = get_product(session, product_id)
    with session.no_autoflush:
        for field, value in changes.items():
            if field == "county":
                product.county_code = value
            elif field == "supplier":
                product.supplier_id = value
            elif field in _PRODUCT_FIELDS:
                setattr(product, field, value)
        _check_product(session, product)
    product.updated_at = clock.now()
    return product


def search_products(
    session: Session,
    *,
    on: date,
    q: str | None = None,
    county: str | None = None,
    prefecture: str | None = None,
    province: str | None = None,
    partner: str | None = None,
    category: str | None = None,
    supplier: int | None = None,
    certified_only: bool = False,
    include_inactive: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Product], int]:
    """Find products by text (characters, pinyin, initials) and by origin, partner and category."""
    county_region = aliased(Region)
    prefecture_region = aliased(Region)
    stmt = (
        select(Product)
        .join(county_region, county_region.code == Product.county_code)
        .outerjoin(prefecture_region, prefecture_region.code == county_region.parent_code)
    )
    if not include_inactive:
        stmt = stmt.where(Product.active.is_(True))
    if county:
        stmt = stmt.where(Product.county_code == county)
    if prefecture:
        stmt = stmt.where(county_region.parent_code == prefecture)
    if province:
        stmt = stmt.where(
            or_(county_region.parent_code == province, prefecture_region.parent_code == province)
        )
    if partner:
        west = partner_west_codes(session, partner, on)
        stmt = stmt.where(
            or_(
                Product.county_code.in_(west),
                county_region.parent_code.in_(west),
                prefecture_region.parent_code.in_(west),
            )
        )
    if category:
        stmt = stmt.where(Product.category == category)
    if supplier is not None:
        stmt = stmt.where(Product.supplier_id == supplier)
    if certified_only:
        stmt = stmt.where(
            and_(
                Product.certification_no.is_not(None),
                Product.certified_from <= on,
                Product.certified_until >= on,
            )
        )
    order = [Product.id]
    term = normalize_query(q or "")
    if term:
        pattern = like_pattern(term)
        stmt = stmt.where(Product.search_text.like(pattern, escape="\\"))
        # A term that starts with the query (马铃薯 for 马铃) ranks above one that merely contains it.
        prefix_pattern = like_pattern(f"|{term}")
        order.insert(0, Product.search_text.like(prefix_pattern, escape="\\").desc())
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = (
        stmt.options(
            selectinload(Product.county).selectinload(Region.parent).selectinload(Region.parent),
            selectinload(Product.supplier),
        )
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(page)), total


def today(clock: Clock) -> date:
    """Return today's date in China."""
    return local_date(clock.now())
