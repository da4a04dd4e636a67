"""Load the demo catalogue (catalogue/demo_data.py) once; loading again adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import demo_data, service
from catalogue.models import Pairing, Product, Region, Supplier
from core.clock import Clock

Progress = Callable[[str], None]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def load_demo_catalogue(
    session: Session, clock: Clock, progress: Progress = lambda _msg: None
) -> dict[str, int]:
    """Add the demo regions, pairings, suppliers and products that are missing; return what was added."""
    added = {"regions": 0, "pairings": 0, "suppliers": 0, "products": 0}
    for row in demo_data.REGIONS:
        if session.get(Region, row["code"]) is None:
            service.create_region(session, **row)
            session.flush()  # children below look their parent up
            added["regions"] += 1
    progress(f"regions: {added['regions']} added, {len(demo_data.REGIONS)} in the demo")

    for row in demo_data.PAIRINGS:
        valid_from = _date(row["valid_from"])
        exists = session.scalar(
            select(Pairing.id).where(
                Pairing.east_code == row["east"],
                Pairing.west_code == row["west"],
                Pairing.valid_from == valid_from,
            )
        )
        if exists is None:
            service.create_pairing(
                session,
                east=row["east"],
                west=row["west"],
                valid_from=valid_from,
                valid_to=_date(row["valid_to"]),
                note_zh=row["note_zh"],
                note_en=row["note_en"],
            )
            added["pairings"] += 1
    progress(f"pairings: {added['pairings']} added")

    supplier_ids: dict[str, int] = {}
    for row in demo_data.SUPPLIERS:
        fields = {k: v for k, v in row.items() if k != "key"}
        supplier = session.scalar(select(Supplier).where(Supplier.credit_code == row["credit_code"]))
        if supplier is None:
            supplier = service.create_supplier(session, **fields)
            session.flush()  # products below need the supplier's id
            added["suppliers"] += 1
        supplier_ids[row["key"]] = supplier.id
    progress(f"suppliers: {added['suppliers']} added")

    for i, row in enumerate(demo_data.PRODUCTS, 1):
        existing = session.scalar(select(Product).where(Product.sku == row["sku"]))
        if existing is not None and existing.image_url is None and row.get("image_url"):
            existing.image_url = row["image_url"]  # pictures came after the first demo databases
        if existing is None:
            fields = dict(row)
            fields["supplier"] = supplier_ids[row["supplier"]]
            for key in ("certified_from", "certified_until"):
                fields[key] = _date(fields.get(key))
            service.create_product(session, clock, **fields)
            session.flush()  # the next product's SKU/GTIN check must see this one
            added["products"] += 1
        if i % 10 == 0 or i == len(demo_data.PRODUCTS):
            progress(f"products: {i}/{len(demo_data.PRODUCTS)}")
    return added
