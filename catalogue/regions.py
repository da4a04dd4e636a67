"""Regions (GB/T 2260) and the pairings of eastern partners with western regions."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from catalogue.models import Pairing, Region
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
    parent_region = region_for_field(session, parent, "parent") if parent else None
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


def region_for_field(session: Session, code: str, field: str, level: str | None = None) -> Region:
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
    region_for_field(session, east, "east")
    region_for_field(session, west, "west")
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
