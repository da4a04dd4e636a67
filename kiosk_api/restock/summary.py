"""What the restock pages show, read off the domain's answers: a kiosk's totals for the route page,
the visit form's values filled in from the pick list, and a visit's movements per slot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from inventory.models import Location, StockMovement
from inventory.picklist import PickList
from inventory.visits import VisitSheet


@dataclass(frozen=True)
class KioskSummary:
    """A kiosk on the route page: its pick list and the few numbers a restocker plans by."""

    pick: PickList
    bring: int  # units the warehouse supplies for it
    short: int  # units to par the warehouse lacks
    expired: int  # units expired in its slots now
    expiring: int  # units that would be expired by the next visit
    slots: int  # slots with something to do
    blocked: int = 0  # vending slots off sale until their expired units are pulled


def kiosk_summary(pick: PickList, day: date) -> KioskSummary:
    """A kiosk's pick list in a few numbers, for the route page."""
    out = [lq for line in pick.lines for lq in line.take_out]
    return KioskSummary(
        pick=pick,
        bring=sum(lq.qty for line in pick.lines for lq in line.lots),
        short=sum(line.short for line in pick.lines),
        expired=sum(lq.qty for lq in out if lq.lot.is_expired(day)),
        expiring=sum(lq.qty for lq in out if not lq.lot.is_expired(day)),
        slots=sum(1 for line in pick.lines if line.lots or line.take_out or line.short),
        blocked=sum(1 for line in pick.lines if line.blocked),
    )


def defaults(sheet: VisitSheet) -> dict[str, str]:
    """The visit form as the pick list has it: its lots put in, its pulls taken out, the count after."""
    values: dict[str, str] = {}
    for slot in sheet.slots:
        code, line = slot.line.slot.code, slot.line
        for k, lq in enumerate(line.lots):
            values[f"put-{code}-{k}-lot"], values[f"put-{code}-{k}-qty"] = lq.lot.code, str(lq.qty)
        for k, lq in enumerate(line.take_out):
            values[f"rm-{code}-{k}-lot"], values[f"rm-{code}-{k}-qty"] = lq.lot.code, str(lq.qty)
            values[f"rm-{code}-{k}-reason"] = "expired" if lq.lot.is_expired(sheet.today) else "return"
        own = [lq.qty for lq in line.take_out if lq.lot.product_id == line.slot.product_id]
        values[f"count-{code}"] = str(slot.on_hand + sum(lq.qty for lq in line.lots) - sum(own))
    return values


@dataclass
class SlotChange:
    """What a visit did to one slot, in words and numbers (no ids)."""

    slot: str
    product_zh: str
    product_en: str
    put: list[tuple[str, date, int]] = field(default_factory=list)
    removed: list[tuple[str, int, str]] = field(default_factory=list)  # lot, qty, stock reason / return
    counted: int = 0  # units the count added (+) or took away (−)


def changes(movements: list[StockMovement], kiosk: Location) -> list[SlotChange]:
    """A visit's movements by slot, in slot order: put in, taken out (and why), counts adjusted."""
    by_slot: dict[str, SlotChange] = {}
    for m in movements:
        inward = m.to_location_id == kiosk.id
        slot = m.to_slot if inward else m.from_slot
        if slot is None:
            continue
        change = by_slot.get(slot.code)
        if change is None:
            change = by_slot[slot.code] = SlotChange(slot.code, slot.product.name_zh, slot.product.name_en)
        if m.kind == "transfer" and inward:
            change.put.append((m.lot.code, m.lot.expires_on, m.qty))
        elif m.kind == "transfer":
            change.removed.append((m.lot.code, m.qty, "return"))
        elif m.kind == "writeoff":
            change.removed.append((m.lot.code, m.qty, m.reason or "other"))
        elif m.kind == "count":
            change.counted += m.qty if inward else -m.qty
    return [by_slot[code] for code in sorted(by_slot)]


def totals(summary: list[SlotChange]) -> dict[str, int]:
    """Units put in, taken out and added or removed by counts, over a visit."""
    return {
        "put": sum(q for c in summary for _, _, q in c.put),
        "removed": sum(q for c in summary for _, q, _ in c.removed),
        "counted": sum(c.counted for c in summary),
    }
