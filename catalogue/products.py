"""Products: validation, certification, derived search keys, and search with its filters."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from catalogue.categories import CATEGORIES
from catalogue.models import Product, Region, Supplier
from catalogue.regions import partner_west_codes, region_for_field
from catalogue.search import like_pattern, normalize_query, search_keys
from catalogue.validators import is_safe_image_url, is_valid_gtin13
from core.clock import Clock, local_date
from core.errors import Conflict, InvalidInput, NotFound

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
    if product.image_url and not is_safe_image_url(product.image_url):
        raise InvalidInput(
            "a product image must be an https:// address, a /static/ file or an uploaded /media/ one",
            code="invalid_image_url",
            fields={"image_url": "https://…, /static/… or /media/… only"},
        )
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
    county = region_for_field(session, product.county_code, "county", level="county")
    supplier = session.get(Supplier, product.supplier_id)
    if supplier is None:
        raise InvalidInput(
            "unknown supplier", code="unknown_supplier", fields={"supplier": "unknown supplier"}
        )
    product.county = county
    product.supplier = supplier
    product.search_text = _search_text(product, county)


def _search_text(product: Product, county: Region) -> str:
    return search_keys(
        product.name_zh, product.name_en, product.keywords, county.name_zh, product.sku, product.gtin or ""
    )


def reindex_products(session: Session) -> int:
    """Recompute every product's search keys (after the synonym list changed); return how many changed."""
    changed = 0
    products = select(Product).options(selectinload(Product.county)).order_by(Product.id)
    for product in session.scalars(products):
        text = _search_text(product, product.county)
        if product.search_text != text:
            product.search_text = text
            changed += 1
    return changed


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


def _matching(
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
) -> tuple[Select, list[Any]]:
    """The products every given filter lets through, and the order that ranks them."""
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
    order: list[Any] = [Product.id]
    term = normalize_query(q or "")
    if term:
        pattern = like_pattern(term)
        stmt = stmt.where(Product.search_text.like(pattern, escape="\\"))
        # A term that starts with the query (马铃薯 for 马铃) ranks above one that merely contains it.
        prefix_pattern = like_pattern(f"|{term}")
        order.insert(0, Product.search_text.like(prefix_pattern, escape="\\").desc())
    return stmt, order


def search_products(
    session: Session, *, on: date, limit: int = 50, offset: int = 0, **filters: Any
) -> tuple[list[Product], int]:
    """Find products by text (characters, pinyin, initials) and by origin, partner and category.

    The filters are _matching's: q, county, prefecture, province, partner, category, supplier,
    certified_only, include_inactive; each one given narrows the others' result.
    """
    stmt, order = _matching(session, on=on, **filters)
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


def origin_counties(session: Session, *, on: date, **filters: Any) -> list[Region]:
    """The counties that have a product the filters let through (search_products' filters), with
    their prefecture and province loaded: the places a shopper can narrow the result to."""
    stmt, _order = _matching(session, on=on, **filters)
    codes = stmt.with_only_columns(Product.county_code).distinct()
    return list(
        session.scalars(
            select(Region)
            .where(Region.code.in_(codes))
            .options(selectinload(Region.parent).selectinload(Region.parent))
            .order_by(Region.code)
        )
    )


def today(clock: Clock) -> date:
    """Return today's date in China."""
    return local_date(clock.now())
