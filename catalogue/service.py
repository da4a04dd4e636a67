"""Catalogue use cases, in one place. Each takes the session explicitly and never commits."""

from catalogue.products import (
    create_product,
    get_product,
    origin_counties,
    search_products,
    today,
    update_product,
)
from catalogue.regions import (
    create_pairing,
    create_region,
    get_pairing,
    get_region,
    list_pairings,
    list_regions,
    partner_west_codes,
    partners_of_county,
    update_pairing,
    update_region,
)
from catalogue.suppliers import create_supplier, get_supplier, list_suppliers, update_supplier

__all__ = [
    "create_pairing",
    "create_product",
    "create_region",
    "create_supplier",
    "get_pairing",
    "get_product",
    "get_region",
    "get_supplier",
    "list_pairings",
    "list_regions",
    "list_suppliers",
    "origin_counties",
    "partner_west_codes",
    "partners_of_county",
    "search_products",
    "today",
    "update_pairing",
    "update_product",
    "update_region",
    "update_supplier",
]
