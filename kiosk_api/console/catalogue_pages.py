"""Console pages of the catalogue's products: the list, a new product, a product's edit form with
its picture. Every write goes through the catalogue service the API calls, checked first by the
API's own schema; on any error nothing is written and the form comes back (422) as it was typed."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accounts.roles import STAFF_READERS, STAFF_WRITERS
from catalogue import service as catalogue
from catalogue.categories import CATEGORIES
from catalogue.images import PreparedImage, prepare_image
from catalogue.models import STORAGE_CLASSES, Product, Region
from core.errors import DomainError
from core.labels import both
from kiosk_api.console.access import can_edit, console, page_roles
from kiosk_api.console.forms import Form
from kiosk_api.database import get_clock, get_session
from kiosk_api.media import product_image_url, store_product_image
from kiosk_api.schemas.catalogue import ProductIn, ProductPatch

PRODUCT_REQUIRED = ("sku", "name_zh", "spec", "shelf_life_days")
STORAGE_CLASSES_BY_CODE = dict.fromkeys(STORAGE_CLASSES)


def county_choices(session: Session) -> dict[str, str]:
    """Counties by code → 西吉县（固原市 · 宁夏回族自治区）, for a select that shows names."""
    counties = session.scalars(
        select(Region)
        .where(Region.level == "county")
        .options(selectinload(Region.parent).selectinload(Region.parent))
        .order_by(Region.code)
    )
    return {c.code: _with_parents(c) for c in counties}


def region_choices(session: Session) -> dict[str, str]:
    """Every region by code → its name with the regions above it."""
    regions = session.scalars(
        select(Region).options(selectinload(Region.parent).selectinload(Region.parent)).order_by(Region.code)
    )
    return {r.code: _with_parents(r) for r in regions}


def _with_parents(region: Region) -> str:
    above = " · ".join(r.name_zh for r in region.lineage()[1:])
    return f"{region.name_zh}（{above}）" if above else region.name_zh


def _supplier_choices(session: Session) -> dict[str, str]:
    return {str(s.id): f"{s.name_zh}（{s.county.name_zh}）" for s in catalogue.list_suppliers(session)}


def product_form_values(product: Product) -> dict[str, str]:
    """What the edit form shows for a product, as the operator would type it."""
    return {
        "sku": product.sku,
        "name_zh": product.name_zh,
        "name_en": product.name_en,
        "category": product.category,
        "spec": product.spec,
        "price": f"{product.price_fen // 100}.{product.price_fen % 100:02d}",
        "county": product.county_code,
        "supplier": str(product.supplier_id),
        "gtin": product.gtin or "",
        "certification_no": product.certification_no or "",
        "certified_from": product.certified_from.isoformat() if product.certified_from else "",
        "certified_until": product.certified_until.isoformat() if product.certified_until else "",
        "shelf_life_days": str(product.shelf_life_days),
        "storage": product.storage,
        "keywords": product.keywords,
        "story_zh": product.story_zh,
        "story_en": product.story_en,
        "active": "1" if product.active else "",
    }


def _read_product(
    form: Form, session: Session, *, new: bool
) -> tuple[dict[str, Any] | None, PreparedImage | None]:
    """The product's fields from the form, checked by the API's schema, and its new picture if any."""
    data: dict[str, Any] = {
        "name_zh": form.text("name_zh"),
        "name_en": form.text("name_en"),
        "category": form.choice("category", CATEGORIES),
        "spec": form.text("spec"),
        "price_fen": form.yuan("price"),
        "county": form.choice("county", county_choices(session)),
        "supplier": int(s) if (s := form.choice("supplier", _supplier_choices(session))) else None,
        "gtin": form.optional("gtin"),
        "certification_no": form.optional("certification_no"),
        "certified_from": form.optional("certified_from"),
        "certified_until": form.optional("certified_until"),
        "shelf_life_days": form.whole("shelf_life_days") if form.text("shelf_life_days") else "",
        "storage": form.choice("storage", STORAGE_CLASSES_BY_CODE),
        "keywords": form.text("keywords"),
        "story_zh": form.text("story_zh"),
        "story_en": form.text("story_en"),
        "active": form.flag("active"),
    }
    if new:
        data["sku"] = form.text("sku").upper()
    image = None
    upload = request.files.get("image")
    if upload is not None and upload.filename:
        try:
            image = prepare_image(upload.read())
        except DomainError as error:
            form.refused(error)
    elif form.flag("remove_image"):
        data["image_url"] = None
    changes = form.load(
        ProductIn() if new else ProductPatch(), data, PRODUCT_REQUIRED if new else PRODUCT_REQUIRED[1:]
    )
    if changes is not None and image is not None:
        changes["image_url"] = product_image_url(image)
    return changes, image


def _render_form(
    product: Product | None, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Any:
    session = get_session()
    page = render_template(
        "console/product_edit.html",
        product=product,
        values=values,
        errors=errors,
        editable=can_edit(),
        category_options=[(code, f"{zh} · {en}") for code, (zh, en) in CATEGORIES.items()],
        counties=county_choices(session),
        suppliers=_supplier_choices(session),
        storage_options=[(code, both("storage", code)) for code in STORAGE_CLASSES],
        today=catalogue.today(get_clock()),
    )
    return page, status


@console.errorhandler(413)
def too_large(_error: Exception) -> Any:
    """A console form whose upload is over the request limit: a page saying so, not the API's JSON."""
    return render_template("console/too_large.html"), 413


@console.get("/catalogue")
@page_roles(*STAFF_READERS)
def catalogue_list() -> str:
    """Every product, active or not, with its origin, supplier, price and certification."""
    session = get_session()
    products = session.scalars(
        select(Product)
        .options(selectinload(Product.county), selectinload(Product.supplier))
        .order_by(Product.county_code, Product.sku)
    ).all()
    return render_template(
        "console/catalogue.html", products=products, today=catalogue.today(get_clock()), editable=can_edit()
    )


@console.route("/catalogue/new", methods=["GET", "POST"])
@page_roles(*STAFF_WRITERS)
def product_new() -> Any:
    """Add a product: names, category, origin, supplier, price, certification, picture."""
    if request.method == "GET":
        return _render_form(None, {"storage": "ambient", "active": "1"}, {})
    session, form = get_session(), Form(request.form, {"price_fen": "price"})
    changes, image = _read_product(form, session, new=True)
    product = form.save(changes, lambda c: catalogue.create_product(session, get_clock(), **c))
    if product is None:
        return _render_form(None, request.form.to_dict(), form.errors, 422)
    if image is not None:
        store_product_image(image)
    flash(f"已添加商品「{product.name_zh}」 · product added")
    return redirect(url_for("console.product_edit", product_id=product.id), 303)


@console.route("/catalogue/<int:product_id>", methods=["GET", "POST"])
@page_roles(*STAFF_READERS)
def product_edit(product_id: int) -> Any:
    """A product's form: every field, its certification and its picture."""
    session = get_session()
    product = catalogue.get_product(session, product_id)
    if request.method == "GET":
        return _render_form(product, product_form_values(product), {})
    form = Form(request.form, {"price_fen": "price"})
    changes, image = _read_product(form, session, new=False)

    def update(c: dict[str, Any]) -> Product:
        return catalogue.update_product(session, get_clock(), product_id, c)

    if form.save(changes, update) is None:
        product = catalogue.get_product(session, product_id)
        return _render_form(product, request.form.to_dict() | {"sku": product.sku}, form.errors, 422)
    if image is not None:
        store_product_image(image)
    flash("已保存 · saved")
    return redirect(url_for("console.product_edit", product_id=product_id), 303)
