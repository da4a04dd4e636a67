"""Catalogue endpoints: public reads, and writes for admins and operators."""

from __future__ import annotations

from typing import Any

from accounts.roles import CATALOGUE_EDITORS, CATALOGUE_READERS
from catalogue import service
from core.errors import NotFound
from kiosk_api.auth.http import current_user, require_roles
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import get_clock, get_session
from kiosk_api.presenters import ProductPresenter, pairing_view, supplier_view
from kiosk_api.schemas.catalogue import (
    PairingIn,
    PairingOut,
    PairingPatch,
    PairingQuery,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    ProductQuery,
    RegionIn,
    RegionOut,
    RegionPatch,
    RegionQuery,
    SupplierIn,
    SupplierOut,
    SupplierPatch,
    SupplierQuery,
)

regions = Blueprint(
    "regions", __name__, url_prefix="/api/v1/regions", description="行政区划 · Regions (GB/T 2260)"
)
pairings = Blueprint("pairings", __name__, url_prefix="/api/v1/pairings", description="结对关系 · Pairings")
suppliers = Blueprint("suppliers", __name__, url_prefix="/api/v1/suppliers", description="供应商 · Suppliers")
products = Blueprint("products", __name__, url_prefix="/api/v1/products", description="商品 · Products")
BLUEPRINTS = (regions, pairings, suppliers, products)


@regions.route("")
@regions.arguments(RegionQuery, location="query")
@regions.response(200, RegionOut(many=True))
def list_regions(args: dict[str, Any]) -> Any:
    """List regions by level or parent."""
    return service.list_regions(get_session(), **args)


@regions.route("", methods=["POST"])
@require_roles(*CATALOGUE_EDITORS)
@regions.arguments(RegionIn)
@regions.response(201, RegionOut)
def create_region(data: dict[str, Any]) -> Any:
    """Add a region with its GB/T 2260 code."""
    region = service.create_region(get_session(), **data)
    return region


@regions.route("/<string:code>")
@regions.response(200, RegionOut)
def get_region(code: str) -> Any:
    """Show one region."""
    return service.get_region(get_session(), code)


@regions.route("/<string:code>", methods=["PATCH"])
@require_roles(*CATALOGUE_EDITORS)
@regions.arguments(RegionPatch)
@regions.response(200, RegionOut)
def update_region(changes: dict[str, Any], code: str) -> Any:
    """Rename a region."""
    region = service.update_region(get_session(), code, changes)
    return region


@pairings.route("")
@pairings.arguments(PairingQuery, location="query")
@pairings.response(200, PairingOut(many=True))
def list_pairings(args: dict[str, Any]) -> Any:
    """List pairings of eastern partners and western regions."""
    return [pairing_view(p) for p in service.list_pairings(get_session(), on=args.get("on"))]


@pairings.route("", methods=["POST"])
@require_roles(*CATALOGUE_EDITORS)
@pairings.arguments(PairingIn)
@pairings.response(201, PairingOut)
def create_pairing(data: dict[str, Any]) -> Any:
    """Pair an eastern partner with a western region."""
    session = get_session()
    pairing = service.create_pairing(session, **data)
    session.flush()  # the response needs the new id
    return pairing_view(pairing)


@pairings.route("/<int:pairing_id>", methods=["PATCH"])
@require_roles(*CATALOGUE_EDITORS)
@pairings.arguments(PairingPatch)
@pairings.response(200, PairingOut)
def update_pairing(changes: dict[str, Any], pairing_id: int) -> Any:
    """Change a pairing's dates or notes."""
    pairing = service.update_pairing(get_session(), pairing_id, changes)
    return pairing_view(pairing)


@suppliers.route("")
@require_roles(*CATALOGUE_READERS)
@suppliers.arguments(SupplierQuery, location="query")
@suppliers.response(200, SupplierOut(many=True))
def list_suppliers(args: dict[str, Any]) -> Any:
    """List suppliers with their credit codes and payout accounts."""
    return [supplier_view(s) for s in service.list_suppliers(get_session(), **args)]


@suppliers.route("/<int:supplier_id>")
@require_roles(*CATALOGUE_READERS)
@suppliers.response(200, SupplierOut)
def get_supplier(supplier_id: int) -> Any:
    """Show one supplier."""
    return supplier_view(service.get_supplier(get_session(), supplier_id))


@suppliers.route("", methods=["POST"])
@require_roles(*CATALOGUE_EDITORS)
@suppliers.arguments(SupplierIn)
@suppliers.response(201, SupplierOut)
def create_supplier(data: dict[str, Any]) -> Any:
    """Register a supplier; its unified social credit code must validate."""
    session = get_session()
    supplier = service.create_supplier(session, **data)
    session.flush()  # the response needs the new id
    return supplier_view(supplier)


@suppliers.route("/<int:supplier_id>", methods=["PATCH"])
@require_roles(*CATALOGUE_EDITORS)
@suppliers.arguments(SupplierPatch)
@suppliers.response(200, SupplierOut)
def update_supplier(changes: dict[str, Any], supplier_id: int) -> Any:
    """Change a supplier."""
    session = get_session()
    supplier = service.update_supplier(session, supplier_id, changes)
    session.flush()  # load the new county for the response
    session.refresh(supplier)
    return supplier_view(supplier)


@products.route("")
@products.arguments(ProductQuery, location="query")
@products.response(200, ProductPage)
def list_products(args: dict[str, Any]) -> Any:
    """Search products by text (简/繁, pinyin, initials) and filter by origin, partner, category."""
    session = get_session()
    on = service.today(get_clock())
    page, per_page = args.pop("page"), args.pop("per_page")
    found, total = service.search_products(
        session,
        on=on,
        certified_only=args.pop("certified", False),
        limit=per_page,
        offset=(page - 1) * per_page,
        **args,
    )
    present = ProductPresenter(session, on)
    return {"items": [present(p) for p in found], "total": total, "page": page, "per_page": per_page}


@products.route("/<int:product_id>")
@products.response(200, ProductOut)
def get_product(product_id: int) -> Any:
    """Show a product with its origin, supplier and certification."""
    session = get_session()
    product = service.get_product(session, product_id)
    user = current_user()
    if not product.active and (user is None or user.role not in CATALOGUE_READERS):
        raise NotFound(f"no product {product_id}", code="product_not_found")
    return ProductPresenter(session, service.today(get_clock()))(product)


@products.route("", methods=["POST"])
@require_roles(*CATALOGUE_EDITORS)
@products.arguments(ProductIn)
@products.response(201, ProductOut)
def create_product(data: dict[str, Any]) -> Any:
    """Add a product; search keys are derived by the server."""
    session = get_session()
    clock = get_clock()
    product = service.create_product(session, clock, **data)
    session.flush()  # the response needs the new id
    return ProductPresenter(session, service.today(clock))(product)


@products.route("/<int:product_id>", methods=["PATCH"])
@require_roles(*CATALOGUE_EDITORS)
@products.arguments(ProductPatch)
@products.response(200, ProductOut)
def update_product(changes: dict[str, Any], product_id: int) -> Any:
    """Change a product; past order lines keep their snapshot."""
    session = get_session()
    clock = get_clock()
    product = service.update_product(session, clock, product_id, changes)
    return ProductPresenter(session, service.today(clock))(product)
