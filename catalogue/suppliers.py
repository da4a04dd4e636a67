"""Suppliers: cooperatives and enterprises of origin counties, with validated credit codes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.models import Supplier
from catalogue.regions import region_for_field
from catalogue.validators import is_valid_credit_code
from core.errors import Conflict, InvalidInput, NotFound

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
        region_for_field(session, fields["county"], "county", level="county")


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
