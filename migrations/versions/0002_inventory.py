"""inventory: locations, slots, lots, the append-only stock ledger, balances and reservations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 22:07:05.692716

The triggers that make stock_movements append-only come from migrations/append_only.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from migrations.append_only import create_append_only, drop_append_only

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=256), nullable=False),
        sa.Column("partner_code", sa.String(length=6), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=True),
        sa.Column("warehouse_id", sa.Integer(), nullable=True),
        sa.Column("route", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'kiosk' AND mode IN ('vend', 'open_door')) OR (kind <> 'kiosk' AND mode IS NULL)",
            name=op.f("ck_locations_kiosk_mode"),
        ),
        sa.CheckConstraint("kind IN ('warehouse', 'shop', 'kiosk')", name=op.f("ck_locations_kind")),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["regions.code"], name=op.f("fk_locations_partner_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["locations.id"], name=op.f("fk_locations_warehouse_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("code", name=op.f("uq_locations_code")),
    )
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_locations_partner_code"), ["partner_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_locations_route"), ["route"], unique=False)
        batch_op.create_index(batch_op.f("ix_locations_warehouse_id"), ["warehouse_id"], unique=False)

    op.create_table(
        "lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_lots_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
        sa.UniqueConstraint("product_id", "code", name="uq_lots_product_code"),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lots_product_id"), ["product_id"], unique=False)

    op.create_table(
        "slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("par_level", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_slots_capacity_positive")),
        sa.CheckConstraint("par_level >= 0 AND par_level <= capacity", name=op.f("ck_slots_par_level_range")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_slots_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_slots_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slots")),
        sa.UniqueConstraint("location_id", "code", name="uq_slots_location_code"),
    )
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slots_product_id"), ["product_id"], unique=False)

    op.create_table(
        "stock_balances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_balances_on_hand_nonnegative")),
        sa.CheckConstraint("reserved <= on_hand", name=op.f("ck_stock_balances_reserved_within_on_hand")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_stock_balances_reserved_nonnegative")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_stock_balances_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_stock_balances_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_stock_balances_product_id_products")
        ),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name=op.f("fk_stock_balances_slot_id_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_balances")),
    )
    with op.batch_alter_table("stock_balances", schema=None) as batch_op:
        batch_op.create_index("ix_stock_balances_product", ["product_id", "location_id"], unique=False)
        batch_op.create_index(
            "uq_stock_balances_slotted",
            ["slot_id", "product_id", "lot_id"],
            unique=True,
            sqlite_where=sa.text("slot_id IS NOT NULL"),
            postgresql_where=sa.text("slot_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_stock_balances_unslotted",
            ["location_id", "product_id", "lot_id"],
            unique=True,
            sqlite_where=sa.text("slot_id IS NULL"),
            postgresql_where=sa.text("slot_id IS NULL"),
        )

    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=True),
        sa.Column("from_slot_id", sa.Integer(), nullable=True),
        sa.Column("to_location_id", sa.Integer(), nullable=True),
        sa.Column("to_slot_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=256), nullable=False),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'receipt' AND from_location_id IS NULL AND to_location_id IS NOT NULL)"
            " OR (kind = 'transfer' AND from_location_id IS NOT NULL AND to_location_id IS NOT NULL)"
            " OR (kind IN ('sale', 'writeoff') AND from_location_id IS NOT NULL AND to_location_id IS NULL)"
            " OR (kind = 'return' AND from_location_id IS NULL AND to_location_id IS NOT NULL)"
            " OR (kind = 'count' AND (from_location_id IS NULL) <> (to_location_id IS NULL))",
            name=op.f("ck_stock_movements_direction"),
        ),
        sa.CheckConstraint(
            "kind <> 'count' OR reason IN ('stocktake', 'taken_unrecorded')",
            name=op.f("ck_stock_movements_count_reason"),
        ),
        sa.CheckConstraint(
            "kind <> 'writeoff' OR reason IN ('expired', 'damaged', 'lost', 'recalled', 'returned', 'other')",
            name=op.f("ck_stock_movements_writeoff_reason"),
        ),
        sa.CheckConstraint(
            "kind IN ('receipt', 'transfer', 'sale', 'return', 'writeoff', 'count')",
            name=op.f("ck_stock_movements_kind"),
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_stock_movements_qty_positive")),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"], name=op.f("fk_stock_movements_from_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["from_slot_id"], ["slots.id"], name=op.f("fk_stock_movements_from_slot_id_slots")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_stock_movements_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_stock_movements_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name=op.f("fk_stock_movements_to_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["to_slot_id"], ["slots.id"], name=op.f("fk_stock_movements_to_slot_id_slots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index("ix_stock_movements_from", ["from_location_id", "product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_movements_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_movements_reference"), ["reference"], unique=False)
        batch_op.create_index("ix_stock_movements_to", ["to_location_id", "product_id"], unique=False)

    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_ref", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("balance_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.String(length=64), nullable=True),
        sa.Column("fulfilled_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'fulfilled', 'released', 'expired')", name=op.f("ck_reservations_status")
        ),
        sa.CheckConstraint("line_no >= 0", name=op.f("ck_reservations_line_no_nonnegative")),
        sa.CheckConstraint("qty > 0", name=op.f("ck_reservations_qty_positive")),
        sa.ForeignKeyConstraint(
            ["balance_id"], ["stock_balances.id"], name=op.f("fk_reservations_balance_id_stock_balances")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_reservations_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_reservations_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_reservations_product_id_products")
        ),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name=op.f("fk_reservations_slot_id_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reservations_balance_id"), ["balance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reservations_order_ref"), ["order_ref"], unique=False)
        batch_op.create_index("ix_reservations_status_expires_at", ["status", "expires_at"], unique=False)

    create_append_only("stock_movements")


def downgrade() -> None:
    drop_append_only("stock_movements")
    op.drop_table("reservations")
    op.drop_table("stock_movements")
    op.drop_table("stock_balances")
    op.drop_table("slots")
    op.drop_table("lots")
    op.drop_table("locations")
