"""Order lines as the inventory sees them: a product, a quantity and the slots it may come from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Product
from core.errors import InvalidInput
from inventory.models import Location, Slot, StockBalance


@dataclass(frozen=True)
class StockLine:
    """Line `index` of an order: qty of a product, from a named slot, any slot, or no slot."""

    index: int
    product_id: int
    qty: int
    slot_id: int | None
    slot_code: str | None
    # At a kiosk: the slots the line may take from; elsewhere None (stock there has no slot).
    allowed_slots: frozenset[int] | None

    @property
    def field(self) -> str:
        """The request field an error about this line names."""
        return f"lines.{self.index}.slot" if self.slot_code else f"lines.{self.index}"

    def accepts(self, balance: StockBalance) -> bool:
        """Whether this line may take stock from a balance row."""
        if balance.product_id != self.product_id:
            return False
        if self.allowed_slots is None:
            return balance.slot_id is None
        return balance.slot_id in self.allowed_slots


def resolve_lines(
    session: Session, location: Location, lines: list[tuple[int, int]], slot_codes: list[str | None] | None
) -> list[StockLine]:
    """Check an order's lines against the catalogue and the location's slots; refuse naming fields."""
    if not lines:
        raise InvalidInput("an order needs at least one line", fields={"lines": "at least one line"})
    if slot_codes is not None and len(slot_codes) != len(lines):
        raise InvalidInput("one slot code per line", fields={"slot_codes": "one entry per line"})
    slots = {}
    if location.kind == "kiosk":
        slots = {s.code: s for s in session.scalars(select(Slot).where(Slot.location_id == location.id))}
    errors: dict[str, str] = {}
    resolved: list[StockLine] = []
    for i, (product_id, qty) in enumerate(lines):
        code = slot_codes[i] if slot_codes is not None else None
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            errors[f"lines.{i}.qty"] = "must be a whole number of at least 1"
        if not isinstance(product_id, int) or session.get(Product, product_id) is None:
            errors[f"lines.{i}.product_id"] = "unknown product"
            continue
        allowed: frozenset[int] | None = None
        slot: Slot | None = None
        if code is not None:
            slot = slots.get(code)
            if location.kind != "kiosk":
                errors[f"lines.{i}.slot"] = "only kiosks have slots"
            elif slot is None:
                errors[f"lines.{i}.slot"] = "unknown slot"
            elif not slot.active:
                errors[f"lines.{i}.slot"] = "slot not in use"
            elif slot.product_id != product_id:
                errors[f"lines.{i}.slot"] = "the slot holds another product"
            else:
                allowed = frozenset({slot.id})
        elif location.kind == "kiosk":
            allowed = frozenset(s.id for s in slots.values() if s.active and s.product_id == product_id)
        resolved.append(
            StockLine(
                index=i,
                product_id=product_id,
                qty=qty,
                slot_id=slot.id if slot is not None and allowed else None,
                slot_code=code,
                allowed_slots=allowed,
            )
        )
    if errors:
        raise InvalidInput("some lines are not valid", fields=errors)
    return resolved


def describe_shortage(group: list[StockLine], available: int) -> dict[str, str]:
    """Name every line of a product/slot group that together asks for more than is available."""
    needed = sum(line.qty for line in group)
    return {line.field: f"{needed} requested, {available} available" for line in group}
