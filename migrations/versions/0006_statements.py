"""statements, monthly rollups and the audit log (issue 7)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from migrations.append_only import create_append_only, drop_append_only

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_BEFORE = "'admin', 'operator', 'restocker', 'supplier', 'org_buyer', 'org_approver', 'auditor'"
ROLES_AFTER = ROLES_BEFORE + ", 'county'"


def upgrade() -> None:
    _widen_users()
    op.create_table(
        "statement_periods",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("issued_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        sa.Column("statement_count", sa.Integer(), nullable=False),
        sa.CheckConstraint("length(period) = 7", name=op.f("ck_statement_periods_period_format")),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_statement_periods")),
    )
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_key", sa.String(length=16), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("issued_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("scope IN ('county', 'supplier', 'partner')", name=op.f("ck_statements_scope")),
        sa.CheckConstraint("status IN ('draft', 'issued')", name=op.f("ck_statements_status")),
        sa.CheckConstraint(
            "status = 'draft' OR content_hash IS NOT NULL", name=op.f("ck_statements_issued_has_hash")
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["regions.code"], name=op.f("fk_statements_county_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_statements_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_statements_content_hash")),
        sa.UniqueConstraint("period", "scope", "scope_key", name="uq_statements_period_scope_key"),
    )
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statements_period"), ["period"], unique=False)
        batch_op.create_index("ix_statements_county_period", ["county_code", "period"], unique=False)
        batch_op.create_index("ix_statements_supplier_period", ["supplier_id", "period"], unique=False)

    op.create_table(
        "revenue_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("sale_period", sa.String(length=7), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("buyer_kind", sa.String(length=16), nullable=False),
        sa.Column("certified", sa.Boolean(), nullable=False),
        sa.Column("partner_code", sa.String(length=6), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("sale_fen", sa.BigInteger(), nullable=False),
        sa.Column("refund_fen", sa.BigInteger(), nullable=False),
        sa.Column("sale_qty", sa.Integer(), nullable=False),
        sa.Column("refund_qty", sa.Integer(), nullable=False),
        sa.Column("commission_fen", sa.BigInteger(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_rollups")),
        sa.UniqueConstraint(
            "period",
            "sale_period",
            "county_code",
            "supplier_id",
            "product_id",
            "channel",
            "buyer_kind",
            "certified",
            "partner_code",
            "location_id",
            name="uq_revenue_rollups_key",
        ),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_log_target", ["target_type", "target_id"], unique=False)

    with op.batch_alter_table("revenue_entries", schema=None) as batch_op:
        batch_op.create_index("ix_revenue_entries_at", ["at"], unique=False)
        batch_op.create_index("ix_revenue_entries_period_kind", ["period", "kind"], unique=False)

    create_append_only("audit_log")
    create_append_only("statement_periods")
    _protect_issued_statements()
    _refuse_entries_in_closed_periods()


def _widen_users() -> None:
    """Link accounts to a supplier or a county, and admit the county role to the CHECK of 0001."""
    if op.get_bind().dialect.name != "sqlite":
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.add_column(sa.Column("supplier_id", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("county_code", sa.String(length=6), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f("fk_users_supplier_id_suppliers"), "suppliers", ["supplier_id"], ["id"]
            )
            batch_op.create_foreign_key(
                batch_op.f("fk_users_county_code_regions"), "regions", ["county_code"], ["code"]
            )
            batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
            batch_op.create_check_constraint(op.f("ck_users_role"), f"role IN ({ROLES_AFTER})")
        return
    # SQLite. Batch mode would copy users into a new table and drop the old one; with foreign keys
    # enforced (core.db turns them on, and PRAGMA foreign_keys cannot change inside the migration's
    # transaction) that drop fails as soon as any token, order or movement refers to a user. So
    # the columns are added in place, and the CHECK is widened by editing the table's definition:
    # SQLite's documented procedure for constraint changes that leave the stored rows valid
    # (https://sqlite.org/lang_altertable.html, "making other kinds of table schema changes").
    op.execute(
        "ALTER TABLE users ADD COLUMN supplier_id INTEGER"
        " CONSTRAINT fk_users_supplier_id_suppliers REFERENCES suppliers (id)"
    )
    op.execute(
        "ALTER TABLE users ADD COLUMN county_code VARCHAR(6)"
        " CONSTRAINT fk_users_county_code_regions REFERENCES regions (code)"
    )
    _rewrite_sqlite_users((f"role IN ({ROLES_BEFORE})", f"role IN ({ROLES_AFTER})"))


def _rewrite_sqlite_users(*changes: tuple[str, str]) -> None:
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'"
    ).scalar()
    for old, new in changes:
        if sql is None or sql.count(old) != 1:
            raise RuntimeError(f"the users table has no {old!r} to change")
        sql = sql.replace(old, new)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'", (sql,))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _narrow_users() -> None:
    """Undo _widen_users (fails while a county account exists: remove it first)."""
    if op.get_bind().dialect.name == "sqlite":
        # Foreign keys and the wider CHECK go by the same procedure; then the plain columns can go.
        _rewrite_sqlite_users(
            (f"role IN ({ROLES_AFTER})", f"role IN ({ROLES_BEFORE})"),
            (" CONSTRAINT fk_users_supplier_id_suppliers REFERENCES suppliers (id)", ""),
            (" CONSTRAINT fk_users_county_code_regions REFERENCES regions (code)", ""),
        )
        op.execute("ALTER TABLE users DROP COLUMN county_code")
        op.execute("ALTER TABLE users DROP COLUMN supplier_id")
        return
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_role"), f"role IN ({ROLES_BEFORE})")
        batch_op.drop_constraint(batch_op.f("fk_users_county_code_regions"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_users_supplier_id_suppliers"), type_="foreignkey")
        batch_op.drop_column("county_code")
        batch_op.drop_column("supplier_id")


def _protect_issued_statements() -> None:
    """An issued statement can be neither changed nor deleted; a draft row could be."""
    message = "statements: an issued statement never changes"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION statements_issued_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.status = 'issued' THEN
                    RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation';
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END
            $$
        """)
        op.execute("""
            CREATE TRIGGER statements_issued_frozen BEFORE UPDATE OR DELETE ON statements
            FOR EACH ROW EXECUTE FUNCTION statements_issued_frozen()
        """)
        op.execute("""
            CREATE TRIGGER statements_no_truncate BEFORE TRUNCATE ON statements
            FOR EACH STATEMENT EXECUTE FUNCTION statement_periods_append_only()
        """)
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"""
            CREATE TRIGGER statements_issued_no_{action.lower()} BEFORE {action} ON statements
            WHEN OLD.status = 'issued'
            BEGIN SELECT RAISE(ABORT, '{message}'); END
        """)


def _refuse_entries_in_closed_periods() -> None:
    """A month whose statements were issued takes no more ledger entries: late ones go to a later month."""
    message = "revenue_entries: this period was issued; record the entry in the current period"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION revenue_entries_period_open() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM statement_periods WHERE period = NEW.period) THEN
                    RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation';
                END IF;
                RETURN NEW;
            END
            $$
        """)
        op.execute("""
            CREATE TRIGGER revenue_entries_period_open BEFORE INSERT ON revenue_entries
            FOR EACH ROW EXECUTE FUNCTION revenue_entries_period_open()
        """)
        return
    op.execute(f"""
        CREATE TRIGGER revenue_entries_period_open BEFORE INSERT ON revenue_entries
        WHEN EXISTS (SELECT 1 FROM statement_periods WHERE period = NEW.period)
        BEGIN SELECT RAISE(ABORT, '{message}'); END
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS revenue_entries_period_open ON revenue_entries")
        op.execute("DROP FUNCTION IF EXISTS revenue_entries_period_open()")
        op.execute("DROP TRIGGER IF EXISTS statements_no_truncate ON statements")
        op.execute("DROP TRIGGER IF EXISTS statements_issued_frozen ON statements")
        op.execute("DROP FUNCTION IF EXISTS statements_issued_frozen()")
    else:
        op.execute("DROP TRIGGER IF EXISTS revenue_entries_period_open")
        op.execute("DROP TRIGGER IF EXISTS statements_issued_no_update")
        op.execute("DROP TRIGGER IF EXISTS statements_issued_no_delete")
    drop_append_only("statement_periods")
    drop_append_only("audit_log")
    with op.batch_alter_table("revenue_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_revenue_entries_period_kind")
        batch_op.drop_index("ix_revenue_entries_at")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target")
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
    op.drop_table("audit_log")
    op.drop_table("revenue_rollups")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index("ix_statements_supplier_period")
        batch_op.drop_index("ix_statements_county_period")
        batch_op.drop_index(batch_op.f("ix_statements_period"))
    op.drop_table("statements")
    op.drop_table("statement_periods")
    _narrow_users()
