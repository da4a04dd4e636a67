"""Locations, kiosk slots and lots: creating them and looking them up for the other use cases."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalogue.models import Product, Region
from core.clock import Clock, local_date
from core.errors import Conflict, InvalidInput, NotFound
from inventory.models import Location, Lot, Slot, StockBalance


def get_location(session: Session, code: str) -> Location:
    """Return the location with this code."""
    location = session.scalar(select(Location).where(Location.code == code))
    if location is None:
        raise NotFound(f"no location {code}", code="location_not_found")
    return location


def location_for_field(session: Session, code: str, field: str, kinds: tuple[str, ...] = ()) -> Location:
    """Return the location a request names in `field`, or refuse naming that field."""
    location = session.scalar(select(Location).where(Location.code == code))
    if location is None:
        raise InvalidInput(
            f"unknown location {code}", code="unknown_location", fields={field: "unknown location"}
        )
    if kinds and location.kind not in kinds:
        raise InvalidInput(f"{code} is a {location.kind}", fields={field: f"must be a {' or '.join(kinds)}"})
    return location


def list_locations(session: Session, *, kind: str | None = None, route: str | None = None) -> list[Location]:
    """List locations, optionally of one kind or one restock route."""
    stmt = select(Location).options(selectinload(Location.slots)).order_by(Location.code)
    if kind:
        stmt = stmt.where(Location.kind == kind)
    if route:
        stmt = stmt.where(Location.route == route)
    return list(session.scalars(stmt))


def create_location(
    session: Session,
    clock: Clock,
    *,
    code: str,
    kind: str,
    name_zh: str,
    partner: str,
    name_en: str = "",
    mode: str | None = None,
    warehouse: str | None = None,
    route: str | None = None,
    address: str = "",
    open_door_hold_fen: int | None = None,
) -> Location:
    """Add a warehouse, shop or kiosk; a kiosk needs its mode and the warehouse that restocks it."""
    if session.scalar(select(Location.id).where(Location.code == code)) is not None:
        raise Conflict(f"location {code} already exists", code="duplicate", fields={"code": "already exists"})
    if session.get(Region, partner) is None:
        raise InvalidInput(
            f"unknown region {partner}", code="unknown_region", fields={"partner": "unknown region"}
        )
    if kind == "kiosk" and mode is None:
        raise InvalidInput(
            "a kiosk needs a mode", fields={"mode": "required for a kiosk (vend or open_door)"}
        )
    if kind != "kiosk" and mode is not None:
        raise InvalidInput("only kiosks have a mode", fields={"mode": "only for a kiosk"})
    _check_open_door_hold(mode, open_door_hold_fen)
    source = location_for_field(session, warehouse, "warehouse", ("warehouse",)) if warehouse else None
    location = Location(
        code=code,
        kind=kind,
        name_zh=name_zh,
        name_en=name_en,
        partner_code=partner,
        mode=mode,
        warehouse=source,
        route=route,
        address=address,
        active=True,
        created_at=clock.now(),
        open_door_hold_fen=open_door_hold_fen,
    )
    session.add(location)
    return location


def _check_open_door_hold(mode: str | None, hold_fen: int | None) -> None:
    if hold_fen is not None and mode != "open_door":
        raise InvalidInput(
            "only an open-door kiosk holds money per visit",
            fields={"open_door_hold_fen": "only for an open-door kiosk"},
        )


def set_open_door_hold(session: Session, code: str, hold_fen: int | None) -> Location:
    """Size an open-door kiosk's authorization hold per visit (None: the server's default). A
    shopper who takes more than the hold is charged the hold; the rest is shrinkage. The cabinet's
    next visits use it once the device key cache turns over (DEVICE_KEY_TTL_SECONDS)."""
    location = get_location(session, code)
    _check_open_door_hold(location.mode, hold_fen)
    location.open_door_hold_fen = hold_fen
    return location


def product_for_field(session: Session, product_id: int, field: str) -> Product:
    """Return the product a request names in `field`, or refuse naming that field."""
    product = session.get(Product, product_id)
    if product is None:
        raise InvalidInput(
            f"unknown product {product_id}", code="unknown_product", fields={field: "unknown product"}
        )
    return product


def slot_for_field(session: Session, location: Location, code: str, field: str) -> Slot:
    """Return a kiosk's slot named in `field`, or refuse naming that field."""
    if location.kind != "kiosk":
        raise InvalidInput(f"{location.code} has no slots", fields={field: "only kiosks have slots"})
    slot = session.scalar(select(Slot).where(Slot.location_id == location.id, Slot.code == code))
    if slot is None:
        raise InvalidInput(
            f"{location.code} has no slot {code}", code="unknown_slot", fields={field: "unknown slot"}
        )
    return slot


def add_slot(
    session: Session, location_code: str, *, code: str, product: int, capacity: int, par_level: int
) -> Slot:
    """Add a slot to a kiosk's planogram."""
    location = get_location(session, location_code)
    if location.kind != "kiosk":
        raise InvalidInput(f"{location.code} is a {location.kind}", fields={"code": "only kiosks have slots"})
    if session.scalar(select(Slot.id).where(Slot.location_id == location.id, Slot.code == code)) is not None:
        raise Conflict(f"slot {code} already exists", code="duplicate", fields={"code": "already exists"})
    product_for_field(session, product, "product")
    if par_level > capacity:
        raise InvalidInput("par level above capacity", fields={"par_level": "must not exceed capacity"})
    slot = Slot(location=location, code=code, product_id=product, capacity=capacity, par_level=par_level)
    session.add(slot)
    return slot


def update_slot(session: Session, location_code: str, slot_code: str, changes: dict[str, Any]) -> Slot:
    """Change a slot's product, capacity, par level or whether it is in use."""
    location = get_location(session, location_code)
    slot = session.scalar(select(Slot).where(Slot.location_id == location.id, Slot.code == slot_code))
    if slot is None:
        raise NotFound(f"{location_code} has no slot {slot_code}", code="slot_not_found")
    on_hand = session.scalar(
        select(func.coalesce(func.sum(StockBalance.on_hand), 0)).where(StockBalance.slot_id == slot.id)
    )
    if "product" in changes and changes["product"] != slot.product_id:
        if on_hand:
            raise Conflict(
                "empty the slot before changing its product",
                code="slot_not_empty",
                fields={"product": f"the slot still holds {on_hand} units"},
            )
        product_for_field(session, changes["product"], "product")
        slot.product_id = changes["product"]
    for field in ("capacity", "par_level", "active"):
        if field in changes:
            setattr(slot, field, changes[field])
    if slot.par_level > slot.capacity:
        raise InvalidInput("par level above capacity", fields={"par_level": "must not exceed capacity"})
    return slot


def lot_for_field(session: Session, product_id: int, code: str, field: str) -> Lot:
    """Return a product's lot named in `field`, or refuse naming that field."""
    lot = session.scalar(select(Lot).where(Lot.product_id == product_id, Lot.code == code))
    if lot is None:
        raise InvalidInput(
            f"unknown lot {code}", code="unknown_lot", fields={field: "unknown lot of this product"}
        )
    return lot


def receive_lot(
    session: Session, clock: Clock, product: Product, code: str, expires_on: date | None, field: str
) -> Lot:
    """Return the product's lot with this code, creating it with its expiry date if new."""
    lot = session.scalar(select(Lot).where(Lot.product_id == product.id, Lot.code == code))
    if lot is not None:
        if expires_on is not None and expires_on != lot.expires_on:
            raise Conflict(
                f"lot {code} expires on {lot.expires_on}",
                code="lot_expiry_mismatch",
                fields={"expires_on": f"lot {code} is recorded as expiring on {lot.expires_on}"},
            )
        return lot
    if expires_on is None:
        raise InvalidInput("a new lot needs its expiry date", fields={"expires_on": "required for a new lot"})
    lot = Lot(product_id=product.id, code=code, expires_on=expires_on, created_at=clock.now())
    session.add(lot)
    session.flush()  # balances and movements below refer to the lot's id
    return lot


def list_lots(session: Session, *, product: int | None = None) -> list[Lot]:
    """List lots, optionally of one product, earliest expiry first."""
    stmt = select(Lot).order_by(Lot.expires_on, Lot.id)
    if product is not None:
        stmt = stmt.where(Lot.product_id == product)
    return list(session.scalars(stmt))


def lot_for_found_stock(
    session: Session, clock: Clock, product: Product, balances: list[StockBalance]
) -> Lot:
    """Choose the lot that units found beyond the records belong to.

    The newest lot the place held is the likeliest; else the product's newest lot anywhere; else a
    lot is opened for them, expiring a full shelf life from today, so the ledger still explains them.
    """
    held = [b.lot for b in balances if b.product_id == product.id]
    if held:
        return max(held, key=lambda lot: (lot.expires_on, lot.id))
    newest = session.scalar(
        select(Lot).where(Lot.product_id == product.id).order_by(Lot.expires_on.desc(), Lot.id.desc())
    )
    if newest is not None:
        return newest
    day = today(clock)
    return receive_lot(
        session,
        clock,
        product,
        f"UNRECORDED-{day:%Y%m%d}",
        day + timedelta(days=product.shelf_life_days),
        "lot",
    )


def today(clock: Clock) -> date:
    """Return today's date in China, the calendar expiry dates are read in."""
    return local_date(clock.now())


class LocationNames(NamedTuple):
    name_zh: str
    partner_zh: str | None
    name_en: str = ""
    partner_en: str | None = None


def location_names(session: Session, location_id: int) -> LocationNames:
    """A location's names and its eastern partner city's, Chinese and English, in one query."""
    row = session.execute(
        select(Location.name_zh, Region.name_zh, Location.name_en, Region.name_en)
        .outerjoin(Region, Region.code == Location.partner_code)
        .where(Location.id == location_id)
    ).one()
    return LocationNames(row[0], row[1], row[2] or "", row[3])
