"""Inventory model: locations and kiosk slots, lots, the append-only stock ledger, balances, holds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, literal, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.models import Product
from core.db import FEN, Base, UTCDateTime

LOCATION_KINDS = ("warehouse", "shop", "kiosk")
KIOSK_MODES = ("vend", "open_door")
MOVEMENT_KINDS = ("receipt", "transfer", "sale", "return", "writeoff", "count")
WRITEOFF_REASONS = ("expired", "damaged", "lost", "recalled", "returned", "other")
COUNT_REASONS = ("stocktake", "taken_unrecorded")
RESERVATION_STATUSES = ("active", "fulfilled", "released", "expired")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Location(Base):
    """A place that holds stock: a warehouse, a specialty shop, or a kiosk cabinet with slots."""

    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint(_in("kind", LOCATION_KINDS), name="kind"),
        CheckConstraint(
            f"(kind = 'kiosk' AND {_in('mode', KIOSK_MODES)}) OR (kind <> 'kiosk' AND mode IS NULL)",
            name="kiosk_mode",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(256), default="")
    # The eastern partner city whose cooperation office runs this location.
    partner_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    mode: Mapped[str | None] = mapped_column(String(16))
    # Where a kiosk's restocker loads goods (FEFO lots on its pick list come from here).
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    route: Mapped[str | None] = mapped_column(String(32), index=True)
    address: Mapped[str] = mapped_column(String(256), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A kiosk's catalogue ETag: bumped by every write that changes its catalogue (catalogue_version.py).
    catalogue_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # An open-door kiosk's authorization hold per visit; None takes the server's OPEN_DOOR_HOLD_FEN.
    open_door_hold_fen: Mapped[int | None] = mapped_column(FEN)

    warehouse: Mapped[Location | None] = relationship(remote_side=[id])
    slots: Mapped[list[Slot]] = relationship(back_populates="location", order_by="Slot.code")


class Slot(Base):
    """A slot (or shelf) of a kiosk: one product, a capacity and the par level restocking fills to."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("location_id", "code", name="uq_slots_location_code"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("par_level >= 0 AND par_level <= capacity", name="par_level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    code: Mapped[str] = mapped_column(String(8))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    capacity: Mapped[int]
    par_level: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)

    location: Mapped[Location] = relationship(back_populates="slots")
    product: Mapped[Product] = relationship()


class Lot(Base):
    """A batch of one product with its lot code and expiry date (usable through that day, in China)."""

    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("product_id", "code", name="uq_lots_product_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    expires_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    product: Mapped[Product] = relationship()

    def is_expired(self, today: date) -> bool:
        """A lot may be sold through its expiry date and not after."""
        return today > self.expires_on


class StockMovement(Base):
    """One entry of the append-only stock ledger; the database refuses UPDATE and DELETE on it."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint(_in("kind", MOVEMENT_KINDS), name="kind"),
        CheckConstraint(
            "(kind = 'receipt' AND from_location_id IS NULL AND to_location_id IS NOT NULL)"
            " OR (kind = 'transfer' AND from_location_id IS NOT NULL AND to_location_id IS NOT NULL)"
            " OR (kind IN ('sale', 'writeoff') AND from_location_id IS NOT NULL AND to_location_id IS NULL)"
            " OR (kind = 'return' AND from_location_id IS NULL AND to_location_id IS NOT NULL)"
            " OR (kind = 'count' AND (from_location_id IS NULL) <> (to_location_id IS NULL))",
            name="direction",
        ),
        CheckConstraint(f"kind <> 'writeoff' OR {_in('reason', WRITEOFF_REASONS)}", name="writeoff_reason"),
        CheckConstraint(f"kind <> 'count' OR {_in('reason', COUNT_REASONS)}", name="count_reason"),
        Index("ix_stock_movements_from", "from_location_id", "product_id"),
        Index("ix_stock_movements_to", "to_location_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    qty: Mapped[int]
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    from_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    to_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    reason: Mapped[str | None] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(256), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Movements are written by id (ledger.post); a movement not yet flushed still reads its places.
    lot: Mapped[Lot] = relationship(load_on_pending=True)
    from_location: Mapped[Location | None] = relationship(
        foreign_keys=[from_location_id], load_on_pending=True
    )
    to_location: Mapped[Location | None] = relationship(foreign_keys=[to_location_id], load_on_pending=True)
    from_slot: Mapped[Slot | None] = relationship(foreign_keys=[from_slot_id], load_on_pending=True)
    to_slot: Mapped[Slot | None] = relationship(foreign_keys=[to_slot_id], load_on_pending=True)


class StockBalance(Base):
    """What one (location, slot, product, lot) holds: the projection of its movements, kept in step."""

    __tablename__ = "stock_balances"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_nonnegative"),
        CheckConstraint("reserved >= 0", name="reserved_nonnegative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        # A kiosk's stock sits in slots; other locations have none. NULLs are distinct in a plain
        # UNIQUE, hence one partial index for each case.
        Index(
            "uq_stock_balances_unslotted",
            "location_id",
            "product_id",
            "lot_id",
            unique=True,
            sqlite_where=text("slot_id IS NULL"),
            postgresql_where=text("slot_id IS NULL"),
        ),
        Index(
            "uq_stock_balances_slotted",
            "slot_id",
            "product_id",
            "lot_id",
            unique=True,
            sqlite_where=text("slot_id IS NOT NULL"),
            postgresql_where=text("slot_id IS NOT NULL"),
        ),
        Index("ix_stock_balances_product", "product_id", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)

    location: Mapped[Location] = relationship()
    slot: Mapped[Slot | None] = relationship()
    product: Mapped[Product] = relationship()
    lot: Mapped[Lot] = relationship()

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


# "status = 'active'" written into the SQL, not bound: a prepared statement's generic plan can then
# use the partial indexes of active holds instead of scanning every hold ever made.
ACTIVE_HOLD = literal("active", literal_execute=True)


class Reservation(Base):
    """Stock held for an order awaiting payment; paid → a sale, expired or cancelled → released."""

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("line_no >= 0", name="line_no_nonnegative"),
        CheckConstraint(_in("status", RESERVATION_STATUSES), name="status"),
        Index("ix_reservations_status_expires_at", "status", "expires_at"),
        # The few holds still active, by balance and by kiosk, however many lapsed or sold ever were
        # (queries name the status as a literal, ACTIVE_HOLD, so that a generic plan uses these).
        Index(
            "ix_reservations_active_balance",
            "balance_id",
            "expires_at",
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        Index(
            "ix_reservations_active_location",
            "location_id",
            "expires_at",
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Orders arrive later (sales/); until then the order is known by its reference only.
    order_ref: Mapped[str] = mapped_column(String(64), index=True)
    line_no: Mapped[int]
    balance_id: Mapped[int] = mapped_column(ForeignKey("stock_balances.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    qty: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="active")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    release_reason: Mapped[str | None] = mapped_column(String(64))
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    balance: Mapped[StockBalance] = relationship()
    location: Mapped[Location] = relationship()
    slot: Mapped[Slot | None] = relationship()
    lot: Mapped[Lot] = relationship()
