"""catalogue and users

Revision ID: 0001
Revises:
Create Date: 2026-11-26 21:54:18.797174
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=True),
        sa.CheckConstraint("level IN ('province', 'prefecture', 'county')", name=op.f("ck_regions_level")),
        sa.CheckConstraint("length(code) = 6", name=op.f("ck_regions_code_length")),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["regions.code"], name=op.f("fk_regions_parent_code_regions")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'operator', 'restocker', 'supplier', 'org_buyer', 'org_approver', 'auditor')",
            name=op.f("ck_users_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "pairings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("east_code", sa.String(length=6), nullable=False),
        sa.Column("west_code", sa.String(length=6), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("note_zh", sa.Text(), nullable=False),
        sa.Column("note_en", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_pairings_valid_range")
        ),
        sa.ForeignKeyConstraint(["east_code"], ["regions.code"], name=op.f("fk_pairings_east_code_regions")),
        sa.ForeignKeyConstraint(["west_code"], ["regions.code"], name=op.f("fk_pairings_west_code_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairings")),
        sa.UniqueConstraint("east_code", "west_code", "valid_from", name="uq_pairings_east_west_from"),
    )
    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pairings_east_code"), ["east_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_pairings_west_code"), ["west_code"], unique=False)

    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("certified", sa.Boolean(), nullable=False),
        sa.Column("households_linked", sa.Integer(), nullable=False),
        sa.Column("payout_account", sa.String(length=256), nullable=True),
        sa.CheckConstraint("kind IN ('cooperative', 'enterprise')", name=op.f("ck_suppliers_kind")),
        sa.CheckConstraint("households_linked >= 0", name=op.f("ck_suppliers_households_nonnegative")),
        sa.ForeignKeyConstraint(
            ["county_code"], ["regions.code"], name=op.f("fk_suppliers_county_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_suppliers_credit_code")),
    )
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suppliers_county_code"), ["county_code"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=13), nullable=True),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=256), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("spec", sa.String(length=64), nullable=False),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("certification_no", sa.String(length=64), nullable=True),
        sa.Column("certified_from", sa.Date(), nullable=True),
        sa.Column("certified_until", sa.Date(), nullable=True),
        sa.Column("shelf_life_days", sa.Integer(), nullable=False),
        sa.Column("storage", sa.String(length=16), nullable=False),
        sa.Column("image_url", sa.String(length=512), nullable=True),
        sa.Column("keywords", sa.String(length=256), nullable=False),
        sa.Column("story_zh", sa.Text(), nullable=False),
        sa.Column("story_en", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("storage IN ('ambient', 'chilled', 'frozen')", name=op.f("ck_products_storage")),
        sa.CheckConstraint(
            "certified_until IS NULL OR certified_from IS NULL OR certified_until >= certified_from",
            name=op.f("ck_products_certification_range"),
        ),
        sa.CheckConstraint("price_fen > 0", name=op.f("ck_products_price_positive")),
        sa.CheckConstraint("shelf_life_days > 0", name=op.f("ck_products_shelf_life_positive")),
        sa.ForeignKeyConstraint(
            ["county_code"], ["regions.code"], name=op.f("fk_products_county_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_products_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("gtin", name=op.f("uq_products_gtin")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index("ix_products_category_active", ["category", "active"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_county_code"), ["county_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_supplier_id"), ["supplier_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_products_county_code"))
        batch_op.drop_index("ix_products_category_active")

    op.drop_table("products")
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suppliers_county_code"))

    op.drop_table("suppliers")
    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairings_west_code"))
        batch_op.drop_index(batch_op.f("ix_pairings_east_code"))

    op.drop_table("pairings")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_parent_code"))

    op.drop_table("regions")
