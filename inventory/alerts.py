"""Alerts derived from stock and the ledger: low slots, lots expiring soon, expired goods on sale,
and units an open-door cabinet reported that the records did not have."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.models import Product
from core.clock import Clock
from inventory.locations import today
from inventory.models import Location, Lot, Slot, StockBalance, StockMovement
from inventory.reservations import expire_reservations
from inventory.sellable import blocks_vending

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Alert:
    kind: str
    severity: str
    location: Location | None  # None for an order of no place (a web-shop refund)
    product: Product | None  # None for alerts about the cabinet itself (offline, door open)
    qty: int
    message: str
    slot: Slot | None = None
    lot: Lot | None = None


def _low_slots(session: Session, day: date, low_percent: int) -> list[Alert]:
    slots = session.scalars(
        select(Slot)
        .join(Location, Location.id == Slot.location_id)
        .options(selectinload(Slot.location), selectinload(Slot.product))
        .where(Slot.active.is_(True), Location.active.is_(True), Slot.par_level > 0)
    ).all()
    sellable = {slot.id: 0 for slot in slots}
    rows = session.execute(
        select(StockBalance.slot_id, StockBalance.on_hand - StockBalance.reserved)
        .join(Lot, Lot.id == StockBalance.lot_id)
        .join(Slot, (Slot.id == StockBalance.slot_id) & (Slot.product_id == StockBalance.product_id))
        .where(Lot.expires_on >= day, StockBalance.on_hand > 0)
    )
    for slot_id, free in rows:
        if slot_id in sellable:
            sellable[slot_id] += free
    alerts = []
    for slot in slots:
        left = sellable[slot.id]
        if left == 0 or left * 100 < slot.par_level * low_percent:
            alerts.append(
                Alert(
                    kind="low_stock",
                    severity="critical" if left == 0 else "warning",
                    location=slot.location,
                    slot=slot,
                    product=slot.product,
                    qty=left,
                    message=f"{slot.location.code} {slot.code}: {left} sellable, par {slot.par_level}",
                )
            )
    return alerts


def _lot_alerts(session: Session, day: date, within_days: int) -> list[Alert]:
    balances = session.scalars(
        select(StockBalance)
        .join(Lot, Lot.id == StockBalance.lot_id)
        .options(
            selectinload(StockBalance.location),
            selectinload(StockBalance.slot),
            selectinload(StockBalance.product),
            selectinload(StockBalance.lot),
        )
        .where(StockBalance.on_hand > 0, Lot.expires_on <= day + timedelta(days=within_days))
    ).all()
    alerts = []
    expired_in_slots: dict[int, list[StockBalance]] = defaultdict(list)
    for b in balances:
        where = f"{b.location.code}{' ' + b.slot.code if b.slot else ''}"
        if b.lot.is_expired(day) and b.slot is not None and b.location.kind == "kiosk":
            expired_in_slots[b.slot.id].append(b)
            continue
        if b.lot.is_expired(day):
            kind, severity = "expired_in_stock", "warning"
            message = f"{where}: {b.on_hand} × lot {b.lot.code} expired on {b.lot.expires_on}"
        else:
            kind, severity = "expiring_soon", "info" if b.location.kind == "warehouse" else "warning"
            message = f"{where}: {b.on_hand} × lot {b.lot.code} expires on {b.lot.expires_on}"
        alerts.append(Alert(kind, severity, b.location, b.product, b.on_hand, message, b.slot, b.lot))
    return alerts + [_expired_slot_alert(held) for held in expired_in_slots.values()]


def _expired_slot_alert(held: list[StockBalance]) -> Alert:
    """One alert per kiosk slot holding expired units, however many lots: a vending slot is off
    sale until they are pulled (inventory.sellable); an open-door shopper could still take one."""
    held = sorted(held, key=lambda b: (b.lot.expires_on, b.lot_id))
    first, units = held[0], sum(b.on_hand for b in held)
    kiosk, slot, product = first.location, first.slot, first.product
    assert slot is not None
    lots = "、".join(f"{b.lot.code} {b.lot.expires_on:%Y-%m-%d}" for b in held)
    where_zh = f"{kiosk.name_zh} {slot.code} {product.name_zh}"
    where_en = f"{kiosk.name_en or kiosk.code} {slot.code} {product.name_en or product.sku}"
    if blocks_vending(kiosk.mode):
        zh, en = "有过期批次，已停售，请取出", "expired lot in the slot, off sale until pulled"
    else:
        zh = "有过期批次，开门柜无法停售，请尽快取出"
        en = "expired lot; an open-door cabinet still sells it, pull it now"
    message = f"{where_zh}：{zh}（{units} 件，批次 {lots}） · {where_en}: {en} ({units} units, lot {lots})"
    return Alert("expired_in_kiosk", "critical", kiosk, product, units, message, slot, first.lot)


def _unrecorded_takes(session: Session, clock: Clock, within_days: int) -> list[Alert]:
    movements = session.scalars(
        select(StockMovement)
        .options(
            selectinload(StockMovement.to_location),
            selectinload(StockMovement.to_slot),
            selectinload(StockMovement.lot).selectinload(Lot.product),
        )
        .where(
            StockMovement.kind == "count",
            StockMovement.reason == "taken_unrecorded",
            StockMovement.at >= clock.now() - timedelta(days=within_days),
        )
        .order_by(StockMovement.id)
    ).all()
    return [
        Alert(
            kind="unrecorded_take",
            severity="warning",
            location=m.to_location,  # type: ignore[arg-type]  # a surplus count has a destination
            slot=m.to_slot,
            product=m.lot.product,
            lot=m.lot,
            qty=m.qty,
            message=f"order {m.reference}: {m.note}; {m.qty} more than on record",
        )
        for m in movements
    ]


def list_alerts(
    session: Session,
    clock: Clock,
    *,
    within_days: int = 7,
    low_percent: int = 50,
    location: str | None = None,
) -> list[Alert]:
    """Alerts now: low or empty slots, lots expiring within N days, expired goods, unrecorded takes."""
    expire_reservations(session, clock)
    day = today(clock)
    alerts = (
        _low_slots(session, day, low_percent)
        + _lot_alerts(session, day, within_days)
        + _unrecorded_takes(session, clock, within_days)
    )
    if location:
        alerts = [a for a in alerts if a.location.code == location]
    alerts.sort(
        key=lambda a: (SEVERITY_ORDER[a.severity], a.location.code, a.slot.code if a.slot else "", a.kind)
    )
    return alerts
