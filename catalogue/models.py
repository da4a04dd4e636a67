"""Catalogue model: regions (GB/T 2260), pairings, suppliers and products."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import FEN, Base, UTCDateTime

REGION_LEVELS = ("province", "prefecture", "county")
SUPPLIER_KINDS = ("cooperative", "enterprise")
STORAGE_CLASSES = ("ambient", "chilled", "frozen")


class Region(Base):
    """An administrative region with its GB/T 2260 code."""

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("level IN ('province', 'prefecture', 'county')", name="level"),
        CheckConstraint("length(code) = 6", name="code_length"),
    )

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)

    parent: Mapped[Region | None] = relationship(remote_side=[code], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent")

    def lineage(self) -> list[Region]:
        """Return this region and its ancestors, nearest first."""
        chain: list[Region] = []
        node: Region | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Pairing(Base):
    """An eastern partner paired with a western region for a period (结对关系)."""

    __tablename__ = "pairings"
    __table_args__ = (
        UniqueConstraint("east_code", "west_code", "valid_from", name="uq_pairings_east_west_from"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    east_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    west_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    note_zh: Mapped[str] = mapped_column(Text, default="")
    note_en: Mapped[str] = mapped_column(Text, default="")

    east: Mapped[Region] = relationship(foreign_keys=[east_code])
    west: Mapped[Region] = relationship(foreign_keys=[west_code])

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def state_on(self, day: date) -> str:
        """'in_force', 'upcoming' or 'ended' on a day."""
        if day < self.valid_from:
            return "upcoming"
        return "in_force" if self.is_valid_on(day) else "ended"


class Supplier(Base):
    """A cooperative or enterprise in an origin county that supplies products."""

    __tablename__ = "suppliers"
    __table_args__ = (
        CheckConstraint("kind IN ('cooperative', 'enterprise')", name="kind"),
        CheckConstraint("households_linked >= 0", name="households_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(256), default="")
    kind: Mapped[str] = mapped_column(String(16))
    county_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    certified: Mapped[bool] = mapped_column(default=False)
    households_linked: Mapped[int] = mapped_column(default=0)
    payout_account: Mapped[str | None] = mapped_column(String(256))

    county: Mapped[Region] = relationship()
    products: Mapped[list[Product]] = relationship(back_populates="supplier")


def certification_status(
    number: str | None, valid_from: date | None, valid_until: date | None, on: date
) -> str:
    """A certificate's state on a day: 'certified', 'lapsed', 'not_yet_valid' or 'none'."""
    if not number or valid_from is None or valid_until is None:
        return "none"
    if on < valid_from:
        return "not_yet_valid"
    if on > valid_until:
        return "lapsed"
    return "certified"


class Product(Base):
    """A product for sale, with its origin county, supplier and poverty-alleviation certification."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("shelf_life_days > 0", name="shelf_life_positive"),
        CheckConstraint("storage IN ('ambient', 'chilled', 'frozen')", name="storage"),
        CheckConstraint(
            "certified_until IS NULL OR certified_from IS NULL OR certified_until >= certified_from",
            name="certification_range",
        ),
        Index("ix_products_category_active", "category", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    gtin: Mapped[str | None] = mapped_column(String(13), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(256), default="")
    category: Mapped[str] = mapped_column(String(32))
    spec: Mapped[str] = mapped_column(String(64))
    price_fen: Mapped[int] = mapped_column(FEN)
    county_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    certification_no: Mapped[str | None] = mapped_column(String(64))
    certified_from: Mapped[date | None] = mapped_column(Date)
    certified_until: Mapped[date | None] = mapped_column(Date)
    shelf_life_days: Mapped[int]
    storage: Mapped[str] = mapped_column(String(16), default="ambient")
    image_url: Mapped[str | None] = mapped_column(String(512))
    keywords: Mapped[str] = mapped_column(String(256), default="")
    story_zh: Mapped[str] = mapped_column(Text, default="")
    story_en: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Derived from names, keywords and county: simplified characters, pinyin and initials.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    county: Mapped[Region] = relationship()
    supplier: Mapped[Supplier] = relationship(back_populates="products")

    def certification_status(self, on: date) -> str:
        """Return 'certified', 'lapsed', 'not_yet_valid' or 'none' for the given day."""
        return certification_status(self.certification_no, self.certified_from, self.certified_until, on)

    def is_certified(self, on: date) -> bool:
        """Only a certificate valid on that day counts; a lapsed one does not."""
        return self.certification_status(on) == "certified"
