"""Turn catalogue objects into the dictionaries the response schemas dump."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from catalogue.categories import CATEGORIES
from catalogue.models import Pairing, Product, Region, Supplier
from catalogue.service import partners_of_county
from core.money import format_fen


def region_ref(region: Region | None) -> dict[str, Any] | None:
    if region is None:
        return None
    return {"code": region.code, "name": {"zh": region.name_zh, "en": region.name_en}}


def pairing_view(pairing: Pairing) -> dict[str, Any]:
    return {
        "id": pairing.id,
        "east": region_ref(pairing.east),
        "west": region_ref(pairing.west),
        "valid_from": pairing.valid_from,
        "valid_to": pairing.valid_to,
        "note_zh": pairing.note_zh,
        "note_en": pairing.note_en,
    }


def supplier_view(supplier: Supplier) -> dict[str, Any]:
    return {
        "id": supplier.id,
        "name_zh": supplier.name_zh,
        "name_en": supplier.name_en,
        "kind": supplier.kind,
        "county": region_ref(supplier.county),
        "credit_code": supplier.credit_code,
        "certified": supplier.certified,
        "households_linked": supplier.households_linked,
        "payout_account": supplier.payout_account,
    }


class ProductPresenter:
    """Presents products as of one day, looking up each county's partners once."""

    def __init__(self, session: Session, on: date) -> None:
        self.session = session
        self.on = on
        self._partners: dict[str, list[dict[str, Any] | None]] = {}

    def _partners_of(self, county: Region) -> list[dict[str, Any] | None]:
        if county.code not in self._partners:
            self._partners[county.code] = [
                region_ref(r) for r in partners_of_county(self.session, county, self.on)
            ]
        return self._partners[county.code]

    def __call__(self, product: Product) -> dict[str, Any]:
        lineage = {r.level: r for r in product.county.lineage()}
        zh, en = CATEGORIES.get(product.category, (product.category, product.category))
        return {
            "id": product.id,
            "sku": product.sku,
            "gtin": product.gtin,
            "name": {"zh": product.name_zh, "en": product.name_en},
            "category": {"code": product.category, "zh": zh, "en": en},
            "spec": product.spec,
            "price_fen": product.price_fen,
            "price": format_fen(product.price_fen),
            "county": region_ref(product.county),
            "prefecture": region_ref(lineage.get("prefecture")),
            "province": region_ref(lineage.get("province")),
            "partners": self._partners_of(product.county),
            "supplier": {
                "id": product.supplier.id,
                "name": {"zh": product.supplier.name_zh, "en": product.supplier.name_en},
                "certified": product.supplier.certified,
                "households_linked": product.supplier.households_linked,
            },
            "certified": product.is_certified(self.on),
            "certification": {
                "number": product.certification_no,
                "valid_from": product.certified_from,
                "valid_until": product.certified_until,
                "status": product.certification_status(self.on),
            },
            "shelf_life_days": product.shelf_life_days,
            "storage": product.storage,
            "image_url": product.image_url,
            "keywords": product.keywords,
            "story": {"zh": product.story_zh, "en": product.story_en},
            "active": product.active,
        }
