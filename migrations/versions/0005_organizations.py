"""organizations, members, quotas, bulk orders and certificates (issue 6)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from migrations.append_only import create_append_only, drop_append_only

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('government_office', 'public_institution', 'state_owned_enterprise', 'enterprise',"
            " 'trade_union', 'school', 'hospital', 'community')",
            name=op.f("ck_organizations_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["city_code"], ["regions.code"], name=op.f("fk_organizations_city_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_organizations_credit_code")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organizations_city_code"), ["city_code"], unique=False)

    op.create_table(
        "org_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("issued_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_org_certificates_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_certificates")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_org_certificates_content_hash")),
    )
    with op.batch_alter_table("org_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_certificates_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "organization_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('buyer', 'approver')", name=op.f("ck_organization_members_role")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_members_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_organization_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_members")),
        sa.UniqueConstraint("user_id", name=op.f("uq_organization_members_user_id")),
    )
    with op.batch_alter_table("organization_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_members_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "organization_quotas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fixed_fen", sa.Integer(), nullable=True),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column("per_member_fen", sa.Integer(), nullable=True),
        sa.Column("budget_fen", sa.Integer(), nullable=True),
        sa.Column("share_bp", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'fixed' AND fixed_fen > 0)"
            " OR (kind = 'per_member' AND members > 0 AND per_member_fen > 0)"
            " OR (kind = 'budget_share' AND budget_fen > 0 AND share_bp > 0 AND share_bp <= 10000)",
            name=op.f("ck_organization_quotas_inputs"),
        ),
        sa.CheckConstraint(
            "kind IN ('fixed', 'per_member', 'budget_share')", name=op.f("ck_organization_quotas_kind")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_quotas_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_quotas")),
        sa.UniqueConstraint("organization_id", "year", name="uq_organization_quotas_org_year"),
    )
    op.create_table(
        "bulk_orders",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("contact_name", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("delivery_address", sa.String(length=256), nullable=False),
        sa.Column("invoice_title", sa.String(length=128), nullable=False),
        sa.Column("tax_id", sa.String(length=18), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("payment_route", sa.String(length=16), nullable=False),
        sa.Column("drafted_by", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("delivered_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_by", sa.String(length=128), nullable=True),
        sa.Column("delivery_note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "payment_route IN ('bank_transfer', 'online')", name=op.f("ck_bulk_orders_payment_route")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_bulk_orders_decided_by_users")),
        sa.ForeignKeyConstraint(["drafted_by"], ["users.id"], name=op.f("fk_bulk_orders_drafted_by_users")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_bulk_orders_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_bulk_orders_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_bulk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_bulk_orders_number")),
    )
    with op.batch_alter_table("bulk_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulk_orders_organization_id"), ["organization_id"], unique=False)
    # An issued certificate is evidence: its figures and hash never change.
    create_append_only("org_certificates")


def downgrade() -> None:
    drop_append_only("org_certificates")
    with op.batch_alter_table("bulk_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_orders_organization_id"))

    op.drop_table("bulk_orders")
    op.drop_table("organization_quotas")
    with op.batch_alter_table("organization_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_members_organization_id"))

    op.drop_table("organization_members")
    with op.batch_alter_table("org_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_certificates_organization_id"))

    op.drop_table("org_certificates")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_city_code"))

    op.drop_table("organizations")
