"""The one rule of what a kiosk slot can sell (inventory.sellable), without a database."""

from __future__ import annotations

from datetime import date

from inventory.sellable import EXPIRED_STOCK, LotStock, SlotStock, slot_stock

TODAY = date(2026, 11, 26)
FRESH = LotStock(date(2027, 1, 1), on_hand=4, free=3)
LAST_DAY = LotStock(TODAY, on_hand=1, free=1)
EXPIRED = LotStock(date(2026, 11, 25), on_hand=2, free=2)


def test_a_lot_sells_through_its_expiry_day() -> None:
    assert slot_stock([FRESH, LAST_DAY], TODAY, mode="vend") == SlotStock(4)


def test_a_vending_slot_holding_an_expired_unit_sells_nothing() -> None:
    assert slot_stock([FRESH, EXPIRED], TODAY, mode="vend") == SlotStock(0, EXPIRED_STOCK)


def test_an_expired_unit_held_for_an_order_still_blocks_the_slot() -> None:
    held = LotStock(date(2026, 11, 25), on_hand=1, free=0)
    assert slot_stock([FRESH, held], TODAY, mode="vend").blocked == EXPIRED_STOCK


def test_an_empty_balance_of_an_expired_lot_blocks_nothing() -> None:
    assert slot_stock([FRESH, LotStock(date(2026, 1, 1), 0, 0)], TODAY, mode="vend") == SlotStock(3)


def test_an_open_door_slot_sells_its_fresh_units_beside_expired_ones() -> None:
    assert slot_stock([FRESH, EXPIRED], TODAY, mode="open_door") == SlotStock(3)
