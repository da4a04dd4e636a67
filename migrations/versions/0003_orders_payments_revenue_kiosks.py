"""orders, payments, the revenue ledger and kiosk devices

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 22:07:38.347501
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from migrations.append_only import create_append_only, drop_append_only

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_nonces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("seen_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_nonces")),
        sa.UniqueConstraint("key_id", "nonce", name="uq_device_nonces_key_nonce"),
    )
    with op.batch_alter_table("device_nonces", schema=None) as batch_op:
        batch_op.create_index("ix_device_nonces_seen_at", ["seen_at"], unique=False)

    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event"),
    )
    op.create_table(
        "commission_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("basis_points", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "basis_points >= 0 AND basis_points <= 10000", name=op.f("ck_commission_rates_basis_points_range")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_commission_rates_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_rates")),
        sa.UniqueConstraint("channel", "supplier_id", name="uq_commission_rates_channel_supplier"),
    )
    op.create_table(
        "kiosk_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("software_version", sa.String(length=64), nullable=True),
        sa.Column("door", sa.String(length=8), nullable=True),
        sa.Column("door_opened_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("temperature_c", sa.Double(), nullable=True),
        sa.Column("outbox_depth", sa.Integer(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'revoked')", name=op.f("ck_kiosk_devices_status")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_kiosk_devices_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_devices")),
        sa.UniqueConstraint("key_id", name=op.f("uq_kiosk_devices_key_id")),
        sa.UniqueConstraint("location_id", name=op.f("uq_kiosk_devices_location_id")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("buyer_kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("partner_code", sa.String(length=6), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_fen", sa.Integer(), nullable=False),
        sa.Column("hold_fen", sa.Integer(), nullable=False),
        sa.Column("captured_fen", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.Integer(), nullable=False),
        sa.Column("pay_token", sa.String(length=64), nullable=False),
        sa.Column("idempotency_scope", sa.String(length=64), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("response_json", sa.JSON(), nullable=True),
        sa.Column("report_id", sa.String(length=64), nullable=True),
        sa.Column("report_json", sa.JSON(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('kiosk', 'storefront', 'bulk', 'shop')", name=op.f("ck_orders_channel")
        ),
        sa.CheckConstraint(
            "refunded_fen >= 0 AND refunded_fen <= captured_fen", name=op.f("ck_orders_refund_within_capture")
        ),
        sa.CheckConstraint("total_fen >= 0", name=op.f("ck_orders_total_nonnegative")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_orders_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["regions.code"], name=op.f("fk_orders_partner_code_regions")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_orders_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("idempotency_scope", "idempotency_key", name="uq_orders_idempotency"),
        sa.UniqueConstraint("pay_token", name=op.f("uq_orders_pay_token")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_location_id"), ["location_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)
        batch_op.create_index("ix_orders_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_user_id"), ["user_id"], unique=False)

    op.create_table(
        "bank_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_bank_receipts_amount_positive")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_bank_receipts_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_receipts")),
        sa.UniqueConstraint("reference", name=op.f("uq_bank_receipts_reference")),
    )
    with op.batch_alter_table("bank_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_receipts_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_events_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_events_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=256), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("certified", sa.Boolean(), nullable=False),
        sa.Column("slot_code", sa.String(length=16), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("unit_price_fen", sa.Integer(), nullable=False),
        sa.Column("line_total_fen", sa.Integer(), nullable=False),
        sa.Column("refunded_qty", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.Integer(), nullable=False),
        sa.CheckConstraint("qty > 0", name=op.f("ck_order_lines_qty_positive")),
        sa.CheckConstraint(
            "refunded_qty >= 0 AND refunded_qty <= qty", name=op.f("ck_order_lines_refunded_within_qty")
        ),
        sa.CheckConstraint("unit_price_fen >= 0", name=op.f("ck_order_lines_price_nonnegative")),
        sa.ForeignKeyConstraint(
            ["county_code"], ["regions.code"], name=op.f("fk_order_lines_county_code_regions")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_order_lines_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_order_lines_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "line_no", name="uq_order_lines_order_line_no"),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_lines_product_id"), ["product_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("capture_mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("captured_fen", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.Integer(), nullable=False),
        sa.Column("qr_payload", sa.Text(), nullable=True),
        sa.Column("client_secret", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_payments_amount_nonnegative")),
        sa.CheckConstraint(
            "captured_fen >= 0 AND refunded_fen >= 0 AND refunded_fen <= captured_fen",
            name=op.f("ck_payments_amounts"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
        sa.UniqueConstraint("provider", "provider_ref", name="uq_payments_provider_ref"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_order_id"), ["order_id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_payment_id"), ["payment_id"], unique=False)

    op.create_table(
        "revenue_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("buyer_kind", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("partner_code", sa.String(length=6), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("certified", sa.Boolean(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("commission_fen", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'sale' AND amount_fen >= 0) OR (kind = 'refund' AND amount_fen <= 0)",
            name=op.f("ck_revenue_entries_sign_matches_kind"),
        ),
        sa.CheckConstraint("kind IN ('sale', 'refund')", name=op.f("ck_revenue_entries_kind")),
        sa.ForeignKeyConstraint(
            ["county_code"], ["regions.code"], name=op.f("fk_revenue_entries_county_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_revenue_entries_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_revenue_entries_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_lines.id"], name=op.f("fk_revenue_entries_order_line_id_order_lines")
        ),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["regions.code"], name=op.f("fk_revenue_entries_partner_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_revenue_entries_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_revenue_entries_refund_id_refunds")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_revenue_entries_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_entries")),
    )
    with op.batch_alter_table("revenue_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revenue_entries_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_revenue_entries_order_line_id"), ["order_line_id"], unique=False)
        batch_op.create_index("ix_revenue_entries_period_county", ["period", "county_code"], unique=False)
        batch_op.create_index("ix_revenue_entries_period_supplier", ["period", "supplier_id"], unique=False)

    create_append_only("revenue_entries")
    create_append_only("order_events")


def downgrade() -> None:
    drop_append_only("order_events")
    drop_append_only("revenue_entries")
    with op.batch_alter_table("revenue_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_revenue_entries_period_supplier")
        batch_op.drop_index("ix_revenue_entries_period_county")
        batch_op.drop_index(batch_op.f("ix_revenue_entries_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_revenue_entries_order_id"))

    op.drop_table("revenue_entries")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_payment_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_order_id"))

    op.drop_table("payments")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_product_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_order_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_events_order_id"))

    op.drop_table("order_events")
    with op.batch_alter_table("bank_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_receipts_order_id"))

    op.drop_table("bank_receipts")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_user_id"))
        batch_op.drop_index("ix_orders_status_expires")
        batch_op.drop_index(batch_op.f("ix_orders_status"))
        batch_op.drop_index(batch_op.f("ix_orders_organization_id"))
        batch_op.drop_index(batch_op.f("ix_orders_location_id"))

    op.drop_table("orders")
    op.drop_table("kiosk_devices")
    op.drop_table("commission_rates")
    op.drop_table("webhook_events")
    with op.batch_alter_table("device_nonces", schema=None) as batch_op:
        batch_op.drop_index("ix_device_nonces_seen_at")

    op.drop_table("device_nonces")
